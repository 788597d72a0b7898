/**
 * Which Pods a ReplicaSet deletes first when it scales down: upstream's
 * ActivePodsWithRanks ordering (with LogarithmicScaleDown and PodDeletionCost, both on
 * by default), applying each rule in turn until one tells the two Pods apart:
 * 1. not yet scheduled < scheduled
 * 2. Pending < Unknown < Running
 * 3. not ready < ready
 * 4. lower controller.kubernetes.io/pod-deletion-cost < higher
 * 5. more related Pods on the same node < fewer (spread what stays)
 * 6. ready for less time < ready for longer (in powers of two of the time, then by uid)
 * 7. more container restarts < fewer
 * 8. newer < older (in powers of two of the age, then by uid)
 */
import { getPodCondition, isPodReady, type Pod } from '@minik8s/api';

export const POD_DELETION_COST = 'controller.kubernetes.io/pod-deletion-cost';

const PHASE_ORDINAL: Record<string, number> = { Pending: 0, Unknown: 1, Running: 2 };

/** A Pod that counts: not finished and not being deleted (upstream's IsPodActive). */
export function isPodActive(p: Pod): boolean {
  return p.status?.phase !== 'Succeeded' && p.status?.phase !== 'Failed' && !p.metadata?.deletionTimestamp;
}

/** The `diff` Pods to delete from `pods`; `related` (a superset) tells how crowded each node is. */
export function podsToDelete(pods: Pod[], related: Pod[], diff: number, now: number): Pod[] {
  if (diff >= pods.length) return pods.slice(0, diff);
  const onNode = new Map<string, number>();
  for (const p of related) if (isPodActive(p)) onNode.set(p.spec?.nodeName ?? '', (onNode.get(p.spec?.nodeName ?? '') ?? 0) + 1);
  const ranked = pods.map((pod) => ({ pod, rank: onNode.get(pod.spec?.nodeName ?? '') ?? 0 }));
  ranked.sort((a, b) => (deletesBefore(a, b, now) ? -1 : deletesBefore(b, a, now) ? 1 : 0));
  return ranked.slice(0, diff).map((r) => r.pod);
}

interface Ranked {
  pod: Pod;
  rank: number;
}

/** Upstream's ActivePodsWithRanks.Less. */
export function deletesBefore(a: Ranked, b: Ranked, now: number): boolean {
  const pi = a.pod;
  const pj = b.pod;
  const ni = pi.spec?.nodeName ?? '';
  const nj = pj.spec?.nodeName ?? '';
  if (ni !== nj && (ni === '' || nj === '')) return ni === '';
  const oi = PHASE_ORDINAL[pi.status?.phase ?? ''] ?? 0;
  const oj = PHASE_ORDINAL[pj.status?.phase ?? ''] ?? 0;
  if (oi !== oj) return oi < oj;
  const ri = isPodReady(pi);
  const rj = isPodReady(pj);
  if (ri !== rj) return !ri;
  const ci = deletionCost(pi);
  const cj = deletionCost(pj);
  if (ci !== cj) return ci < cj;
  if (a.rank !== b.rank) return a.rank > b.rank;
  if (ri && rj) {
    const ti = readyTime(pi);
    const tj = readyTime(pj);
    if (ti !== tj) return compareTimes(ti, tj, now, pi, pj);
  }
  const restarts = maxRestarts(pi) - maxRestarts(pj);
  if (restarts !== 0) return restarts > 0;
  const ti = time(pi.metadata?.creationTimestamp);
  const tj = time(pj.metadata?.creationTimestamp);
  if (ti !== tj) return compareTimes(ti, tj, now, pi, pj);
  return false;
}

/** Later (or unknown) first; with both known, by log2 of the age, ties by uid. */
function compareTimes(ti: number, tj: number, now: number, pi: Pod, pj: Pod): boolean {
  if (ti === 0 || tj === 0) return afterOrZero(ti, tj);
  const diff = logRank(now - ti) - logRank(now - tj);
  if (diff === 0) return (pi.metadata?.uid ?? '') < (pj.metadata?.uid ?? '');
  return diff < 0;
}

/** Upstream's logarithmicRankDiff, on nanoseconds like Go's time.Duration. */
function logRank(ageMs: number): number {
  return ageMs > 0 ? Math.floor(Math.log2(ageMs * 1e6)) : -1;
}

function afterOrZero(ti: number, tj: number): boolean {
  if (ti === 0 || tj === 0) return ti === 0;
  return ti > tj;
}

function time(s: string | undefined): number {
  const t = s ? Date.parse(s) : Number.NaN;
  return Number.isNaN(t) ? 0 : t;
}

function readyTime(p: Pod): number {
  return time(getPodCondition(p, 'Ready')?.lastTransitionTime);
}

function deletionCost(p: Pod): number {
  const v = p.metadata?.annotations?.[POD_DELETION_COST];
  if (v === undefined || !/^-?\d+$/.test(v)) return 0;
  const n = Number(v);
  return n >= -2147483648 && n <= 2147483647 ? n : 0;
}

function maxRestarts(p: Pod): number {
  let max = 0;
  for (const s of [...(p.status?.initContainerStatuses ?? []), ...(p.status?.containerStatuses ?? [])]) max = Math.max(max, s.restartCount ?? 0);
  return max;
}
