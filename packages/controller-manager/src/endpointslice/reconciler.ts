/**
 * Upstream's EndpointSlice reconciler (k8s.io/endpointslice reconciler.go), as a pure
 * plan: given a Service, the Pods it selects and the slices it has, which slices to
 * create, update and delete. Endpoints are grouped by the ports they resolve to (a named
 * targetPort can differ per Pod), at most `maxEndpointsPerSlice` to a slice; existing
 * slices are kept where they are still right, filled before new ones are made, and a
 * slice about to be deleted is reused for one about to be created.
 */
import { isPodReady, type Node, type Pod, type Service } from '@minik8s/api';
import { findPort, isIPv6, isServiceIPSet, podIPs, shouldPodBeInEndpoints, shouldSetHostname } from './service-pods.ts';
import {
  type AddressType,
  type Endpoint,
  type EndpointPort,
  type EndpointSlice,
  LABEL_HEADLESS,
  LABEL_MANAGED_BY,
  LABEL_SERVICE_NAME,
  LABEL_ZONE,
  type ObjectReference,
} from './types.ts';

export interface PlanInput {
  service: Service;
  /** The Pods the Service selects. */
  pods: Pod[];
  /** The slices labelled for this Service and managed by this controller, not being deleted. */
  existing: EndpointSlice[];
  node(name: string): Node | undefined;
  maxEndpointsPerSlice: number;
  /** The managed-by label's value. */
  managedBy: string;
}

export interface SlicePlan {
  create: EndpointSlice[];
  update: EndpointSlice[];
  delete: EndpointSlice[];
  /** Why the sync must be tried again even once the plan is written. */
  errors: string[];
}

export function planEndpointSlices(input: PlanInput): SlicePlan {
  const plan: SlicePlan = { create: [], update: [], delete: [], errors: [] };
  const types = addressTypesFor(input.service);
  const byType = new Map<AddressType, EndpointSlice[]>();
  const unsupported: EndpointSlice[] = [];
  for (const s of input.existing) {
    if (!types.includes(s.addressType)) unsupported.push(s);
    else byType.set(s.addressType, [...(byType.get(s.addressType) ?? []), s]);
  }
  for (const t of types) {
    const p = planForAddressType(input, byType.get(t) ?? [], t);
    plan.create.push(...p.create);
    plan.update.push(...p.update);
    plan.delete.push(...p.delete);
    plan.errors.push(...p.errors);
  }
  plan.delete.push(...unsupported);
  return plan;
}

