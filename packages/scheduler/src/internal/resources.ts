/**
 * What a Pod asks of a node, computed as upstream's resource helpers do: the sum of its
 * containers' requests, or the largest init container's (plus the sidecars started before
 * it) if that is more, plus the Pod's overhead. CPU is in milli-CPU, everything else in
 * whole units (bytes for memory).
 */
import { milliCpu, type Pod, parseUnits } from '@minik8s/api';

/** Resource name → amount (cpu in milli-CPU, the rest in units). */
export type ResourceList = Map<string, number>;

/** Upstream's defaults for containers that request nothing, used only for scoring. */
export const DEFAULT_MILLI_CPU_REQUEST = 100;
export const DEFAULT_MEMORY_REQUEST = 200 * 1024 * 1024;

/** Resources the scheduler accounts for: cpu, memory, ephemeral-storage, hugepages and extended resources. */
export function isAccountedResource(name: string): boolean {
  return name === 'cpu' || name === 'memory' || name === 'ephemeral-storage' || name.startsWith('hugepages-') || name.includes('/');
}

export function amount(name: string, value: string | number | undefined): number {
  if (value === undefined) return 0;
  return name === 'cpu' ? milliCpu(value) : Number(parseUnits(value));
}

/** A resource list (`{cpu: '500m'}`) parsed into amounts, keeping only accounted resources. */
export function parseResourceList(list: Record<string, string | number> | undefined): ResourceList {
  const out: ResourceList = new Map();
  for (const [name, value] of Object.entries(list ?? {})) {
    if (isAccountedResource(name)) out.set(name, amount(name, value));
  }
  return out;
}

function addInto(into: ResourceList, r: ResourceList): void {
  for (const [k, v] of r) into.set(k, (into.get(k) ?? 0) + v);
}

function maxInto(into: ResourceList, r: ResourceList): void {
  for (const [k, v] of r) into.set(k, Math.max(into.get(k) ?? 0, v));
}

type ContainerLike = {
  resources?: { requests?: Record<string, string | number>; limits?: Record<string, string | number> };
  restartPolicy?: string;
};

/** A container's requests; a resource with a limit but no request requests its limit (as API defaulting does). */
function containerRequests(c: ContainerLike, nonZero: boolean): ResourceList {
  const r = parseResourceList({ ...(c.resources?.limits ?? {}), ...(c.resources?.requests ?? {}) });
  if (nonZero) {
    if (!r.has('cpu')) r.set('cpu', DEFAULT_MILLI_CPU_REQUEST);
    if (!r.has('memory')) r.set('memory', DEFAULT_MEMORY_REQUEST);
  }
  return r;
}

/**
 * The Pod's effective requests. With `nonZero`, containers without a cpu or memory request
 * count upstream's defaults (100m, 200Mi), so scoring does not pile request-less Pods on
 * one node.
 */
export function podRequests(pod: Pod, nonZero = false): ResourceList {
  const spec = pod.spec;
  const reqs: ResourceList = new Map();
  for (const c of spec?.containers ?? []) addInto(reqs, containerRequests(c as ContainerLike, nonZero));
  const sidecars: ResourceList = new Map();
  const initMax: ResourceList = new Map();
  for (const c of spec?.initContainers ?? []) {
    const r = containerRequests(c as ContainerLike, nonZero);
    if ((c as ContainerLike).restartPolicy === 'Always') {
      // A sidecar runs alongside the app containers and every later init container.
      addInto(reqs, r);
      addInto(sidecars, r);
      maxInto(initMax, sidecars);
    } else {
      const withSidecars = new Map(sidecars);
      addInto(withSidecars, r);
      maxInto(initMax, withSidecars);
    }
  }
  maxInto(reqs, initMax);
  addInto(reqs, parseResourceList(spec?.overhead as Record<string, string> | undefined));
  return reqs;
}
