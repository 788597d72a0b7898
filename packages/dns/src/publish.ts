/**
 * Makes the DNS server reachable at its fixed ClusterIP when it runs outside the cluster's
 * Pods (a compose service): a selector-less Service (kube-system/kube-dns, as kubeadm names
 * it, ports `dns` 53/UDP and `dns-tcp` 53/TCP) and an EndpointSlice naming this server's
 * address, which kube-proxy then serves like any other. Idempotent; an existing Service is
 * kept as it is.
 */
import { isAlreadyExists, isConflict, isNotFound, type KubeClient } from '@minik8s/client/kube';

export interface PublishOptions {
  /** `namespace/name`, e.g. kube-system/kube-dns. */
  service: string;
  clusterIP: string;
  /** This server's address, as Pods and nodes reach it. */
  address: string;
  /** The port it listens on. */
  port: number;
}

export async function publishService(client: KubeClient, o: PublishOptions): Promise<void> {
  const [namespace, name] = o.service.includes('/') ? (o.service.split('/') as [string, string]) : ['kube-system', o.service];
  const labels = { 'k8s-app': 'kube-dns', 'kubernetes.io/name': 'CoreDNS' };
  const ports = [
    { name: 'dns', protocol: 'UDP', port: 53, targetPort: o.port },
    { name: 'dns-tcp', protocol: 'TCP', port: 53, targetPort: o.port },
  ];
  const services = { version: 'v1', plural: 'services', namespace };
  // Look first: as upstream, a create naming a taken ClusterIP fails on the IP, not the name.
  const existing = await client.get({ ...services, name }).catch((e) => {
    if (isNotFound(e)) return undefined;
    throw e;
  });
  if (!existing) {
    await client
      .create(services, { apiVersion: 'v1', kind: 'Service', metadata: { name, namespace, labels }, spec: { clusterIP: o.clusterIP, ports } })
      .catch((e) => {
        if (!isAlreadyExists(e)) throw e;
      });
  }
  const slice = {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: {
      name: `${name}-minik8s-dns`,
      namespace,
      labels: { ...labels, 'kubernetes.io/service-name': name, 'endpointslice.kubernetes.io/managed-by': 'minik8s-dns' },
    },
    addressType: 'IPv4',
    endpoints: [{ addresses: [o.address], conditions: { ready: true, serving: true, terminating: false } }],
    ports: ports.map((p) => ({ name: p.name, protocol: p.protocol, port: o.port })),
  };
  const ref = { group: 'discovery.k8s.io', version: 'v1', plural: 'endpointslices', namespace };
  for (let attempt = 0; ; attempt++) {
    try {
      await client.create(ref, slice);
      return;
    } catch (e) {
      if (!isAlreadyExists(e)) throw e;
    }
    try {
      const current = await client.get<{ metadata: { resourceVersion?: string } }>({ ...ref, name: slice.metadata.name });
      await client.update(
        { ...ref, name: slice.metadata.name },
        { ...slice, metadata: { ...slice.metadata, resourceVersion: current.metadata.resourceVersion } },
      );
      return;
    } catch (e) {
      if (!isConflict(e) || attempt > 5) throw e;
    }
  }
}
