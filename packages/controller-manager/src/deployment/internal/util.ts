/**
 * Upstream's deployment util (pkg/controller/deployment/util): annotations, the
 * pod-template-hash, maxSurge/maxUnavailable arithmetic, replica counts, conditions and
 * the orderings the rollout uses.
 */
import type { Deployment, DeploymentCondition, ReplicaSet } from '@minik8s/api';
import { semanticEqual } from '../../internal/hash.ts';

export { computeHash, fnv32a, safeEncodeString, semanticEqual, stableJson } from '../../internal/hash.ts';

export const REVISION = 'deployment.kubernetes.io/revision';
export const REVISION_HISTORY = 'deployment.kubernetes.io/revision-history';
export const DESIRED_REPLICAS = 'deployment.kubernetes.io/desired-replicas';
export const MAX_REPLICAS = 'deployment.kubernetes.io/max-replicas';
export const POD_TEMPLATE_HASH = 'pod-template-hash';
const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';
const ROLLBACK_TO = 'deprecated.deployment.rollback.to';

// Condition reasons (upstream's deploymentutil constants).
export const NEW_RS_REASON = 'NewReplicaSetCreated';
export const FOUND_NEW_RS_REASON = 'FoundNewReplicaSet';
export const RS_UPDATED_REASON = 'ReplicaSetUpdated';
export const NEW_RS_AVAILABLE_REASON = 'NewReplicaSetAvailable';
export const TIMED_OUT_REASON = 'ProgressDeadlineExceeded';
export const PAUSED_REASON = 'DeploymentPaused';
export const RESUMED_REASON = 'DeploymentResumed';
export const FAILED_RS_CREATE_REASON = 'ReplicaSetCreateError';
export const MIN_AVAILABLE_REASON = 'MinimumReplicasAvailable';
export const MIN_UNAVAILABLE_REASON = 'MinimumReplicasUnavailable';

export type DeploymentStatus = NonNullable<Deployment['status']>;
type IntOrString = number | string;

/** Are two pod templates the same once the pod-template-hash label is ignored? */
export function equalIgnoreHash(t1: unknown, t2: unknown): boolean {
  const strip = (t: unknown) => {
    const c = structuredClone(t ?? {}) as { metadata?: { labels?: Record<string, string> } };
    if (c.metadata?.labels) delete c.metadata.labels[POD_TEMPLATE_HASH];
    return c;
  };
  return semanticEqual(strip(t1), strip(t2));
}

// ---------------------------------------------------------------- surge and unavailability

/** intstr.GetScaledValueFromIntOrPercent. */
export function scaledValue(v: IntOrString | undefined, total: number, roundUp: boolean): number {
  if (v === undefined) return 0;
  if (typeof v === 'number') return v;
  const m = /^(\d+)%$/.exec(v);
  if (!m) {
    if (/^\d+$/.test(v)) return Number(v);
    throw new Error(`invalid value for IntOrString: invalid value "${v}": must be an integer or percentage (e.g '5%')`);
  }
  const x = (Number(m[1]) * total) / 100;
  return roundUp ? Math.ceil(x) : Math.floor(x);
}

export const isRollingUpdate = (d: Deployment) => (d.spec?.strategy?.type ?? 'RollingUpdate') === 'RollingUpdate';
export const replicasOf = (d: Deployment) => d.spec?.replicas ?? 1;

/** Upstream's ResolveFenceposts: surge rounds up, unavailable down; both 0 → unavailable 1. */
export function resolveFenceposts(maxSurge: IntOrString | undefined, maxUnavailable: IntOrString | undefined, desired: number): [number, number] {
  const surge = scaledValue(maxSurge ?? 0, desired, true);
  let unavailable = scaledValue(maxUnavailable ?? 0, desired, false);
  if (surge === 0 && unavailable === 0) unavailable = 1;
  return [surge, unavailable];
}

export function maxSurge(d: Deployment): number {
  if (!isRollingUpdate(d)) return 0;
  const ru = d.spec?.strategy?.rollingUpdate;
  return resolveFenceposts(ru?.maxSurge, ru?.maxUnavailable, replicasOf(d))[0];
}

