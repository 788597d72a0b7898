/**
 * ControllerRevision history, as upstream's pkg/controller/history for the controllers
 * that keep their past templates as apps/v1 ControllerRevisions (DaemonSet, StatefulSet):
 * a revision is `<parent>-<hash>`, numbered (`revision`) in increasing order, controlled
 * by its parent, labelled with the parent's template labels plus `controller-revision-hash`
 * (the label the parent's Pods carry too), and holds the parent's state as `data`.
 * `kubectl rollout history` and `rollout undo` read them by the parent's selector and
 * controller reference.
 */
import { type ControllerRevision, controllerRef, type KubeObject } from '@minik8s/api';
import type { LabelSelector } from '@minik8s/api/selectors';
import { isAlreadyExists, isNotFound, type KubeClient, type ResourceRef } from '@minik8s/client/kube';
import { claimChildren, newControllerRef, type OwnerKind } from './controller-ref.ts';
import { fnv32, safeEncodeString, stableJson } from './hash.ts';
import { CONTROLLER_REVISIONS, refTo } from './resources.ts';

/** The label on revisions and Pods naming the revision (apps.ControllerRevisionHashLabelKey). */
export const CONTROLLER_REVISION_HASH = 'controller-revision-hash';
/** revisionHistoryLimit when the parent says nothing (the API server defaults it too). */
export const DEFAULT_REVISION_HISTORY_LIMIT = 10;

/** Upstream's ControllerRevisionName: the prefix cut to 223 characters so the name stays valid. */
export function controllerRevisionName(prefix: string, hash: string): string {
  return `${prefix.length > 223 ? prefix.slice(0, 223) : prefix}-${hash}`;
}

/**
 * Upstream's HashControllerRevision: FNV-32 of the revision's data (here its canonical
 * JSON, the bytes upstream stores for data it built with json.Marshal of a map), then the
 * collision count in decimal, safe-encoded.
 */
export function hashControllerRevision(data: unknown, collisionCount?: number): string {
  const enc = new TextEncoder();
  let h = fnv32(enc.encode(stableJson(data ?? null)));
  if (collisionCount !== undefined) h = fnv32(enc.encode(String(collisionCount)), h);
  return safeEncodeString(String(h));
}

export interface NewRevision {
  parent: KubeObject;
  parentKind: OwnerKind;
  /** The parent's template labels; the revision carries them plus the hash label. */
  templateLabels?: Record<string, string>;
  data: unknown;
  revision: number;
  /** The name's hash: by default hashControllerRevision(data, collisionCount). */
  hash?: string;
  collisionCount?: number;
  annotations?: Record<string, string>;
}

/** Upstream's NewControllerRevision: not yet created. */
export function newControllerRevision(o: NewRevision): ControllerRevision {
  const hash = o.hash ?? hashControllerRevision(o.data, o.collisionCount);
  return {
    apiVersion: 'apps/v1',
    kind: 'ControllerRevision',
    metadata: {
      name: controllerRevisionName(o.parent.metadata.name!, hash),
      namespace: o.parent.metadata.namespace,
      labels: { ...(o.templateLabels ?? {}), [CONTROLLER_REVISION_HASH]: hash },
      ...(o.annotations && Object.keys(o.annotations).length ? { annotations: { ...o.annotations } } : {}),
      ownerReferences: [newControllerRef(o.parent, o.parentKind)],
    },
    data: structuredClone(o.data) as ControllerRevision['data'],
    revision: o.revision,
  };
}

/** The revision's hash: its label, or (for revisions made before the label) its name. */
export const revisionHash = (r: ControllerRevision): string => r.metadata.labels?.[CONTROLLER_REVISION_HASH] ?? r.metadata.name!;

/** Upstream's EqualRevision: the same data. */
export function equalRevision(a: ControllerRevision | undefined, b: ControllerRevision | undefined): boolean {
  if (!a || !b) return a === b;
  return stableJson(a.data ?? null) === stableJson(b.data ?? null);
}

/** Does the revision hold this data? */
export const revisionHolds = (r: ControllerRevision, data: unknown): boolean => stableJson(r.data ?? null) === stableJson(data ?? null);

/** Upstream's FindEqualRevisions. */
export const findEqualRevisions = (revisions: ControllerRevision[], needle: ControllerRevision): ControllerRevision[] =>
  revisions.filter((r) => equalRevision(r, needle));

/** Upstream's SortControllerRevisions: by revision, then creation, then name. */
export function sortRevisions(revisions: ControllerRevision[]): ControllerRevision[] {
  const created = (r: ControllerRevision) => Date.parse(r.metadata.creationTimestamp ?? '') || 0;
  return [...revisions].sort(
    (a, b) => a.revision - b.revision || created(a) - created(b) || (a.metadata.name! < b.metadata.name! ? -1 : a.metadata.name! > b.metadata.name! ? 1 : 0),
  );
}

