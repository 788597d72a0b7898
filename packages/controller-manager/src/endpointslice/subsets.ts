/**
 * The core/v1 Endpoints of a Service, as upstream's endpoints controller computes them:
 * one address per Pod (ready ones in `addresses`, the rest in `notReadyAddresses`),
 * packed into subsets of addresses that offer the same ports (RepackSubsets), and cut
 * down to 1000 addresses, ready ones first, when there are more.
 */
import { isPodReady, type Pod, type Service } from '@minik8s/api';
import { findPort, isIPv6, isServiceIPSet, podIPs, shouldPodBeInEndpoints, shouldSetHostname } from './service-pods.ts';
import type { CoreEndpointPort, EndpointAddress, EndpointSubset } from './types.ts';

/** Upstream's maxCapacity: addresses an Endpoints object holds at most. */
export const MAX_ENDPOINTS_CAPACITY = 1000;

/** The subsets for a Service and the Pods it selects, in canonical (repacked) form. */
export function serviceSubsets(svc: Service, pods: Pod[]): EndpointSubset[] {
  const publishNotReady = !!svc.spec?.publishNotReadyAddresses;
  const flat: EndpointSubset[] = [];
  for (const pod of pods) {
    if (!shouldPodBeInEndpoints(pod, publishNotReady)) continue; // terminating Pods only with publishNotReadyAddresses
    const addr = podAddress(svc, pod);
    if (!addr) continue;
    if (shouldSetHostname(pod, svc)) addr.hostname = pod.spec!.hostname!;
    const ready = publishNotReady || isPodReady(pod);
    const add = (ports: CoreEndpointPort[]) => flat.push(ready ? { addresses: [addr], ports } : { notReadyAddresses: [addr], ports });
    const svcPorts = svc.spec?.ports ?? [];
    if (svcPorts.length === 0) {
      if (svc.spec?.clusterIP === 'None') add([]); // a headless Service may have no ports
      continue;
    }
    for (const sp of svcPorts) {
      const port = findPort(pod, sp);
      if (port === undefined) continue;
      add([{ name: sp.name ?? '', port, protocol: sp.protocol ?? 'TCP', ...(sp.appProtocol ? { appProtocol: sp.appProtocol } : {}) }]);
    }
  }
  return repackSubsets(flat);
}

/** The Pod's address in the Service's (first) IP family. */
function podAddress(svc: Service, pod: Pod): EndpointAddress | undefined {
  let v6: boolean;
  const family = svc.spec?.ipFamilies?.[0];
  if (family) v6 = family === 'IPv6';
  else if (isServiceIPSet(svc)) v6 = isIPv6(svc.spec!.clusterIP!);
  else v6 = isIPv6(pod.status?.podIP ?? '');
  const ip = podIPs(pod).find((a) => isIPv6(a) === v6);
  if (!ip) return undefined;
  return {
    ip,
    ...(pod.spec?.nodeName ? { nodeName: pod.spec.nodeName } : {}),
    targetRef: { kind: 'Pod', namespace: pod.metadata.namespace, name: pod.metadata.name, uid: pod.metadata.uid },
  };
}

/**
 * RepackSubsets: addresses that offer exactly the same ports share a subset; an address
 * not ready on a port is not ready there even if another subset says it is. Sorted, so
 * the same endpoints always give the same subsets.
 */
export function repackSubsets(subsets: EndpointSubset[]): EndpointSubset[] {
  const addrs = new Map<string, EndpointAddress>();
  const portAddrs = new Map<string, { port: CoreEndpointPort | undefined; ready: Map<string, boolean> }>();
  const note = (a: EndpointAddress, port: CoreEndpointPort | undefined, ready: boolean) => {
    const aKey = addressKey(a);
    if (!addrs.has(aKey)) addrs.set(aKey, a);
    const pKey = port ? portKey(port) : '';
    let entry = portAddrs.get(pKey);
    if (!entry) {
      entry = { port, ready: new Map() };
      portAddrs.set(pKey, entry);
    }
    const was = entry.ready.get(aKey);
    if (was === undefined || was) entry.ready.set(aKey, ready); // not ready wins
  };
  for (const s of subsets) {
    const ports: Array<CoreEndpointPort | undefined> = s.ports && s.ports.length > 0 ? s.ports : [undefined];
    for (const port of ports) {
      for (const a of s.addresses ?? []) note(a, port, true);
      for (const a of s.notReadyAddresses ?? []) note(a, port, false);
    }
  }
  // Group the ports by the exact set of (address, ready) that offers them.
  const groups = new Map<string, { ready: Map<string, boolean>; ports: CoreEndpointPort[] }>();
  for (const { port, ready } of portAddrs.values()) {
    const gKey = JSON.stringify([...ready.entries()].sort(([a], [b]) => compare(a, b)));
    let g = groups.get(gKey);
    if (!g) {
      g = { ready, ports: [] };
      groups.set(gKey, g);
    }
    if (port) g.ports.push(port);
  }
  const out: EndpointSubset[] = [];
  for (const g of groups.values()) {
    const readyAddrs: EndpointAddress[] = [];
    const notReady: EndpointAddress[] = [];
    for (const [aKey, r] of g.ready) (r ? readyAddrs : notReady).push(addrs.get(aKey)!);
    readyAddrs.sort(lessAddress);
    notReady.sort(lessAddress);
    const ports = [...g.ports].sort((a, b) => compare(portKey(a), portKey(b)));
    out.push({
      ...(readyAddrs.length > 0 ? { addresses: readyAddrs } : {}),
      ...(notReady.length > 0 ? { notReadyAddresses: notReady } : {}),
      ...(ports.length > 0 ? { ports } : {}),
    });
  }
  return out.sort((a, b) => compare(JSON.stringify(a), JSON.stringify(b)));
}