export function maxUnavailable(d: Deployment): number {
  if (!isRollingUpdate(d) || replicasOf(d) === 0) return 0;
  const ru = d.spec?.strategy?.rollingUpdate;
  return Math.min(resolveFenceposts(ru?.maxSurge, ru?.maxUnavailable, replicasOf(d))[1], replicasOf(d));
}

// ---------------------------------------------------------------- replica sets

export const rsReplicas = (rs: ReplicaSet | undefined) => rs?.spec?.replicas ?? 1;
export const filterActive = (rss: Array<ReplicaSet | undefined>): ReplicaSet[] => rss.filter((rs): rs is ReplicaSet => !!rs && rsReplicas(rs) > 0);
export const specReplicas = (rss: Array<ReplicaSet | undefined>) => rss.reduce((n, rs) => n + (rs ? rsReplicas(rs) : 0), 0);
export const actualReplicas = (rss: Array<ReplicaSet | undefined>) => rss.reduce((n, rs) => n + (rs?.status?.replicas ?? 0), 0);
export const readyReplicas = (rss: Array<ReplicaSet | undefined>) => rss.reduce((n, rs) => n + (rs?.status?.readyReplicas ?? 0), 0);
export const availableReplicas = (rss: Array<ReplicaSet | undefined>) => rss.reduce((n, rs) => n + (rs?.status?.availableReplicas ?? 0), 0);

export function revisionOf(o: { metadata?: { annotations?: Record<string, string> } } | undefined): number {
  const v = o?.metadata?.annotations?.[REVISION];
  return v && /^\d+$/.test(v) ? Number(v) : 0;
}

export const maxRevision = (rss: ReplicaSet[]) => rss.reduce((m, rs) => Math.max(m, revisionOf(rs)), 0);

const created = (rs: ReplicaSet) => Date.parse(rs.metadata?.creationTimestamp ?? '') || 0;

/** Oldest first; ties by name (ReplicaSetsByCreationTimestamp). */
export function byCreation(a: ReplicaSet, b: ReplicaSet): number {
  return created(a) - created(b) || (a.metadata!.name! < b.metadata!.name! ? -1 : a.metadata!.name! > b.metadata!.name! ? 1 : 0);
}
/** Bigger first; ties oldest first (ReplicaSetsBySizeOlder). */
export const bySizeOlder = (a: ReplicaSet, b: ReplicaSet) => rsReplicas(b) - rsReplicas(a) || byCreation(a, b);
/** Bigger first; ties newest first (ReplicaSetsBySizeNewer). */
export const bySizeNewer = (a: ReplicaSet, b: ReplicaSet) => rsReplicas(b) - rsReplicas(a) || byCreation(b, a);
/** Lowest revision first; ties by creation (ReplicaSetsByRevision). */
export const byRevision = (a: ReplicaSet, b: ReplicaSet) => revisionOf(a) - revisionOf(b) || byCreation(a, b);

/** The ReplicaSet whose template is the Deployment's (the oldest, if several). */
export function findNewReplicaSet(d: Deployment, rss: ReplicaSet[]): ReplicaSet | undefined {
  return [...rss].sort(byCreation).find((rs) => equalIgnoreHash(rs.spec?.template, d.spec?.template));
}

/** Everything but the new ReplicaSet. */
export function findOldReplicaSets(d: Deployment, rss: ReplicaSet[]): ReplicaSet[] {
  const nrs = findNewReplicaSet(d, rss);
  return rss.filter((rs) => rs.metadata?.uid !== nrs?.metadata?.uid);
}

/** The one active ReplicaSet, or the newest if none is active; undefined if several are. */
export function findActiveOrLatest(newRS: ReplicaSet | undefined, oldRSs: ReplicaSet[]): ReplicaSet | undefined {
  if (!newRS && oldRSs.length === 0) return undefined;
  const olds = [...oldRSs].sort(byCreation).reverse();
  const active = filterActive([...olds, newRS]);
  if (active.length === 0) return newRS ?? olds[0];
  return active.length === 1 ? active[0] : undefined;
}

function intAnnotation(rs: ReplicaSet, key: string): number | undefined {
  const v = rs.metadata?.annotations?.[key];
  return v !== undefined && /^\d+$/.test(v) ? Number(v) : undefined;
}
export const desiredReplicasAnnotation = (rs: ReplicaSet) => intAnnotation(rs, DESIRED_REPLICAS);
export const maxReplicasAnnotation = (rs: ReplicaSet) => intAnnotation(rs, MAX_REPLICAS);