/** Upstream's NextRevision: one more than the highest (1 for none). */
export const nextRevision = (revisions: ControllerRevision[]): number => revisions.reduce((m, r) => Math.max(m, r.revision), 0) + 1;

/** The highest revision number among these (0 for none). */
export const maxRevision = (revisions: ControllerRevision[]): number => revisions.reduce((m, r) => Math.max(m, r.revision), 0);

export interface ClaimRevisions {
  client: KubeClient;
  parent: KubeObject;
  parentKind: OwnerKind;
  /** The parent's collection (adoption re-reads the parent). */
  parentResource: ResourceRef;
  selector: LabelSelector;
  /** Every revision in the parent's namespace (an informer's list). */
  candidates: ControllerRevision[];
}

/**
 * Upstream's ListControllerRevisions plus ClaimControllerRevisions: the revisions the
 * parent controls, orphans its selector matches adopted, its own that stopped matching
 * released.
 */
export async function claimRevisions(o: ClaimRevisions): Promise<ControllerRevision[]> {
  const ns = o.parent.metadata.namespace;
  const candidates = o.candidates.filter((r) => r.metadata.namespace === ns && (!controllerRef(r) || controllerRef(r)!.uid === o.parent.metadata.uid));
  return claimChildren<ControllerRevision>({
    client: o.client,
    owner: o.parent,
    ownerKind: o.parentKind,
    ownerResource: o.parentResource,
    childResource: CONTROLLER_REVISIONS,
    selector: o.selector,
    candidates,
  });
}

/**
 * Upstream's CreateControllerRevision: create `revision`; if its name is taken by a
 * revision with the same data, that one is the answer; taken by other data (a hash
 * collision), the collision count goes up and the name is hashed again. Returns the
 * revision and the collision count to store in the parent's status.
 */
export async function createControllerRevision(
  client: KubeClient,
  o: NewRevision & { hashFor?: (collisionCount: number) => string },
): Promise<{ revision: ControllerRevision; collisionCount: number }> {
  let collisionCount = o.collisionCount ?? 0;
  for (let attempt = 0; attempt < 100; attempt++) {
    const hash = o.hashFor ? o.hashFor(collisionCount) : hashControllerRevision(o.data, collisionCount);
    const rev = newControllerRevision({ ...o, hash });
    try {
      const created = await client.create<ControllerRevision>(CONTROLLER_REVISIONS, rev);
      return { revision: created, collisionCount };
    } catch (e) {
      if (!isAlreadyExists(e)) throw e;
      const existing = await client.get<ControllerRevision>(refTo(CONTROLLER_REVISIONS, rev.metadata.namespace, rev.metadata.name!));
      if (equalRevision(existing, rev) && controllerRef(existing)?.uid === o.parent.metadata.uid) return { revision: existing, collisionCount };
      collisionCount++;
    }
  }
  throw new Error(`could not find a free name for a revision of ${o.parent.metadata.name}`);
}

/** Upstream's UpdateControllerRevision: give an existing revision a new number. */
export async function updateRevisionNumber(client: KubeClient, rev: ControllerRevision, revision: number): Promise<ControllerRevision> {
  if (rev.revision === revision) return rev;
  const next = { ...structuredClone(rev), revision };
  return client.update<ControllerRevision>(refTo(CONTROLLER_REVISIONS, rev.metadata.namespace, rev.metadata.name!), next);
}

/** Delete a revision; one already gone is fine. */
export async function deleteRevision(client: KubeClient, rev: ControllerRevision): Promise<void> {
  try {
    await client.delete(refTo(CONTROLLER_REVISIONS, rev.metadata.namespace, rev.metadata.name!), { preconditions: { uid: rev.metadata.uid } });
  } catch (e) {
    if (!isNotFound(e)) throw e;
  }
}

/**
 * Which old revisions to delete so at most `limit` are kept: the lowest numbered first,
 * never a `live` one (a Pod still runs it, or it is the current or update revision),
 * named in `live` by its hash (DaemonSet Pods' label) or its name (StatefulSet Pods'
 * label). As upstream's cleanupHistory (DaemonSet) and truncateHistory (StatefulSet).
 */
export function revisionsToTruncate(old: ControllerRevision[], live: Set<string>, limit = DEFAULT_REVISION_HISTORY_LIMIT): ControllerRevision[] {
  let toKill = old.length - Math.max(0, limit);
  const out: ControllerRevision[] = [];
  for (const r of sortRevisions(old)) {
    if (toKill <= 0) break;
    if (live.has(revisionHash(r)) || live.has(r.metadata.name!)) continue;
    out.push(r);
    toKill--;
  }
  return out;
}