/**
 * truncateEndpoints: over capacity, keep ready addresses first and share the room among
 * subsets in proportion to their size. Returns whether anything was cut.
 */
export function truncateSubsets(subsets: EndpointSubset[], max = MAX_ENDPOINTS_CAPACITY): { subsets: EndpointSubset[]; truncated: boolean } {
  let totalReady = 0;
  let totalNotReady = 0;
  for (const s of subsets) {
    totalReady += s.addresses?.length ?? 0;
    totalNotReady += s.notReadyAddresses?.length ?? 0;
  }
  if (totalReady + totalNotReady <= max) return { subsets, truncated: false };
  const truncateReady = totalReady > max;
  const room = truncateReady ? max : max - totalReady;
  const total = truncateReady ? totalReady : totalNotReady;
  let left = room;
  const out = subsets.map((s) => {
    const n = (truncateReady ? s.addresses : s.notReadyAddresses)?.length ?? 0;
    const take = Math.min(Math.ceil((n / total) * room), left);
    const next: EndpointSubset = { ...s };
    if (truncateReady) {
      next.addresses = (s.addresses ?? []).slice(0, take);
      delete next.notReadyAddresses;
      left -= next.addresses.length;
    } else {
      next.notReadyAddresses = (s.notReadyAddresses ?? []).slice(0, take);
      left -= next.notReadyAddresses.length;
    }
    if (next.addresses?.length === 0) delete next.addresses;
    if (next.notReadyAddresses?.length === 0) delete next.notReadyAddresses;
    return next;
  });
  return { subsets: out, truncated: true };
}

/** Subsets compared as upstream does: the targetRef's resourceVersion aside. */
export function sameSubsets(a: EndpointSubset[] | undefined, b: EndpointSubset[] | undefined): boolean {
  return canonical(a ?? []) === canonical(b ?? []);
}

function canonical(subsets: EndpointSubset[]): string {
  const addr = (x: EndpointAddress) => ({ ...x, ...(x.targetRef ? { targetRef: { ...x.targetRef, resourceVersion: undefined } } : {}) });
  return stableStringify(
    subsets.map((s) => ({
      addresses: (s.addresses ?? []).map(addr),
      notReadyAddresses: (s.notReadyAddresses ?? []).map(addr),
      ports: s.ports ?? [],
    })),
  );
}

/** JSON with object keys sorted and undefined dropped, for comparisons. */
export function stableStringify(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(stableStringify).join(',')}]`;
  if (v && typeof v === 'object') {
    const entries = Object.entries(v as Record<string, unknown>)
      .filter(([, x]) => x !== undefined)
      .sort(([a], [b]) => compare(a, b));
    return `{${entries.map(([k, x]) => `${JSON.stringify(k)}:${stableStringify(x)}`).join(',')}}`;
  }
  return JSON.stringify(v);
}

const addressKey = (a: EndpointAddress) => `${a.ip}\u0000${a.targetRef?.uid ?? ''}`;
const portKey = (p: CoreEndpointPort) => JSON.stringify([p.name ?? '', p.port, p.protocol ?? 'TCP', p.appProtocol ?? '']);

/** LessEndpointAddress: by IP, then by the target's uid. */
function lessAddress(a: EndpointAddress, b: EndpointAddress): number {
  return compare(a.ip, b.ip) || compare(a.targetRef?.uid ?? '', b.targetRef?.uid ?? '');
}

const compare = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