function planForAddressType(input: PlanInput, existing: EndpointSlice[], addressType: AddressType): SlicePlan {
  const { service: svc } = input;
  const errors: string[] = [];
  let toCreate: EndpointSlice[] = [];
  const toUpdate: EndpointSlice[] = [];
  let toDelete: EndpointSlice[] = [];

  const existingByPorts = new Map<string, EndpointSlice[]>();
  for (const s of existing) {
    if (!ownedBy(s, svc)) {
      toDelete.push(s); // left over from an earlier Service of the same name
      continue;
    }
    const key = portMapKey(s.ports ?? []);
    existingByPorts.set(key, [...(existingByPorts.get(key) ?? []), s]);
  }

  const desiredPorts = new Map<string, EndpointPort[]>();
  const desired = new Map<string, Map<string, Endpoint>>();
  const pods = [...input.pods].sort((a, b) => compare(a.metadata.name ?? '', b.metadata.name ?? ''));
  for (const pod of pods) {
    if (!shouldPodBeInEndpoints(pod, true)) continue;
    const ports = endpointPorts(svc, pod);
    const key = portMapKey(ports);
    if (!desired.has(key)) {
      desired.set(key, new Map());
      desiredPorts.set(key, ports);
    }
    const nodeName = pod.spec?.nodeName ?? '';
    const node = nodeName ? input.node(nodeName) : undefined;
    if (!node && !svc.spec?.publishNotReadyAddresses) {
      // Left out for now and retried: the Pod garbage collector removes Pods of deleted Nodes.
      errors.push(`skipping Pod ${pod.metadata.name} for Service ${svc.metadata.namespace}/${svc.metadata.name}: Node ${nodeName} Not Found`);
      continue;
    }
    const ep = podToEndpoint(pod, node, svc, addressType);
    if (ep.addresses.length > 0) desired.get(key)!.set(endpointKey(ep), ep);
  }

  for (const [key, eps] of desired) {
    const p = planForPorts(input, existingByPorts.get(key) ?? [], eps, desiredPorts.get(key)!, addressType);
    toCreate.push(...p.create);
    toUpdate.push(...p.update);
    toDelete.push(...p.delete);
  }
  for (const [key, slices] of existingByPorts) if (!desired.has(key)) toDelete.push(...slices);

  // A Service with no endpoints still gets one (empty) slice.
  if (existing.length === toDelete.length && toCreate.length === 0) {
    const placeholder = newSlice(input, [], addressType);
    if (toDelete.length === 1 && isSamePlaceholder(toDelete[0]!, placeholder)) toDelete = [];
    else toCreate.push(placeholder);
  }

  // Rather than delete one slice and create another, update the first into the second.
  for (let i = 0; i < toDelete.length && toCreate.length > 0; ) {
    const old = toDelete[i]!;
    const next = toCreate[toCreate.length - 1]!;
    if (old.addressType === next.addressType && ownedBy(old, svc)) {
      toCreate = toCreate.slice(0, -1);
      const { name, generateName, resourceVersion, annotations } = old.metadata;
      toUpdate.push({
        ...next,
        metadata: { ...next.metadata, name, generateName, resourceVersion, ...(annotations ? { annotations: { ...annotations } } : {}) },
      });
      toDelete.splice(i, 1);
    } else {
      i++;
    }
  }
  return { create: toCreate, update: toUpdate, delete: toDelete, errors };
}

/**
 * reconcileByPortMapping: 1. drop endpoints no longer wanted and refresh changed ones in
 * place; 2. top up the slices already being updated; 3. put what is left into the
 * unchanged slice it fills best, or into new slices.
 */
function planForPorts(input: PlanInput, existing: EndpointSlice[], desired: Map<string, Endpoint>, ports: EndpointPort[], addressType: AddressType) {
  const max = input.maxEndpointsPerSlice;
  const byName = new Map<string, EndpointSlice>();
  const unchanged = new Set<string>();
  const toUpdate = new Set<string>();
  const toDelete = new Set<string>();

  for (const s of existing) {
    const name = s.metadata.name!;
    byName.set(name, s);
    const current = s.endpoints ?? [];
    const kept: Endpoint[] = [];
    let changed = false;
    for (const ep of current) {
      const key = endpointKey(ep);
      const want = desired.get(key);
      if (!want) continue;
      kept.push(want);
      if (!endpointsEqualBeyondKey(want, ep)) changed = true;
      desired.delete(key);
    }
    const { labels, changed: labelsChanged } = sliceLabels(s.metadata.labels, input);
    if (changed || kept.length !== current.length) {
      if (kept.length === 0) {
        toDelete.add(name);
      } else {
        const next = cloneSlice(s);
        next.endpoints = kept;
        next.metadata.labels = labels;
        byName.set(name, next);
        toUpdate.add(name);
      }
    } else if (labelsChanged) {
      const next = cloneSlice(s);
      next.metadata.labels = labels;
      byName.set(name, next);
      toUpdate.add(name);
    } else {
      unchanged.add(name);
    }
  }

  const pop = (): Endpoint => {
    const [key, ep] = desired.entries().next().value as [string, Endpoint];
    desired.delete(key);
    return ep;
  };

  if (desired.size > 0 && toUpdate.size > 0) {
    const fullestFirst = [...toUpdate].map((n) => byName.get(n)!).sort((a, b) => b.endpoints.length - a.endpoints.length);
    for (const s of fullestFirst) while (desired.size > 0 && s.endpoints.length < max) s.endpoints.push(pop());
  }

  const create: EndpointSlice[] = [];
  while (desired.size > 0) {
    let fill: EndpointSlice | undefined;
    if (desired.size < max && unchanged.size > 0) {
      const found = sliceToFill(
        [...unchanged].map((n) => byName.get(n)!),
        desired.size,
        max,
      );
      if (found) {
        fill = cloneSlice(found);
        byName.set(fill.metadata.name!, fill);
      }
    }
    fill ??= newSlice(input, ports, addressType);
    while (desired.size > 0 && fill.endpoints.length < max) fill.endpoints.push(pop());
    if (fill.metadata.name) {
      toUpdate.add(fill.metadata.name);
      unchanged.delete(fill.metadata.name);
    } else {
      create.push(fill);
    }
  }
  return {
    create,
    update: [...toUpdate].map((n) => byName.get(n)!),
    delete: [...toDelete].map((n) => byName.get(n)!),
  };
}