/** Sets desired-replicas and max-replicas; true if anything changed. */
export function setReplicasAnnotations(rs: ReplicaSet, desired: number, max: number): boolean {
  rs.metadata!.annotations ??= {};
  const a = rs.metadata!.annotations;
  let changed = false;
  if (a[DESIRED_REPLICAS] !== String(desired)) {
    a[DESIRED_REPLICAS] = String(desired);
    changed = true;
  }
  if (a[MAX_REPLICAS] !== String(max)) {
    a[MAX_REPLICAS] = String(max);
    changed = true;
  }
  return changed;
}

export function replicasAnnotationsNeedUpdate(rs: ReplicaSet, desired: number, max: number): boolean {
  const a = rs.metadata?.annotations;
  return !a || a[DESIRED_REPLICAS] !== String(desired) || a[MAX_REPLICAS] !== String(max);
}

const SKIP_COPY = new Set([LAST_APPLIED, REVISION, REVISION_HISTORY, DESIRED_REPLICAS, MAX_REPLICAS, ROLLBACK_TO]);

/**
 * Upstream's SetNewReplicaSetAnnotations: copy the Deployment's annotations, raise the
 * revision (keeping the old one in revision-history when an old ReplicaSet comes back),
 * and for a ReplicaSet about to be created, the replica annotations.
 */
export function setNewReplicaSetAnnotations(d: Deployment, rs: ReplicaSet, newRevision: number, exists: boolean): boolean {
  rs.metadata!.annotations ??= {};
  const a = rs.metadata!.annotations;
  let changed = false;
  for (const [k, v] of Object.entries(d.metadata?.annotations ?? {})) {
    if (SKIP_COPY.has(k) || a[k] === v) continue;
    a[k] = v;
    changed = true;
  }
  const old = a[REVISION];
  const oldRevision = old && /^\d+$/.test(old) ? Number(old) : 0;
  if (old !== undefined && old !== '' && !/^\d+$/.test(old)) return changed;
  if (oldRevision < newRevision) {
    a[REVISION] = String(newRevision);
    changed = true;
    if (old) a[REVISION_HISTORY] = a[REVISION_HISTORY] ? `${a[REVISION_HISTORY]},${old}` : old;
  }
  if (!exists) {
    const replicas = replicasOf(d);
    if (setReplicasAnnotations(rs, replicas, replicas + maxSurge(d))) changed = true;
  }
  return changed;
}

/** Upstream's IsSaturated: the new ReplicaSet runs the full, available size. */
export function isSaturated(d: Deployment, rs: ReplicaSet | undefined): boolean {
  if (!rs) return false;
  const desired = desiredReplicasAnnotation(rs);
  const n = replicasOf(d);
  return rsReplicas(rs) === n && desired === n && (rs.status?.availableReplicas ?? 0) === n;
}

/** Upstream's NewRSNewReplicas: how big the new ReplicaSet may be now. */
export function newRSNewReplicas(d: Deployment, allRSs: ReplicaSet[], newRS: ReplicaSet): number {
  if (!isRollingUpdate(d)) return replicasOf(d);
  const current = specReplicas(allRSs);
  const maxTotal = replicasOf(d) + maxSurge(d);
  if (current >= maxTotal) return rsReplicas(newRS);
  const up = Math.min(maxTotal - current, replicasOf(d) - rsReplicas(newRS));
  return rsReplicas(newRS) + up;
}

/** Upstream's GetProportion, for proportional scaling during a rollout. */
export function getProportion(rs: ReplicaSet, d: Deployment, toAdd: number, added: number): number {
  if (rsReplicas(rs) === 0 || toAdd === 0 || toAdd === added) return 0;
  const fraction = replicaSetFraction(rs, d);
  const allowed = toAdd - added;
  return toAdd > 0 ? Math.min(fraction, allowed) : Math.max(fraction, allowed);
}

