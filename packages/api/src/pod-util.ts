/**
 * Pod helpers every component needs, as upstream's podutil has them: readiness,
 * availability, conditions, and the controller owner reference.
 */
import type { OwnerReference } from './meta.ts';
import type { PodCondition, PodStatus } from './types.ts';

/** Anything with a Pod's status: a `Pod`, or a plain upstream-typed one. */
type WithPodStatus = { status?: PodStatus };

export function getPodCondition(pod: WithPodStatus, type: string): PodCondition | undefined {
  return pod.status?.conditions?.find((c) => c.type === type);
}

/** True if the Pod's Ready condition is True. */
export function isPodReady(pod: WithPodStatus): boolean {
  return getPodCondition(pod, 'Ready')?.status === 'True';
}

/** Ready for at least `minReadySeconds` at time `now` (ms), as upstream's IsPodAvailable. */
export function isPodAvailable(pod: WithPodStatus, minReadySeconds: number, now: number): boolean {
  const ready = getPodCondition(pod, 'Ready');
  if (ready?.status !== 'True') return false;
  if (minReadySeconds <= 0) return true;
  const since = ready.lastTransitionTime ? Date.parse(ready.lastTransitionTime) : Number.NaN;
  return !Number.isNaN(since) && since + minReadySeconds * 1000 <= now;
}

/** True once the Pod has finished (Succeeded or Failed) or is being deleted. */
export function isPodTerminal(pod: WithPodStatus): boolean {
  return pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed';
}

export function isBeingDeleted(obj: { metadata?: { deletionTimestamp?: string } }): boolean {
  return !!obj.metadata?.deletionTimestamp;
}

/**
 * Sets a condition on a status (in place), keeping `lastTransitionTime` when the status
 * did not change, as the kubelet and controllers do. Returns true if anything changed.
 */
export function setCondition<C extends { type: string; status: string; lastTransitionTime?: string; reason?: string; message?: string }>(
  conditions: C[],
  next: C,
  now: string,
): boolean {
  const i = conditions.findIndex((c) => c.type === next.type);
  const prev = i >= 0 ? conditions[i] : undefined;
  if (prev && prev.status === next.status && prev.reason === next.reason && prev.message === next.message) return false;
  const merged = { ...next, lastTransitionTime: prev && prev.status === next.status ? prev.lastTransitionTime : now };
  if (i >= 0) conditions[i] = merged;
  else conditions.push(merged);
  return true;
}

/** The owner reference with `controller: true`, if any. */
export function controllerRef(obj: { metadata?: { ownerReferences?: OwnerReference[] } }): OwnerReference | undefined {
  return obj.metadata?.ownerReferences?.find((r) => r.controller === true);
}
