/**
 * What the DNS server knows about the cluster: informers on Services, EndpointSlices
 * (discovery.k8s.io/v1) and Namespaces, with the indexes a lookup needs (slices by
 * Service, Services by ClusterIP, slices by address). The zone reads it through the
 * narrow `ClusterData` interface, so it can be tested with plain objects too.
 */
import type { KubeObject, Namespace, Service } from '@minik8s/api';
import type { Informer } from '@minik8s/client/kube';
import type { SharedInformers } from '@minik8s/client/runtime';
import { canonicalIp, dashedIp } from './internal/names.ts';

/** discovery.k8s.io/v1 EndpointSlice: the fields DNS reads. */
export interface EndpointSlice extends KubeObject {
  addressType: 'IPv4' | 'IPv6' | 'FQDN';
  endpoints?: Array<{
    addresses: string[];
    conditions?: { ready?: boolean; serving?: boolean; terminating?: boolean };
    hostname?: string;
    nodeName?: string;
    targetRef?: { kind?: string; name?: string; namespace?: string };
  }>;
  ports?: Array<{ name?: string; port?: number; protocol?: string; appProtocol?: string }>;
}

export const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';

export interface PortView {
  /** '' for an unnamed port. */
  name: string;
  port: number;
  /** Lower case: tcp, udp, sctp. */
  protocol: string;
}

/** One published address of a Service's endpoints. */
export interface EndpointView {
  ip: string;
  /** The endpoint's DNS label: its `hostname`, or the dashed address. Lower case. */
  hostname: string;
  ports: PortView[];
}

export interface ClusterData {
  /** True once the caches hold a first full list. */
  synced(): boolean;
  namespaceExists(namespace: string): boolean;
  service(namespace: string, name: string): Service | undefined;
  /** Published (ready, or any if publishNotReadyAddresses) addresses of a Service, deduplicated. */
  endpoints(svc: Service): EndpointView[];
  /** Services whose ClusterIP(s) include `ip` (canonical form). */
  servicesByClusterIP(ip: string): Service[];
  /** Services with a published endpoint at `ip` (canonical form), with that endpoint. */
  endpointsByIP(ip: string): Array<{ service: Service; endpoint: EndpointView }>;
  /** Changes whenever the data does (unix seconds of the last change): the SOA serial. */
  serial(): number;
}

const SERVICES = { version: 'v1', plural: 'services' } as const;
const ENDPOINT_SLICES = { group: 'discovery.k8s.io', version: 'v1', plural: 'endpointslices' } as const;
const NAMESPACES = { version: 'v1', plural: 'namespaces' } as const;

const BY_SERVICE = 'service';
const BY_CLUSTER_IP = 'clusterIP';
const BY_ADDRESS = 'address';

export function isHeadless(svc: Service): boolean {
  return svc.spec?.clusterIP === 'None';
}

export function clusterIPs(svc: Service): string[] {
  const ips = svc.spec?.clusterIPs?.length ? svc.spec.clusterIPs : svc.spec?.clusterIP ? [svc.spec.clusterIP] : [];
  return ips.filter((ip) => ip && ip !== 'None');
}

function serviceKeyOfSlice(s: EndpointSlice): string | undefined {
  const svc = s.metadata.labels?.[SERVICE_NAME_LABEL];
  return svc ? `${s.metadata.namespace ?? ''}/${svc}` : undefined;
}

export interface ClusterStateOptions {
  /** Called after every change the informers see. */
  onChange?: () => void;
}

export class ClusterState implements ClusterData {
  readonly services: Informer<Service>;
  readonly slices: Informer<EndpointSlice>;
  readonly namespaces: Informer<Namespace>;
  private modified = Math.floor(Date.now() / 1000);

  /** The informers come from the component's Manager (started and stopped with it). */
  constructor(informers: SharedInformers, o: ClusterStateOptions = {}) {
    this.services = informers.index<Service>(SERVICES, BY_CLUSTER_IP, (svc) => clusterIPs(svc).flatMap((ip) => canonicalIp(ip) ?? []));
    this.slices = informers.index<EndpointSlice>(ENDPOINT_SLICES, BY_SERVICE, (s) => {
      const k = serviceKeyOfSlice(s);
      return k ? [k] : [];
    });
    informers.index<EndpointSlice>(ENDPOINT_SLICES, BY_ADDRESS, (s) => (s.endpoints ?? []).flatMap((e) => e.addresses.flatMap((a) => canonicalIp(a) ?? [])));
    this.namespaces = informers.for<Namespace>(NAMESPACES);
    const changed = () => {
      this.modified = Math.max(this.modified + 1, Math.floor(Date.now() / 1000));
      o.onChange?.();
    };
    for (const inf of [this.services, this.slices, this.namespaces] as Array<Informer<KubeObject>>) {
      inf.addEventHandler({ onAdd: changed, onUpdate: changed, onDelete: changed });
    }
  }

