/**
 * The Deployment controller (upstream pkg/controller/deployment): rolls a Deployment's
 * Pods from one ReplicaSet to the next (RollingUpdate or Recreate), keeps old
 * ReplicaSets for rollback up to revisionHistoryLimit, and reports progress.
 */
import { controllerRef, type Deployment, isBeingDeleted, type KubeObject, type Pod, type ReplicaSet } from '@minik8s/api';
import { type LabelSelector, labelSelectorAsSelector } from '@minik8s/api/selectors';
import { type EventRecorder, objectKey } from '@minik8s/client/kube';
import { QueueLoop, type Runnable } from '@minik8s/client/runtime';
import type { Logger } from 'pino';
import { type ControllerContext, eventRecorder } from '../internal/context.ts';
import { claimChildren, resolveControllerRef } from '../internal/controller-ref.ts';
import { DEPLOYMENTS, PODS, REPLICA_SETS } from '../internal/resources.ts';
import { checkPausedConditions, rolloutRecreate, rolloutRolling } from './rollout.ts';
import { DEPLOYMENT_KIND, DeploymentSync } from './sync.ts';

export const DEPLOYMENT_CONTROLLER = 'deployment-controller';
const BY_CONTROLLER = 'controllerUID';

export class DeploymentController implements Runnable {
  readonly name = DEPLOYMENT_CONTROLLER;
  private readonly loop: QueueLoop;
  private readonly recorder: EventRecorder;
  private readonly log: Logger;
  private readonly dInformer;
  private readonly rsInformer;
  private readonly podInformer;

  constructor(private readonly ctx: ControllerContext) {
    this.log = ctx.log.child({ component: DEPLOYMENT_CONTROLLER });
    this.recorder = eventRecorder(ctx, DEPLOYMENT_CONTROLLER);
    this.loop = new QueueLoop({ name: 'deployment', workers: ctx.workers, clock: ctx.clock, log: this.log, reconcile: (k) => this.sync(k) });
    this.dInformer = ctx.informers.for<Deployment & KubeObject>(DEPLOYMENTS);
    this.rsInformer = ctx.informers.index<ReplicaSet & KubeObject>(REPLICA_SETS, BY_CONTROLLER, controllerUidIndex);
    this.podInformer = ctx.informers.index<Pod & KubeObject>(PODS, BY_CONTROLLER, controllerUidIndex);
    this.dInformer.addEventHandler({
      onAdd: (d) => this.loop.enqueue(objectKey(d)),
      onUpdate: (_o, d) => this.loop.enqueue(objectKey(d)),
      onDelete: (d) => this.loop.enqueue(objectKey(d)),
    });
    this.rsInformer.addEventHandler({
      onAdd: (rs) => this.addReplicaSet(rs),
      onUpdate: (old, rs) => this.updateReplicaSet(old, rs),
      onDelete: (rs) => this.enqueueOwner(rs),
    });
    this.podInformer.onDelete((p) => this.deletePod(p));
  }

  async run(signal: AbortSignal): Promise<void> {
    await Promise.all([this.dInformer.waitForSync(signal), this.rsInformer.waitForSync(signal), this.podInformer.waitForSync(signal)]);
    await this.loop.run(signal);
    await this.recorder.flush();
  }

  // ------------------------------------------------------------------ handlers

  private ownerOf(rs: ReplicaSet): (Deployment & KubeObject) | undefined {
    return resolveControllerRef(controllerRef(rs), 'Deployment', (name) => this.dInformer.getByName(rs.metadata!.namespace, name));
  }

  private enqueueOwner(rs: ReplicaSet): boolean {
    const d = this.ownerOf(rs);
    if (d) this.loop.enqueue(objectKey(d));
    return !!d;
  }

  /** Deployments whose selector matches an orphan ReplicaSet's labels. */
  private matchingDeployments(rs: ReplicaSet): Deployment[] {
    return this.dInformer.list(rs.metadata!.namespace).filter((d) => {
      try {
        const sel = labelSelectorAsSelector(d.spec?.selector);
        return !sel.isEmpty() && sel.matches(rs.metadata?.labels);
      } catch {
        return false;
      }
    });
  }

