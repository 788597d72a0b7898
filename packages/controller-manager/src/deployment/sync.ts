/**
 * One sync of one Deployment (upstream's sync.go): find or create the new ReplicaSet
 * and keep revisions in step, scale proportionally, clean up old ReplicaSets and write
 * the status. `d` is this sync's own copy of the Deployment; every write refreshes it.
 */
import type { Deployment, KubeObject, Pod, ReplicaSet } from '@minik8s/api';
import { controllerRef } from '@minik8s/api';
import { type EventRecorder, isAlreadyExists, isNotFound } from '@minik8s/client/kube';
import { type ControllerContext, timestamp } from '../internal/context.ts';
import { newControllerRef } from '../internal/controller-ref.ts';
import { DEPLOYMENTS, REPLICA_SETS, refTo } from '../internal/resources.ts';
import {
  actualReplicas,
  availableReplicas,
  byRevision,
  bySizeNewer,
  bySizeOlder,
  computeHash,
  type DeploymentStatus,
  equalIgnoreHash,
  FAILED_RS_CREATE_REASON,
  FOUND_NEW_RS_REASON,
  filterActive,
  findActiveOrLatest,
  findNewReplicaSet,
  findOldReplicaSets,
  getCondition,
  getProportion,
  hasProgressDeadline,
  hasRevisionHistoryLimit,
  isRollingUpdate,
  isSaturated,
  MIN_AVAILABLE_REASON,
  MIN_UNAVAILABLE_REASON,
  maxRevision,
  maxSurge,
  maxUnavailable,
  NEW_RS_REASON,
  newCondition,
  newRSNewReplicas,
  normalizeStatus,
  POD_TEMPLATE_HASH,
  REVISION,
  readyReplicas,
  replicasAnnotationsNeedUpdate,
  replicasOf,
  rsReplicas,
  setCondition,
  setNewReplicaSetAnnotations,
  setReplicasAnnotations,
  specReplicas,
  stableJson,
} from './internal/util.ts';

export const DEPLOYMENT_KIND = { apiVersion: 'apps/v1', kind: 'Deployment' };
type RS = ReplicaSet & KubeObject;

export class DeploymentSync {
  d: Deployment & KubeObject;

  constructor(
    readonly ctx: ControllerContext,
    readonly recorder: EventRecorder,
    d: Deployment,
    readonly rsList: ReplicaSet[],
    readonly podMap: Map<string, Pod[]>,
  ) {
    this.d = structuredClone(d) as Deployment & KubeObject;
  }

  get name(): string {
    return this.d.metadata.name!;
  }

  now(): number {
    return this.ctx.clock.now();
  }

  stamp(): string {
    return timestamp(this.now());
  }

  event(type: 'Normal' | 'Warning', reason: string, message: string): void {
    this.recorder.event({ ...this.d, apiVersion: 'apps/v1', kind: 'Deployment' }, type, reason, message);
  }

  // ------------------------------------------------------------------ writes

  /** PUT the Deployment (metadata: the revision annotation); the status subresource ignores metadata. */
  async writeDeployment(): Promise<void> {
    const saved = this.d.status;
    const res = await this.ctx.client.update<Deployment & KubeObject>(refTo(DEPLOYMENTS, this.d.metadata.namespace, this.name), this.d);
    this.d = { ...res, status: saved };
  }

  async writeStatus(status: DeploymentStatus = this.d.status ?? {}): Promise<void> {
    const body = { ...this.d, status: normalizeStatus(status) };
    const res = await this.ctx.client.updateStatus<Deployment & KubeObject>(refTo(DEPLOYMENTS, this.d.metadata.namespace, this.name), body);
    this.d = res;
  }

  private async updateRS(rs: ReplicaSet): Promise<ReplicaSet> {
    return this.ctx.client.update<RS>(refTo(REPLICA_SETS, rs.metadata!.namespace, rs.metadata!.name!), rs as RS);
  }

  // ------------------------------------------------------------------ new and old replica sets

