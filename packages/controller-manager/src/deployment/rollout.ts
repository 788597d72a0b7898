/**
 * The two strategies and progress reporting (upstream's rolling.go, recreate.go and
 * progress.go), on top of one DeploymentSync.
 */
import type { ReplicaSet } from '@minik8s/api';
import {
  availableReplicas,
  byCreation,
  deploymentComplete,
  deploymentProgressing,
  deploymentTimedOut,
  filterActive,
  getCondition,
  hasProgressDeadline,
  maxUnavailable,
  NEW_RS_AVAILABLE_REASON,
  newCondition,
  newRSNewReplicas,
  PAUSED_REASON,
  RESUMED_REASON,
  RS_UPDATED_REASON,
  removeCondition,
  replicasOf,
  rsReplicas,
  setCondition,
  specReplicas,
  TIMED_OUT_REASON,
} from './internal/util.ts';
import type { DeploymentSync } from './sync.ts';

/** What a sync asks of the queue: look again after this long (the progress deadline). */
export type Requeue = number | undefined;

// ------------------------------------------------------------------ rolling update

export async function rolloutRolling(s: DeploymentSync): Promise<Requeue> {
  const [newRS, oldRSs] = await s.getAllReplicaSetsAndSyncRevision(true);
  const all = [...oldRSs, newRS!];
  const [scaledUp, updatedNew] = await reconcileNewReplicaSet(s, all, newRS!);
  if (scaledUp) return syncRolloutStatus(s, [...oldRSs, updatedNew], updatedNew);
  const scaledDown = await reconcileOldReplicaSets(s, all, filterActive(oldRSs), newRS!);
  if (scaledDown) return syncRolloutStatus(s, all, newRS);
  if (deploymentComplete(s.d, s.d.status ?? {})) await s.cleanupDeployment(oldRSs);
  return syncRolloutStatus(s, all, newRS);
}

async function reconcileNewReplicaSet(s: DeploymentSync, all: ReplicaSet[], newRS: ReplicaSet): Promise<[boolean, ReplicaSet]> {
  const want = replicasOf(s.d);
  if (rsReplicas(newRS) === want) return [false, newRS];
  if (rsReplicas(newRS) > want) return s.scaleReplicaSetAndRecordEvent(newRS, want);
  return s.scaleReplicaSetAndRecordEvent(newRS, newRSNewReplicas(s.d, all, newRS));
}

async function reconcileOldReplicaSets(s: DeploymentSync, all: ReplicaSet[], oldRSs: ReplicaSet[], newRS: ReplicaSet): Promise<boolean> {
  if (specReplicas(oldRSs) === 0) return false;
  const minAvailable = replicasOf(s.d) - maxUnavailable(s.d);
  const newUnavailable = rsReplicas(newRS) - (newRS.status?.availableReplicas ?? 0);
  const maxScaledDown = specReplicas(all) - minAvailable - newUnavailable;
  if (maxScaledDown <= 0) return false;
  // First the old Pods that are not available anyway: they cost nothing to remove.
  const [cleaned, cleanupCount] = await cleanupUnhealthyReplicas(s, oldRSs, maxScaledDown);
  const scaledDown = await scaleDownOldReplicaSetsForRollingUpdate(s, [...cleaned, newRS], cleaned);
  return cleanupCount + scaledDown > 0;
}

async function cleanupUnhealthyReplicas(s: DeploymentSync, oldRSs: ReplicaSet[], maxCleanup: number): Promise<[ReplicaSet[], number]> {
  const rss = [...oldRSs].sort(byCreation);
  let total = 0;
  for (const [i, rs] of rss.entries()) {
    if (total >= maxCleanup) break;
    const unhealthy = rsReplicas(rs) - (rs.status?.availableReplicas ?? 0);
    if (rsReplicas(rs) === 0 || unhealthy === 0) continue;
    const n = Math.min(maxCleanup - total, unhealthy);
    const newReplicas = rsReplicas(rs) - n;
    if (newReplicas > rsReplicas(rs)) {
      // The status still counts Pods the spec no longer asks for: wait for it to catch up.
      throw new Error(
        `when cleaning up unhealthy replicas, got invalid request to scale down ${rs.metadata!.namespace}/${rs.metadata!.name} ${rsReplicas(rs)} -> ${newReplicas}`,
      );
    }
    const [, updated] = await s.scaleReplicaSetAndRecordEvent(rs, newReplicas);
    total += n;
    rss[i] = updated;
  }
  return [rss, total];
}

async function scaleDownOldReplicaSetsForRollingUpdate(s: DeploymentSync, all: ReplicaSet[], oldRSs: ReplicaSet[]): Promise<number> {
  const minAvailable = replicasOf(s.d) - maxUnavailable(s.d);
  const available = availableReplicas(all);
  if (available <= minAvailable) return 0;
  const toScaleDown = available - minAvailable;
  let total = 0;
  for (const rs of [...oldRSs].sort(byCreation)) {
    if (total >= toScaleDown) break;
    if (rsReplicas(rs) === 0) continue;
    const n = Math.min(rsReplicas(rs), toScaleDown - total);
    await s.scaleReplicaSetAndRecordEvent(rs, rsReplicas(rs) - n);
    total += n;
  }
  return total;
}

// ------------------------------------------------------------------ recreate