  private addReplicaSet(rs: ReplicaSet): void {
    if (this.enqueueOwner(rs) || controllerRef(rs)) return;
    for (const d of this.matchingDeployments(rs)) this.loop.enqueue(objectKey(d as KubeObject));
  }

  private updateReplicaSet(old: ReplicaSet, cur: ReplicaSet): void {
    if (old.metadata?.resourceVersion === cur.metadata?.resourceVersion) return;
    const oldRef = controllerRef(old);
    const curRef = controllerRef(cur);
    if (oldRef && oldRef.uid !== curRef?.uid) this.enqueueOwner(old);
    if (curRef) {
      this.enqueueOwner(cur);
      return;
    }
    const labelsChanged = JSON.stringify(old.metadata?.labels ?? {}) !== JSON.stringify(cur.metadata?.labels ?? {});
    if (labelsChanged || oldRef) for (const d of this.matchingDeployments(cur)) this.loop.enqueue(objectKey(d as KubeObject));
  }

  /** Recreate waits for the old Pods to be gone: a Pod's deletion may be what it waits for. */
  private deletePod(p: Pod): void {
    const ref = controllerRef(p);
    if (ref?.kind !== 'ReplicaSet') return;
    const rs = this.rsInformer.getByName(p.metadata!.namespace, ref.name);
    if (!rs || rs.metadata.uid !== ref.uid) return;
    const d = this.ownerOf(rs);
    if (d && d.spec?.strategy?.type === 'Recreate') this.loop.enqueue(objectKey(d));
  }

  // ------------------------------------------------------------------ sync

  private async sync(key: string): Promise<{ requeueAfter?: number } | undefined> {
    const cached = this.dInformer.get(key);
    if (!cached) return undefined;
    const sel = cached.spec?.selector;
    if (!sel || (Object.keys(sel.matchLabels ?? {}).length === 0 && (sel.matchExpressions ?? []).length === 0)) {
      this.recorder.event(
        { ...cached, apiVersion: 'apps/v1', kind: 'Deployment' },
        'Warning',
        'SelectingAll',
        'This deployment is selecting all pods. A non-empty selector is required.',
      );
      if ((cached.status?.observedGeneration ?? 0) < (cached.metadata.generation ?? 0)) {
        const s = new DeploymentSync(this.ctx, this.recorder, cached, [], new Map());
        await s.writeStatus({ ...cached.status, observedGeneration: cached.metadata.generation ?? 0 });
      }
      return undefined;
    }
    let selector: LabelSelector;
    try {
      selector = labelSelectorAsSelector(sel);
    } catch (e) {
      this.log.warn({ key, err: e }, 'invalid selector');
      return undefined;
    }
    const rsList = await claimChildren<ReplicaSet & KubeObject>({
      client: this.ctx.client,
      owner: cached,
      ownerKind: DEPLOYMENT_KIND,
      ownerResource: DEPLOYMENTS,
      childResource: REPLICA_SETS,
      selector,
      candidates: this.rsInformer.list(cached.metadata.namespace),
    });
    const podMap = new Map<string, Pod[]>();
    for (const rs of rsList) podMap.set(rs.metadata.uid!, this.podInformer.byIndex(BY_CONTROLLER, rs.metadata.uid!));
    const s = new DeploymentSync(this.ctx, this.recorder, cached, rsList, podMap);

    if (isBeingDeleted(cached)) {
      const [newRS, oldRSs] = await s.getAllReplicaSetsAndSyncRevision(false);
      await s.syncDeploymentStatus([...oldRSs, newRS], newRS);
      return undefined;
    }
    await checkPausedConditions(s);
    if (s.d.spec?.paused || (await s.isScalingEvent())) {
      const [newRS, oldRSs] = await s.getAllReplicaSetsAndSyncRevision(false);
      await s.scale(newRS, oldRSs);
      if (s.d.spec?.paused) await s.cleanupDeployment(oldRSs);
      await s.syncDeploymentStatus([...oldRSs, newRS], newRS);
      return undefined;
    }
    const requeue = s.d.spec?.strategy?.type === 'Recreate' ? await rolloutRecreate(s) : await rolloutRolling(s);
    return requeue === undefined ? undefined : { requeueAfter: requeue };
  }
}

const controllerUidIndex = (o: KubeObject): string[] => {
  const ref = controllerRef(o);
  return ref ? [ref.uid] : [];
};
