/**
 * What both the EndpointSlice and the Endpoints controller ask of a Service and its Pods
 * (upstream's k8s.io/endpointslice/util): which Services select a Pod, whether a Pod
 * belongs in the endpoints at all, and which port a Service port resolves to on it.
 */
import { isPodReady, isPodTerminal, type KubeObject, type Pod, type Service } from '@minik8s/api';
import { type Informer, NAMESPACE_INDEX, objectKey } from '@minik8s/client/kube';

type ServicePort = NonNullable<NonNullable<Service['spec']>['ports']>[number];

/**
 * The Service's selector, or undefined when it has none. An empty selector counts as
 * none: upstream's is a nil map after a round trip through the store (omitempty), and a
 * nil selector selects nothing.
 */
export function serviceSelector(svc: Service): Record<string, string> | undefined {
  const sel = svc.spec?.selector;
  return sel && Object.keys(sel).length > 0 ? sel : undefined;
}

/** Services whose endpoints the controllers maintain: a selector, and not ExternalName. */
export function managesEndpointsOf(svc: Service): boolean {
  return svc.spec?.type !== 'ExternalName' && serviceSelector(svc) !== undefined;
}

export function selectorMatches(sel: Record<string, string>, labels: Record<string, string> | undefined): boolean {
  for (const [k, v] of Object.entries(sel)) if (labels?.[k] !== v) return false;
  return true;
}

/** The Pods in the Service's namespace that its selector matches. */
export function selectedPods(svc: Service, podsInNamespace: Pod[]): Pod[] {
  const sel = serviceSelector(svc);
  if (!sel) return [];
  return podsInNamespace.filter((p) => selectorMatches(sel, p.metadata.labels));
}

/** Keys of the Services (among `services`, the Pod's namespace's) selecting the Pod. */
export function servicesForPod(services: Service[], pod: Pod): Set<string> {
  const keys = new Set<string>();
  for (const svc of services) {
    const sel = serviceSelector(svc);
    if (sel && svc.metadata.namespace === pod.metadata.namespace && selectorMatches(sel, pod.metadata.labels)) keys.add(objectKey(svc));
  }
  return keys;
}

/**
 * GetServicesToUpdateOnPodChange: nothing for a resync (same resourceVersion) or a change
 * that moves no endpoint; the Services selecting the Pod before or after otherwise.
 */
export function servicesToUpdateOnPodChange(services: Service[], old: Pod, cur: Pod): Set<string> {
  if (old.metadata.resourceVersion === cur.metadata.resourceVersion) return new Set();
  const labelsChanged =
    JSON.stringify(sortedEntries(old.metadata.labels)) !== JSON.stringify(sortedEntries(cur.metadata.labels)) ||
    old.spec?.hostname !== cur.spec?.hostname ||
    old.spec?.subdomain !== cur.spec?.subdomain;
  const podChanged =
    old.metadata.deletionTimestamp !== cur.metadata.deletionTimestamp ||
    isPodReady(old) !== isPodReady(cur) ||
    isPodTerminal(old) !== isPodTerminal(cur) ||
    podIPs(old).join(',') !== podIPs(cur).join(',') ||
    old.spec?.nodeName !== cur.spec?.nodeName;
  if (!podChanged && !labelsChanged) return new Set();
  const now = servicesForPod(services, cur);
  if (!labelsChanged) return now;
  const before = servicesForPod(services, old);
  if (podChanged) return new Set([...now, ...before]);
  // Only membership changed: the Services the Pod joined or left.
  return new Set([...[...now].filter((k) => !before.has(k)), ...[...before].filter((k) => !now.has(k))]);
}

const sortedEntries = (m: Record<string, string> | undefined) => Object.entries(m ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));

/** The Pod's IPs: `status.podIPs`, or `status.podIP` when only that is set. */
export function podIPs(pod: Pod): string[] {
  const ips = (pod.status?.podIPs ?? []).map((p) => p.ip).filter((ip): ip is string => !!ip);
  if (ips.length > 0) return ips;
  return pod.status?.podIP ? [pod.status.podIP] : [];
}

export const isIPv6 = (ip: string) => ip.includes(':');

/**
 * ShouldPodBeInEndpoints: not terminal, has an IP, and (unless `includeTerminating`) is
 * not being deleted.
 */
export function shouldPodBeInEndpoints(pod: Pod, includeTerminating: boolean): boolean {
  if (isPodTerminal(pod)) return false;
  if (podIPs(pod).length === 0) return false;
  if (!includeTerminating && pod.metadata.deletionTimestamp) return false;
  return true;
}

/** A Pod's hostname is published when its subdomain names the Service (same namespace). */
export function shouldSetHostname(pod: Pod, svc: Service): boolean {
  return !!pod.spec?.hostname && pod.spec.subdomain === svc.metadata.name && pod.metadata.namespace === svc.metadata.namespace;
}

/** Has a cluster IP (not headless). */
export function isServiceIPSet(svc: Service): boolean {
  const ip = svc.spec?.clusterIP;
  return !!ip && ip !== 'None';
}

/**
 * FindPort: a numeric targetPort as it is; a named one looked up in the Pod's container
 * ports (then its sidecars', init containers with restartPolicy Always) with the same
 * protocol. Undefined when the Pod has no such port.
 */
export function findPort(pod: Pod, sp: ServicePort): number | undefined {
  const target = sp.targetPort ?? sp.port;
  if (typeof target === 'number') return target;
  const protocol = sp.protocol ?? 'TCP';
  const containers = [...(pod.spec?.containers ?? []), ...(pod.spec?.initContainers ?? []).filter((c) => c.restartPolicy === 'Always')];
  for (const c of containers) {
    for (const p of c.ports ?? []) if (p.name === target && (p.protocol ?? 'TCP') === protocol) return p.containerPort;
  }
  return undefined;
}

/** The object an event is about (with the kind the cache may lack). */
export const serviceObject = (svc: Service): KubeObject => ({ ...(svc as KubeObject), apiVersion: 'v1', kind: 'Service' });

/** A create refused because the namespace is being deleted: every retry would fail too. */
export function isNamespaceTerminating(e: unknown): boolean {
  const details = (e as { status?: { details?: { causes?: Array<{ reason?: string }> } } }).status?.details;
  return details?.causes?.some((c) => c.reason === 'NamespaceTerminating') ?? false;
}

/**
 * The keys both controllers sync on: a Service's own, on any change of it, and the
 * Services a Pod joins, leaves or changes readiness, IPs or ports for. `pods` and
 * `services` are indexed by namespace.
 */
export function enqueueServicesOnChanges(services: Informer<Service & KubeObject>, pods: Informer<Pod & KubeObject>, enqueue: (key: string) => void): void {
  const inNamespace = (p: Pod) => services.byIndex(NAMESPACE_INDEX, p.metadata?.namespace ?? '');
  const all = (keys: Iterable<string>) => {
    for (const k of keys) enqueue(k);
  };
  services.addEventHandler({
    onAdd: (svc) => enqueue(objectKey(svc)),
    onUpdate: (_old, svc) => enqueue(objectKey(svc)),
    onDelete: (svc) => enqueue(objectKey(svc)),
  });
  pods.addEventHandler({
    onAdd: (p) => all(servicesForPod(inNamespace(p), p)),
    onUpdate: (old, p) => all(servicesToUpdateOnPodChange(inNamespace(p), old, p)),
    onDelete: (p) => all(servicesForPod(inNamespace(p), p)),
  });
}