  /** Resolves when Services and EndpointSlices have synced (Namespaces are not waited for: see namespaceExists). */
  async waitForSync(signal?: AbortSignal): Promise<void> {
    await Promise.all([this.services.waitForSync(signal), this.slices.waitForSync(signal)]);
  }

  synced(): boolean {
    return this.services.hasSynced() && this.slices.hasSynced();
  }

  /**
   * As CoreDNS: a namespace exists if the API says so. Until the Namespace list has come
   * in (or if it never does, say RBAC forbids it), every namespace is taken to exist,
   * which errs towards NODATA rather than a cached NXDOMAIN.
   */
  namespaceExists(namespace: string): boolean {
    if (!this.namespaces.hasSynced()) return true;
    return this.namespaces.getByName(undefined, namespace) !== undefined || this.services.list(namespace).length > 0;
  }

  service(namespace: string, name: string): Service | undefined {
    return this.services.getByName(namespace, name);
  }

  endpoints(svc: Service): EndpointView[] {
    return publishedEndpoints(svc, this.slices.byIndex(BY_SERVICE, `${svc.metadata.namespace ?? ''}/${svc.metadata.name ?? ''}`));
  }

  servicesByClusterIP(ip: string): Service[] {
    return this.services.byIndex(BY_CLUSTER_IP, ip);
  }

  endpointsByIP(ip: string): Array<{ service: Service; endpoint: EndpointView }> {
    const out: Array<{ service: Service; endpoint: EndpointView }> = [];
    const seen = new Set<string>();
    for (const slice of this.slices.byIndex(BY_ADDRESS, ip)) {
      const name = slice.metadata.labels?.[SERVICE_NAME_LABEL];
      const ns = slice.metadata.namespace ?? '';
      if (!name || seen.has(`${ns}/${name}`)) continue;
      seen.add(`${ns}/${name}`);
      const service = this.service(ns, name);
      if (!service) continue;
      for (const endpoint of this.endpoints(service)) if (canonicalIp(endpoint.ip) === ip) out.push({ service, endpoint });
    }
    return out;
  }

  serial(): number {
    return this.modified >>> 0;
  }
}

/**
 * The addresses DNS publishes for a Service from its EndpointSlices: ready endpoints
 * (a missing `ready` counts as ready, as the API says), or every endpoint if the
 * Service sets publishNotReadyAddresses. FQDN slices are skipped. One entry per
 * address and hostname, with the ports of every slice it appears in.
 */
export function publishedEndpoints(svc: Service, slices: EndpointSlice[]): EndpointView[] {
  const all = svc.spec?.publishNotReadyAddresses === true;
  const byKey = new Map<string, EndpointView>();
  const ordered = [...slices].sort((a, b) => (a.metadata.name ?? '').localeCompare(b.metadata.name ?? ''));
  for (const slice of ordered) {
    if (slice.addressType === 'FQDN') continue;
    const ports: PortView[] = (slice.ports ?? [])
      .filter((p) => typeof p.port === 'number')
      .map((p) => ({ name: (p.name ?? '').toLowerCase(), port: p.port!, protocol: (p.protocol ?? 'TCP').toLowerCase() }));
    for (const ep of slice.endpoints ?? []) {
      if (!all && ep.conditions?.ready === false) continue;
      for (const ip of ep.addresses ?? []) {
        const hostname = (ep.hostname || dashedIp(ip)).toLowerCase();
        const key = `${canonicalIp(ip) ?? ip}/${hostname}`;
        const have = byKey.get(key);
        if (!have) {
          byKey.set(key, { ip, hostname, ports: [...ports] });
          continue;
        }
        for (const p of ports) {
          if (!have.ports.some((q) => q.name === p.name && q.port === p.port && q.protocol === p.protocol)) have.ports.push(p);
        }
      }
    }
  }
  return [...byKey.values()];
}