  /** Upstream's getAllReplicaSetsAndSyncRevision. */
  async getAllReplicaSetsAndSyncRevision(createIfNotExisted: boolean): Promise<[ReplicaSet | undefined, ReplicaSet[]]> {
    const oldRSs = findOldReplicaSets(this.d, this.rsList);
    const newRS = await this.getNewReplicaSet(oldRSs, createIfNotExisted);
    return [newRS, oldRSs];
  }

  private setRevision(revision: string): boolean {
    this.d.metadata.annotations ??= {};
    const a = this.d.metadata.annotations;
    if (a[REVISION] === revision) return false;
    a[REVISION] = revision;
    return true;
  }

  private async getNewReplicaSet(oldRSs: ReplicaSet[], createIfNotExisted: boolean): Promise<ReplicaSet | undefined> {
    const d = this.d;
    const existing = findNewReplicaSet(d, this.rsList);
    const newRevision = maxRevision(oldRSs) + 1;
    if (existing) {
      const copy = structuredClone(existing);
      const annotationsUpdated = setNewReplicaSetAnnotations(d, copy, newRevision, true);
      const minReady = d.spec?.minReadySeconds ?? 0;
      if (annotationsUpdated || (copy.spec?.minReadySeconds ?? 0) !== minReady) {
        copy.spec!.minReadySeconds = minReady;
        return this.updateRS(copy);
      }
      const revisionChanged = this.setRevision(copy.metadata!.annotations?.[REVISION] ?? '');
      let statusChanged = false;
      if (hasProgressDeadline(d) && !getCondition(d.status, 'Progressing')) {
        d.status ??= {};
        setCondition(d.status, newCondition('Progressing', 'True', FOUND_NEW_RS_REASON, `Found new replica set "${copy.metadata!.name}"`, this.stamp()));
        statusChanged = true;
      }
      if (revisionChanged) await this.writeDeployment();
      if (statusChanged) await this.writeStatus();
      return copy;
    }
    if (!createIfNotExisted) return undefined;

    const template = structuredClone(d.spec!.template);
    const hash = computeHash(template, d.status?.collisionCount);
    template.metadata = { ...template.metadata, labels: { ...template.metadata?.labels, [POD_TEMPLATE_HASH]: hash } };
    const selector = structuredClone(d.spec!.selector);
    selector.matchLabels = { ...selector.matchLabels, [POD_TEMPLATE_HASH]: hash };
    const name = `${this.name}-${hash}`;
    const newRS: RS = {
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: { name, namespace: d.metadata.namespace, ownerReferences: [newControllerRef(d, DEPLOYMENT_KIND)], labels: template.metadata.labels },
      spec: { replicas: 0, minReadySeconds: d.spec?.minReadySeconds ?? 0, selector, template },
    };
    const newReplicas = newRSNewReplicas(d, [...oldRSs, newRS], newRS);
    newRS.spec!.replicas = newReplicas;
    setNewReplicaSetAnnotations(d, newRS, newRevision, false);
    let created: ReplicaSet;
    let alreadyExists = false;
    try {
      created = await this.ctx.client.create<RS>(REPLICA_SETS, newRS);
    } catch (e) {
      if (isAlreadyExists(e)) {
        // Ours from an earlier sync the cache has not shown yet, or a hash collision.
        const rs = await this.ctx.client.get<RS>(refTo(REPLICA_SETS, d.metadata.namespace, name)).catch((err) => {
          if (isNotFound(err)) return undefined;
          throw err;
        });
        if (rs && controllerRef(rs)?.uid === d.metadata.uid && equalIgnoreHash(rs.spec?.template, d.spec?.template)) {
          created = rs;
          alreadyExists = true;
        } else {
          d.status ??= {};
          d.status.collisionCount = (d.status.collisionCount ?? 0) + 1;
          await this.writeStatus();
          throw new Error(`found a hash collision for deployment "${this.name}" - bumping collisionCount to ${d.status.collisionCount} to resolve it`);
        }
      } else {
        const msg = `Failed to create new replica set "${name}": ${(e as Error).message}`;
        if (hasProgressDeadline(d)) {
          d.status ??= {};
          setCondition(d.status, newCondition('Progressing', 'False', FAILED_RS_CREATE_REASON, msg, this.stamp()));
          await this.writeStatus().catch(() => {});
        }
        this.event('Warning', FAILED_RS_CREATE_REASON, msg);
        throw e;
      }
    }
    if (!alreadyExists && newReplicas > 0) this.event('Normal', 'ScalingReplicaSet', `Scaled up replica set ${name} from 0 to ${newReplicas}`);
    const revisionChanged = this.setRevision(String(newRevision));
    let statusChanged = false;
    if (!alreadyExists && hasProgressDeadline(d)) {
      d.status ??= {};
      setCondition(d.status, newCondition('Progressing', 'True', NEW_RS_REASON, `Created new replica set "${name}"`, this.stamp()));
      statusChanged = true;
    }
    if (revisionChanged) await this.writeDeployment();
    if (statusChanged) await this.writeStatus();
    return created;
  }