/** The unchanged slice that `n` more endpoints would bring closest to full, if any fits. */
function sliceToFill(slices: EndpointSlice[], n: number, max: number): EndpointSlice | undefined {
  let best: EndpointSlice | undefined;
  let bestDiff = max;
  for (const s of slices) {
    const diff = max - (n + s.endpoints.length);
    if (diff >= 0 && diff < bestDiff) {
      bestDiff = diff;
      best = s;
      if (diff === 0) break;
    }
  }
  return best;
}

// ------------------------------------------------------------------ one Pod, one endpoint

/** The address types a Service's slices carry: its IP families (older Services: by cluster IP, or both). */
export function addressTypesFor(svc: Service): AddressType[] {
  const families = svc.spec?.ipFamilies ?? [];
  const types: AddressType[] = [];
  if (families.includes('IPv4')) types.push('IPv4');
  if (families.includes('IPv6')) types.push('IPv6');
  if (types.length > 0) return types;
  if (isServiceIPSet(svc)) return [isIPv6(svc.spec!.clusterIP!) ? 'IPv6' : 'IPv4'];
  return ['IPv4', 'IPv6'];
}

/** podToEndpoint: serving = Ready; ready = serving and not terminating (or publishNotReadyAddresses). */
export function podToEndpoint(pod: Pod, node: Node | undefined, svc: Service, addressType: AddressType): Endpoint {
  const serving = isPodReady(pod);
  const terminating = !!pod.metadata.deletionTimestamp;
  const ready = !!svc.spec?.publishNotReadyAddresses || (serving && !terminating);
  const ep: Endpoint = {
    addresses: podIPs(pod).filter((ip) => isIPv6(ip) === (addressType === 'IPv6')),
    conditions: { ready, serving, terminating },
    targetRef: { kind: 'Pod', namespace: pod.metadata.namespace, name: pod.metadata.name, uid: pod.metadata.uid },
  };
  if (pod.spec?.nodeName) ep.nodeName = pod.spec.nodeName;
  const zone = node?.metadata.labels?.[LABEL_ZONE];
  if (zone) ep.zone = zone;
  if (shouldSetHostname(pod, svc)) ep.hostname = pod.spec!.hostname!;
  return ep;
}

/** The Service's ports as this Pod serves them (a port whose targetPort the Pod lacks is left out). */
export function endpointPorts(svc: Service, pod: Pod): EndpointPort[] {
  const out: EndpointPort[] = [];
  for (const sp of svc.spec?.ports ?? []) {
    const port = findPort(pod, sp);
    if (port === undefined) continue;
    out.push({ name: sp.name ?? '', port, protocol: sp.protocol ?? 'TCP', ...(sp.appProtocol ? { appProtocol: sp.appProtocol } : {}) });
  }
  return out;
}

/** Which group of slices a port list belongs to (order does not matter). */
export function portMapKey(ports: EndpointPort[]): string {
  return JSON.stringify(ports.map((p) => JSON.stringify([p.name ?? '', p.protocol ?? 'TCP', p.port ?? null, p.appProtocol ?? null])).sort());
}

/** An endpoint's identity (upstream's endpoint hash): addresses, hostname, and the Pod it is. */
export function endpointKey(ep: Endpoint): string {
  return JSON.stringify([[...ep.addresses].sort(), ep.hostname ?? '', ep.targetRef?.namespace ?? '', ep.targetRef?.name ?? '']);
}