function replicaSetFraction(rs: ReplicaSet, d: Deployment): number {
  if (replicasOf(d) === 0) return -rsReplicas(rs);
  const deploymentMax = replicasOf(d) + maxSurge(d);
  const annotated = maxReplicasAnnotation(rs) ?? d.status?.replicas ?? 0;
  if (annotated === 0) return 0;
  return goRound((rsReplicas(rs) * deploymentMax) / annotated) - rsReplicas(rs);
}

/** Go's math.Round: half away from zero. */
const goRound = (x: number) => Math.sign(x) * Math.round(Math.abs(x));

// ---------------------------------------------------------------- status and conditions

export const hasProgressDeadline = (d: Deployment) => d.spec?.progressDeadlineSeconds !== undefined && d.spec.progressDeadlineSeconds !== 2147483647;
export const hasRevisionHistoryLimit = (d: Deployment) => d.spec?.revisionHistoryLimit !== undefined && d.spec.revisionHistoryLimit !== 2147483647;

export const getCondition = (s: DeploymentStatus | undefined, type: string) => s?.conditions?.find((c) => c.type === type);

export function newCondition(type: string, status: 'True' | 'False' | 'Unknown', reason: string, message: string, now: string): DeploymentCondition {
  return { type, status, lastUpdateTime: now, lastTransitionTime: now, reason, message };
}

/** Upstream's SetDeploymentCondition: same status and reason → unchanged; same status → keep the transition time. */
export function setCondition(s: DeploymentStatus, c: DeploymentCondition): void {
  const cur = getCondition(s, c.type);
  if (cur && cur.status === c.status && cur.reason === c.reason) return;
  const next = cur && cur.status === c.status ? { ...c, lastTransitionTime: cur.lastTransitionTime } : c;
  s.conditions = [...(s.conditions ?? []).filter((x) => x.type !== c.type), next];
}

export function removeCondition(s: DeploymentStatus, type: string): void {
  if (!s.conditions) return;
  s.conditions = s.conditions.filter((c) => c.type !== type);
  if (s.conditions.length === 0) delete s.conditions;
}

/** Upstream's DeploymentComplete. */
export function deploymentComplete(d: Deployment, s: DeploymentStatus): boolean {
  const n = replicasOf(d);
  return (
    (s.updatedReplicas ?? 0) === n &&
    (s.replicas ?? 0) === n &&
    (s.availableReplicas ?? 0) === n &&
    (s.observedGeneration ?? 0) >= (d.metadata?.generation ?? 0)
  );
}

/** Upstream's DeploymentProgressing: did anything move forward since the last status? */
export function deploymentProgressing(d: Deployment, s: DeploymentStatus): boolean {
  const old = d.status ?? {};
  const oldOld = (old.replicas ?? 0) - (old.updatedReplicas ?? 0);
  const newOld = (s.replicas ?? 0) - (s.updatedReplicas ?? 0);
  return (
    (s.updatedReplicas ?? 0) > (old.updatedReplicas ?? 0) ||
    newOld < oldOld ||
    (s.readyReplicas ?? 0) > (old.readyReplicas ?? 0) ||
    (s.availableReplicas ?? 0) > (old.availableReplicas ?? 0)
  );
}

/** Upstream's DeploymentTimedOut. */
export function deploymentTimedOut(d: Deployment, s: DeploymentStatus, now: number): boolean {
  if (!hasProgressDeadline(d)) return false;
  const c = getCondition(s, 'Progressing');
  if (!c) return false;
  if (c.reason === NEW_RS_AVAILABLE_REASON) return false;
  if (c.reason === TIMED_OUT_REASON) return true;
  const from = Date.parse(c.lastUpdateTime ?? '');
  return !Number.isNaN(from) && from + d.spec!.progressDeadlineSeconds! * 1000 < now;
}

/** Status as upstream stores it: zero counts left out (omitempty). */
export function normalizeStatus(s: DeploymentStatus): DeploymentStatus {
  const out: DeploymentStatus = {};
  for (const k of ['observedGeneration', 'replicas', 'updatedReplicas', 'readyReplicas', 'availableReplicas', 'unavailableReplicas'] as const) {
    if (s[k]) out[k] = s[k];
  }
  if (s.conditions?.length) out.conditions = s.conditions;
  if (s.collisionCount !== undefined) out.collisionCount = s.collisionCount;
  return out;
}