  // ------------------------------------------------------------------ scaling

  /** Returns [scaled, the ReplicaSet as it now is]. */
  async scaleReplicaSetAndRecordEvent(rs: ReplicaSet, newScale: number): Promise<[boolean, ReplicaSet]> {
    if (rsReplicas(rs) === newScale) return [false, rs];
    return this.scaleReplicaSet(rs, newScale, rsReplicas(rs) < newScale ? 'up' : 'down');
  }

  async scaleReplicaSet(rs: ReplicaSet, newScale: number, operation: string): Promise<[boolean, ReplicaSet]> {
    const desired = replicasOf(this.d);
    const max = desired + maxSurge(this.d);
    const sizeNeedsUpdate = rsReplicas(rs) !== newScale;
    if (!sizeNeedsUpdate && !replicasAnnotationsNeedUpdate(rs, desired, max)) return [false, rs];
    const oldScale = rsReplicas(rs);
    const copy = structuredClone(rs);
    copy.spec!.replicas = newScale;
    setReplicasAnnotations(copy, desired, max);
    const updated = await this.updateRS(copy);
    if (sizeNeedsUpdate) this.event('Normal', 'ScalingReplicaSet', `Scaled ${operation} replica set ${rs.metadata!.name} from ${oldScale} to ${newScale}`);
    return [sizeNeedsUpdate, updated];
  }

  /** Upstream's scale: a scaling event (spec.replicas changed) or a saturated new ReplicaSet. */
  async scale(newRS: ReplicaSet | undefined, oldRSs: ReplicaSet[]): Promise<void> {
    const d = this.d;
    const activeOrLatest = findActiveOrLatest(newRS, oldRSs);
    if (activeOrLatest) {
      if (rsReplicas(activeOrLatest) !== replicasOf(d)) await this.scaleReplicaSetAndRecordEvent(activeOrLatest, replicasOf(d));
      return;
    }
    if (isSaturated(d, newRS)) {
      for (const old of filterActive(oldRSs)) await this.scaleReplicaSetAndRecordEvent(old, 0);
      return;
    }
    if (!isRollingUpdate(d)) return;
    const all = filterActive([...oldRSs, newRS]);
    const allowed = replicasOf(d) > 0 ? replicasOf(d) + maxSurge(d) : 0;
    const toAdd = allowed - specReplicas(all);
    let operation = '';
    if (toAdd > 0) {
      all.sort(bySizeNewer);
      operation = 'up';
    } else if (toAdd < 0) {
      all.sort(bySizeOlder);
      operation = 'down';
    }
    let added = 0;
    const sizes = new Map<string, number>();
    for (const rs of all) {
      if (toAdd !== 0) {
        const p = getProportion(rs, d, toAdd, added);
        sizes.set(rs.metadata!.name!, rsReplicas(rs) + p);
        added += p;
      } else sizes.set(rs.metadata!.name!, rsReplicas(rs));
    }
    for (const [i, rs] of all.entries()) {
      if (i === 0 && toAdd !== 0) sizes.set(rs.metadata!.name!, Math.max(0, sizes.get(rs.metadata!.name!)! + toAdd - added));
      await this.scaleReplicaSet(rs, sizes.get(rs.metadata!.name!)!, operation);
    }
  }