/** EndpointsEqualBeyondHash: the rest that can change in place. */
function endpointsEqualBeyondKey(a: Endpoint, b: Endpoint): boolean {
  return (
    a.nodeName === b.nodeName &&
    a.zone === b.zone &&
    a.conditions?.ready === b.conditions?.ready &&
    a.conditions?.serving === b.conditions?.serving &&
    a.conditions?.terminating === b.conditions?.terminating &&
    sameRef(a.targetRef, b.targetRef)
  );
}

/** Object references, the resourceVersion aside. */
function sameRef(a: ObjectReference | undefined, b: ObjectReference | undefined): boolean {
  if (!a || !b) return a === b;
  return (
    a.kind === b.kind && a.namespace === b.namespace && a.name === b.name && a.uid === b.uid && a.apiVersion === b.apiVersion && a.fieldPath === b.fieldPath
  );
}

// ------------------------------------------------------------------ slices

const RESERVED = new Set([LABEL_SERVICE_NAME, LABEL_MANAGED_BY, LABEL_HEADLESS]);

/**
 * A slice's labels are the Service's (but reserved keys), the headless label when it has
 * no cluster IP, the service-name and managed-by labels. `changed` when the Service's own
 * labels differ from what the slice carries.
 */
export function sliceLabels(
  current: Record<string, string> | undefined,
  input: Pick<PlanInput, 'service' | 'managedBy'>,
): { labels: Record<string, string>; changed: boolean } {
  const svc = input.service;
  const mine = Object.entries(current ?? {}).filter(([k]) => !RESERVED.has(k));
  const wanted = Object.entries(svc.metadata.labels ?? {}).filter(([k]) => !RESERVED.has(k));
  const changed = mine.length !== wanted.length || wanted.some(([k, v]) => current?.[k] !== v);
  const labels: Record<string, string> = Object.fromEntries(wanted);
  if (!isServiceIPSet(svc)) labels[LABEL_HEADLESS] = '';
  labels[LABEL_SERVICE_NAME] = svc.metadata.name!;
  labels[LABEL_MANAGED_BY] = input.managedBy;
  return { labels, changed };
}

export function newSlice(input: Pick<PlanInput, 'service' | 'managedBy'>, ports: EndpointPort[], addressType: AddressType): EndpointSlice {
  const svc = input.service;
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: {
      generateName: `${svc.metadata.name}-`,
      namespace: svc.metadata.namespace,
      labels: sliceLabels({}, input).labels,
      ownerReferences: [{ apiVersion: 'v1', kind: 'Service', name: svc.metadata.name!, uid: svc.metadata.uid!, controller: true, blockOwnerDeletion: true }],
    },
    addressType,
    endpoints: [],
    ...(ports.length > 0 ? { ports } : {}),
  };
}

export function ownedBy(s: EndpointSlice, svc: Service): boolean {
  return (s.metadata.ownerReferences ?? []).some((o) => o.uid === svc.metadata.uid && o.kind === 'Service' && o.apiVersion === 'v1');
}

/** The empty slice already there is the placeholder we would make (namespace, labels, type, nothing in it). */
function isSamePlaceholder(s: EndpointSlice, p: EndpointSlice): boolean {
  const a = s.metadata.labels ?? {};
  const b = p.metadata.labels ?? {};
  return (
    s.metadata.namespace === p.metadata.namespace &&
    Object.keys(a).length === Object.keys(b).length &&
    Object.entries(b).every(([k, v]) => a[k] === v) &&
    s.addressType === p.addressType &&
    (s.endpoints ?? []).length === 0 &&
    (s.ports ?? []).length === 0
  );
}

/** A writable copy of a cached slice. */
function cloneSlice(s: EndpointSlice): EndpointSlice {
  const c = structuredClone(s);
  c.apiVersion = 'discovery.k8s.io/v1';
  c.kind = 'EndpointSlice';
  c.endpoints ??= [];
  return c;
}

const compare = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
