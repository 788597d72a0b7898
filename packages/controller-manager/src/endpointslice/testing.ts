/**
 * Fixtures for the endpoint controllers' tests: Services, Nodes and Pods made through the
 * API server, and Pod status written as a kubelet would (an IP, Ready or not).
 */
import type { KubeObject, Node, Pod, Service } from '@minik8s/api';
import type { KubeClient } from '@minik8s/client/kube';
import { PODS, refTo } from '../internal/resources.ts';
import { NODES, SERVICES } from './types.ts';

export interface ServiceFixture {
  selector?: Record<string, string>;
  targetPort?: number | string;
  labels?: Record<string, string>;
  publishNotReadyAddresses?: boolean;
}

export async function createService(client: KubeClient, namespace: string, name: string, o: ServiceFixture = {}): Promise<Service> {
  return client.create<Service>(SERVICES, {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace, ...(o.labels ? { labels: o.labels } : {}) },
    spec: {
      ...(o.selector ? { selector: o.selector } : {}),
      ports: [{ name: 'http', port: 80, protocol: 'TCP', targetPort: o.targetPort ?? 8080 }],
      ...(o.publishNotReadyAddresses ? { publishNotReadyAddresses: true } : {}),
    },
  });
}

export async function createNode(client: KubeClient, name: string, zone: string): Promise<void> {
  await client.create<Node>(NODES, { apiVersion: 'v1', kind: 'Node', metadata: { name, labels: { 'topology.kubernetes.io/zone': zone } } });
}

export interface PodFixture {
  labels: Record<string, string>;
  node?: string;
  /** Container ports by name. */
  ports?: Record<string, number>;
  hostname?: string;
  subdomain?: string;
  finalizers?: string[];
}

export async function createPod(client: KubeClient, namespace: string, name: string, o: PodFixture): Promise<Pod> {
  return client.create<Pod>(PODS, {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace, labels: o.labels, ...(o.finalizers ? { finalizers: o.finalizers } : {}) },
    spec: {
      ...(o.node ? { nodeName: o.node } : {}),
      ...(o.hostname ? { hostname: o.hostname } : {}),
      ...(o.subdomain ? { subdomain: o.subdomain } : {}),
      containers: [
        {
          name: 'c',
          image: 'busybox',
          ...(o.ports ? { ports: Object.entries(o.ports).map(([n, containerPort]) => ({ name: n, containerPort, protocol: 'TCP' })) } : {}),
        },
      ],
    },
  });
}

/** What a kubelet reports: Running with an IP, Ready or not. */
export async function setPodStatus(client: KubeClient, namespace: string, name: string, ip: string, ready: boolean): Promise<void> {
  const ref = refTo(PODS, namespace, name);
  const fresh = await client.get<Pod & KubeObject>(ref);
  const status = ready ? 'True' : 'False';
  const t = `${new Date().toISOString().slice(0, 19)}Z`;
  await client.updateStatus(ref, {
    ...fresh,
    status: {
      ...fresh.status,
      phase: 'Running',
      podIP: ip,
      podIPs: [{ ip }],
      conditions: [
        { type: 'Ready', status, lastTransitionTime: t },
        { type: 'ContainersReady', status, lastTransitionTime: t },
      ],
    },
  });
}

/** Removes a Pod's finalizers so that a pending deletion completes. */
export async function dropFinalizers(client: KubeClient, namespace: string, name: string): Promise<void> {
  await client.patch(refTo(PODS, namespace, name), { metadata: { finalizers: null } }, { type: 'merge' });
}