  /** Upstream's isScalingEvent: some active ReplicaSet was sized for another spec.replicas. */
  async isScalingEvent(): Promise<boolean> {
    const [newRS, oldRSs] = await this.getAllReplicaSetsAndSyncRevision(false);
    for (const rs of filterActive([...oldRSs, newRS])) {
      const desired = rs.metadata?.annotations?.['deployment.kubernetes.io/desired-replicas'];
      if (desired === undefined || !/^\d+$/.test(desired)) continue;
      if (Number(desired) !== replicasOf(this.d)) return true;
    }
    return false;
  }

  // ------------------------------------------------------------------ history and status

  /** Upstream's cleanupDeployment: delete the oldest scaled-down ReplicaSets beyond revisionHistoryLimit. */
  async cleanupDeployment(oldRSs: ReplicaSet[]): Promise<void> {
    if (!hasRevisionHistoryLimit(this.d)) return;
    const cleanable = oldRSs.filter((rs) => !rs.metadata?.deletionTimestamp).sort(byRevision);
    const diff = cleanable.length - this.d.spec!.revisionHistoryLimit!;
    for (const rs of cleanable.slice(0, Math.max(0, diff))) {
      if ((rs.status?.replicas ?? 0) !== 0 || rsReplicas(rs) !== 0 || (rs.metadata?.generation ?? 0) > (rs.status?.observedGeneration ?? 0)) continue;
      try {
        await this.ctx.client.delete(refTo(REPLICA_SETS, rs.metadata!.namespace, rs.metadata!.name!), { preconditions: { uid: rs.metadata!.uid } });
      } catch (e) {
        if (!isNotFound(e)) throw e;
      }
    }
  }

  /** Upstream's calculateStatus. */
  calculateStatus(allRSs: Array<ReplicaSet | undefined>, newRS: ReplicaSet | undefined): DeploymentStatus {
    const d = this.d;
    const available = availableReplicas(allRSs);
    const status: DeploymentStatus = {
      observedGeneration: d.metadata.generation ?? 0,
      replicas: actualReplicas(allRSs),
      updatedReplicas: actualReplicas([newRS]),
      readyReplicas: readyReplicas(allRSs),
      availableReplicas: available,
      unavailableReplicas: Math.max(0, specReplicas(allRSs) - available),
      ...(d.status?.collisionCount !== undefined ? { collisionCount: d.status.collisionCount } : {}),
      ...(d.status?.conditions ? { conditions: d.status.conditions.map((c) => ({ ...c })) } : {}),
    };
    if (available >= replicasOf(d) - maxUnavailable(d)) {
      setCondition(status, newCondition('Available', 'True', MIN_AVAILABLE_REASON, 'Deployment has minimum availability.', this.stamp()));
    } else {
      setCondition(status, newCondition('Available', 'False', MIN_UNAVAILABLE_REASON, 'Deployment does not have minimum availability.', this.stamp()));
    }
    return status;
  }

  sameStatus(s: DeploymentStatus): boolean {
    return stableJson(normalizeStatus(this.d.status ?? {})) === stableJson(normalizeStatus(s));
  }

  /** Upstream's syncDeploymentStatus (scaling and paused paths). */
  async syncDeploymentStatus(allRSs: Array<ReplicaSet | undefined>, newRS: ReplicaSet | undefined): Promise<void> {
    const status = this.calculateStatus(allRSs, newRS);
    if (this.sameStatus(status)) return;
    await this.writeStatus(status);
  }

  /** Pods of the old ReplicaSets that still run (Recreate waits for them). */
  oldPodsRunning(newRS: ReplicaSet | undefined, oldRSs: ReplicaSet[]): boolean {
    if (actualReplicas(oldRSs) > 0) return true;
    for (const [uid, pods] of this.podMap) {
      if (newRS && newRS.metadata?.uid === uid) continue;
      for (const p of pods) {
        const phase = p.status?.phase;
        if (phase === 'Failed' || phase === 'Succeeded') continue;
        return true;
      }
    }
    return false;
  }
}
