/**
 * What a DELETE does to one object, decided without touching the store: keep it as it
 * is, mark it (deletionTimestamp, finalizers) for someone else to finish, or remove it.
 * The kind's strategy says whether it is graceful (Pods) or only marked (Namespaces);
 * propagation policies add or take away the garbage collector's finalizers.
 */
import { isDeepStrictEqual } from 'node:util';
import { apiErrors, type KubeObject, type ResourceInfo, rfc3339, type Status } from '@minik8s/api';
import type { Strategy } from '../registry/index.ts';

export interface DeleteOptions {
  dryRun?: boolean;
  propagationPolicy?: string;
  gracePeriodSeconds?: number;
  preconditions?: { uid?: string; resourceVersion?: string };
}

export const PROPAGATION_POLICIES = ['Foreground', 'Background', 'Orphan'];

export type DeletionPlan = { action: 'keep' } | { action: 'mark'; next: KubeObject } | { action: 'remove' };

export function planDeletion(cur: KubeObject, strategy: Strategy, o: DeleteOptions, now: Date): DeletionPlan {
  if (strategy.markDeleted) {
    // Deletion someone else finishes (a Namespace's lifecycle empties it first).
    const next = strategy.markDeleted(cur, now);
    return next === cur ? { action: 'keep' } : { action: 'mark', next };
  }
  const grace = strategy.gracePeriodSeconds(cur, o.gracePeriodSeconds);
  if (grace > 0) {
    // Graceful (Pods on a node): marked, and the kubelet stops the containers and then
    // deletes the Pod with a grace period of 0. A later delete may only shorten it.
    const prev = cur.metadata.deletionGracePeriodSeconds;
    if (cur.metadata.deletionTimestamp && prev !== undefined && prev <= grace) return { action: 'keep' };
    const next = structuredClone(cur);
    next.metadata.finalizers = gcFinalizers(cur.metadata.finalizers ?? [], o.propagationPolicy);
    if (next.metadata.finalizers.length === 0) delete next.metadata.finalizers;
    next.metadata.deletionTimestamp = rfc3339(new Date(now.getTime() + grace * 1000));
    next.metadata.deletionGracePeriodSeconds = grace;
    return { action: 'mark', next };
  }
  const finalizers = gcFinalizers(cur.metadata.finalizers ?? [], o.propagationPolicy);
  if (finalizers.length === 0) return { action: 'remove' };
  // Graceful: mark it, and let whoever owns each finalizer finish the job (the garbage
  // collector owns foregroundDeletion and orphan).
  const changed = !isDeepStrictEqual([...finalizers].sort(), [...(cur.metadata.finalizers ?? [])].sort());
  if (cur.metadata.deletionTimestamp && !changed) return { action: 'keep' };
  const next = structuredClone(cur);
  next.metadata.finalizers = finalizers;
  next.metadata.deletionTimestamp ??= rfc3339(now);
  next.metadata.deletionGracePeriodSeconds ??= 0;
  return { action: 'mark', next };
}

/** DeleteOptions' preconditions: a 409 Conflict when the object is not the one meant. */
export function checkPreconditions(r: ResourceInfo, cur: KubeObject, pre: DeleteOptions['preconditions']): void {
  const name = cur.metadata.name!;
  if (pre?.uid && pre.uid !== cur.metadata.uid) {
    throw apiErrors.conflict(r, name, `Precondition failed: UID in precondition: ${pre.uid}, UID in object meta: ${cur.metadata.uid}`);
  }
  if (pre?.resourceVersion && pre.resourceVersion !== cur.metadata.resourceVersion) {
    throw apiErrors.conflict(
      r,
      name,
      `Precondition failed: ResourceVersion in precondition: ${pre.resourceVersion}, ResourceVersion in object meta: ${cur.metadata.resourceVersion}`,
    );
  }
}

/**
 * The finalizers an object gets when deleted with a propagation policy (upstream's
 * deletionFinalizersForGarbageCollection): Foreground adds foregroundDeletion, Orphan
 * adds orphan, Background takes both away; no policy keeps what the object has.
 */
export function gcFinalizers(current: string[], policy: string | undefined): string[] {
  if (policy === undefined) return [...current];
  const rest = current.filter((f) => f !== 'orphan' && f !== 'foregroundDeletion');
  if (policy === 'Orphan') rest.push('orphan');
  if (policy === 'Foreground') rest.push('foregroundDeletion');
  return rest;
}

/** What a DELETE answers when the object is gone: a Status Success naming it. */
export function deletedStatus(r: ResourceInfo, o: KubeObject): Status {
  return {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Success',
    details: { name: o.metadata.name, group: r.group || undefined, kind: r.plural, uid: o.metadata.uid },
  } as Status;
}
