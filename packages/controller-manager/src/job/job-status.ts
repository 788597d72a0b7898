/**
 * What the Job controller reads off Pods and writes into a Job's status (upstream's
 * job_controller.go helpers): which Pods are active, finished or failed, conditions,
 * the OnFailure restart count, which Pods to delete first, the status as written.
 */
import { isBeingDeleted, type Job, type JobCondition, type JobStatus, type Pod } from '@minik8s/api';
import { timestamp } from '../internal/context.ts';

export const isTerminal = (p: Pod) => p.status?.phase === 'Succeeded' || p.status?.phase === 'Failed';
export const isActive = (p: Pod) => !isTerminal(p) && !isBeingDeleted(p);
export const isReady = (p: Pod) => p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;

/** Upstream's isPodFailed: Failed, or deleted before it succeeded (it may never reach a phase). */
export const isPodFailed = (p: Pod) => p.status?.phase === 'Failed' || (isBeingDeleted(p) && p.status?.phase !== 'Succeeded');

export function condition(s: JobStatus, type: string, onlyTrue = true): JobCondition | undefined {
  return s.conditions?.find((c) => c.type === type && (!onlyTrue || c.status === 'True'));
}

export function isFinished(job: Job): boolean {
  return !!job.status?.conditions?.some((c) => (c.type === 'Complete' || c.type === 'Failed') && c.status === 'True');
}

export function newCondition(type: string, reason: string, message: string, now: number): JobCondition {
  const t = timestamp(now);
  return { type, status: 'True', lastProbeTime: t, lastTransitionTime: t, ...(reason ? { reason } : {}), ...(message ? { message } : {}) };
}

/** restartPolicy OnFailure: container restarts count as failures (upstream's pastBackoffLimitOnFailure). */
export function pastBackoffLimitOnFailure(job: Job, active: Pod[], failed: number): boolean {
  if (job.spec?.template?.spec?.restartPolicy !== 'OnFailure') return false;
  let restarts = failed;
  for (const p of active) for (const s of [...(p.status?.initContainerStatuses ?? []), ...(p.status?.containerStatuses ?? [])]) restarts += s.restartCount ?? 0;
  const limit = job.spec.backoffLimit ?? 6;
  return limit === 0 ? restarts > 0 : restarts >= limit;
}

/** Pods least worth keeping first: unscheduled, pending, not ready, then the youngest. */
export function rankForDeletion(pods: Pod[]): Pod[] {
  const score = (p: Pod) => (p.spec?.nodeName ? 4 : 0) + (p.status?.phase === 'Running' ? 2 : 0) + (isReady(p) ? 1 : 0);
  return [...pods].sort((a, b) => score(a) - score(b) || (b.metadata?.creationTimestamp ?? '').localeCompare(a.metadata?.creationTimestamp ?? ''));
}

/** The status as written: empty lists and zero optional counters as upstream omits them. */
export function normalize(s: JobStatus): JobStatus {
  const out: JobStatus = { ...s };
  const u = s.uncountedTerminatedPods;
  if (u) {
    const compact = { ...(u.succeeded?.length ? { succeeded: u.succeeded } : {}), ...(u.failed?.length ? { failed: u.failed } : {}) };
    out.uncountedTerminatedPods = compact;
  }
  for (const f of ['active', 'succeeded', 'failed'] as const) if (!out[f]) delete out[f];
  if (!out.completedIndexes) delete out.completedIndexes;
  if (!out.conditions?.length) delete out.conditions;
  return out;
}