export async function rolloutRecreate(s: DeploymentSync): Promise<Requeue> {
  let [newRS, oldRSs] = await s.getAllReplicaSetsAndSyncRevision(false);
  let all: Array<ReplicaSet | undefined> = [...oldRSs, newRS];
  let scaledDown = false;
  for (const rs of filterActive(oldRSs)) {
    const [scaled] = await s.scaleReplicaSetAndRecordEvent(rs, 0);
    if (scaled) scaledDown = true;
  }
  if (scaledDown) return syncRolloutStatus(s, all, newRS);
  // Only once every old Pod is gone does the new ReplicaSet start.
  if (s.oldPodsRunning(newRS, oldRSs)) return syncRolloutStatus(s, all, newRS);
  if (!newRS) {
    [newRS, oldRSs] = await s.getAllReplicaSetsAndSyncRevision(true);
    all = [...oldRSs, newRS];
  }
  await s.scaleReplicaSetAndRecordEvent(newRS!, replicasOf(s.d));
  if (deploymentComplete(s.d, s.d.status ?? {})) await s.cleanupDeployment(oldRSs);
  return syncRolloutStatus(s, all, newRS);
}

// ------------------------------------------------------------------ progress

/** Upstream's syncRolloutStatus: status plus the Progressing condition; when to look again. */
export async function syncRolloutStatus(s: DeploymentSync, all: Array<ReplicaSet | undefined>, newRS: ReplicaSet | undefined): Promise<Requeue> {
  const d = s.d;
  const status = s.calculateStatus(all, newRS);
  if (!hasProgressDeadline(d)) removeCondition(status, 'Progressing');
  const current = getCondition(d.status, 'Progressing');
  const complete = status.replicas === status.updatedReplicas && current?.reason === NEW_RS_AVAILABLE_REASON;
  if (hasProgressDeadline(d) && !complete) {
    const now = s.stamp();
    if (deploymentComplete(d, status)) {
      const msg = newRS ? `ReplicaSet "${newRS.metadata!.name}" has successfully progressed.` : `Deployment "${s.name}" has successfully progressed.`;
      setCondition(status, newCondition('Progressing', 'True', NEW_RS_AVAILABLE_REASON, msg, now));
    } else if (deploymentProgressing(d, status)) {
      const msg = newRS ? `ReplicaSet "${newRS.metadata!.name}" is progressing.` : `Deployment "${s.name}" is progressing.`;
      const c = newCondition('Progressing', 'True', RS_UPDATED_REASON, msg, now);
      // Progress moves lastUpdateTime even when the reason stays the same.
      if (current) {
        if (current.status === 'True') c.lastTransitionTime = current.lastTransitionTime;
        removeCondition(status, 'Progressing');
      }
      setCondition(status, c);
    } else if (deploymentTimedOut(d, status, s.now())) {
      const msg = newRS ? `ReplicaSet "${newRS.metadata!.name}" has timed out progressing.` : `Deployment "${s.name}" has timed out progressing.`;
      setCondition(status, newCondition('Progressing', 'False', TIMED_OUT_REASON, msg, now));
    }
  }
  const failure = all.map((rs) => rs?.status?.conditions?.find((c) => c.type === 'ReplicaFailure' && c.status === 'True')).find(Boolean);
  if (failure) {
    setCondition(status, {
      type: 'ReplicaFailure',
      status: failure.status,
      reason: failure.reason,
      message: failure.message,
      lastUpdateTime: failure.lastTransitionTime,
      lastTransitionTime: failure.lastTransitionTime,
    });
  } else removeCondition(status, 'ReplicaFailure');
  if (s.sameStatus(status)) return requeueStuckDeployment(s, status);
  await s.writeStatus(status);
  return undefined;
}

/** Upstream's requeueStuckDeployment: when the progress deadline would pass, if nothing changes. */
function requeueStuckDeployment(s: DeploymentSync, status: NonNullable<typeof s.d.status>): Requeue {
  const d = s.d;
  const current = getCondition(d.status, 'Progressing');
  if (!hasProgressDeadline(d) || !current) return undefined;
  if (deploymentComplete(d, status) || current.reason === TIMED_OUT_REASON) return undefined;
  const after = Date.parse(current.lastUpdateTime ?? '') + d.spec!.progressDeadlineSeconds! * 1000 - s.now();
  if (Number.isNaN(after)) return undefined;
  return after < 1000 ? 200 : after + 1000;
}

/** Upstream's checkPausedConditions: Progressing=Unknown DeploymentPaused / DeploymentResumed. */
export async function checkPausedConditions(s: DeploymentSync): Promise<void> {
  const d = s.d;
  if (!hasProgressDeadline(d)) return;
  const cond = getCondition(d.status, 'Progressing');
  if (cond?.reason === TIMED_OUT_REASON) return;
  const pausedCondExists = cond?.reason === PAUSED_REASON;
  d.status ??= {};
  let changed = false;
  if (d.spec?.paused && !pausedCondExists) {
    setCondition(d.status, newCondition('Progressing', 'Unknown', PAUSED_REASON, 'Deployment is paused', s.stamp()));
    changed = true;
  } else if (!d.spec?.paused && pausedCondExists) {
    setCondition(d.status, newCondition('Progressing', 'Unknown', RESUMED_REASON, 'Deployment is resumed', s.stamp()));
    changed = true;
  }
  if (changed) await s.writeStatus();
}
