/**
 * The ReplicaSet controller (upstream pkg/controller/replicaset): keeps
 * `spec.replicas` Pods from `spec.template` running, adopting matching orphans and
 * releasing Pods that stopped matching, and reports how many are ready and available.
 */
import { controllerRef, isBeingDeleted, type KubeObject, type Pod, type ReplicaSet } from '@minik8s/api';
import { type LabelSelector, labelSelectorAsSelector } from '@minik8s/api/selectors';
import { type EventRecorder, isConflict, isNotFound, objectKey } from '@minik8s/client/kube';
import { QueueLoop, type Runnable } from '@minik8s/client/runtime';
import type { Logger } from 'pino';
import { type ControllerContext, eventRecorder } from '../internal/context.ts';
import { claimChildren, newControllerRef, resolveControllerRef } from '../internal/controller-ref.ts';
import { Expectations } from '../internal/expectations.ts';
import { PODS, REPLICA_SETS, refTo } from '../internal/resources.ts';
import { isPodActive, podsToDelete } from './pod-ranking.ts';
import { calculateStatus, normalizeStatus } from './status.ts';

export const REPLICASET_CONTROLLER = 'replicaset-controller';
/** Upstream's BurstReplicas: at most this many creates or deletes per sync. */
export const BURST_REPLICAS = 500;
const RS_KIND = { apiVersion: 'apps/v1', kind: 'ReplicaSet' };
const BY_CONTROLLER = 'controllerUID';

export class ReplicaSetController implements Runnable {
  readonly name = REPLICASET_CONTROLLER;
  private readonly loop: QueueLoop;
  private readonly expectations: Expectations;
  private readonly recorder: EventRecorder;
  private readonly log: Logger;
  private readonly rsInformer;
  private readonly podInformer;

  constructor(private readonly ctx: ControllerContext) {
    this.log = ctx.log.child({ component: REPLICASET_CONTROLLER });
    this.expectations = new Expectations(ctx.clock);
    this.recorder = eventRecorder(ctx, REPLICASET_CONTROLLER);
    this.loop = new QueueLoop({ name: 'replicaset', workers: ctx.workers, clock: ctx.clock, log: this.log, reconcile: (k) => this.sync(k) });
    this.rsInformer = ctx.informers.index<ReplicaSet>(REPLICA_SETS, BY_CONTROLLER, controllerUidIndex);
    this.podInformer = ctx.informers.index<Pod>(PODS, BY_CONTROLLER, controllerUidIndex);
    this.rsInformer.addEventHandler({
      onAdd: (rs) => this.loop.enqueue(objectKey(rs)),
      onUpdate: (_old, rs) => this.loop.enqueue(objectKey(rs)),
      onDelete: (rs) => {
        this.expectations.delete(objectKey(rs));
        this.loop.enqueue(objectKey(rs));
      },
    });
    this.podInformer.addEventHandler({
      onAdd: (p) => this.addPod(p),
      onUpdate: (o, p) => this.updatePod(o, p),
      onDelete: (p) => this.deletePod(p),
    });
  }

  async run(signal: AbortSignal): Promise<void> {
    await Promise.all([this.rsInformer.waitForSync(signal), this.podInformer.waitForSync(signal)]);
    await this.loop.run(signal);
    await this.recorder.flush();
  }

  // ------------------------------------------------------------------ handlers

  private ownerOf(p: Pod): ReplicaSet | undefined {
    return resolveControllerRef(controllerRef(p), 'ReplicaSet', (name) => this.rsInformer.getByName(p.metadata!.namespace, name));
  }

  /** ReplicaSets in the Pod's namespace whose selector matches it (for orphans). */
  private matchingReplicaSets(p: Pod): ReplicaSet[] {
    return this.rsInformer.list(p.metadata!.namespace).filter((rs) => {
      try {
        const sel = labelSelectorAsSelector(rs.spec?.selector);
        return !sel.isEmpty() && sel.matches(p.metadata?.labels);
      } catch {
        return false;
      }
    });
  }

  private addPod(p: Pod): void {
    if (isBeingDeleted(p)) {
      this.deletePod(p); // a restarted controller sees a Pod already being deleted
      return;
    }
    const rs = this.ownerOf(p);
    if (rs) {
      this.expectations.creationObserved(objectKey(rs));
      this.loop.enqueue(objectKey(rs));
      return;
    }
    if (controllerRef(p)) return; // someone else's
    for (const rs of this.matchingReplicaSets(p)) this.loop.enqueue(objectKey(rs));
  }

  private updatePod(old: Pod, cur: Pod): void {
    if (old.metadata?.resourceVersion === cur.metadata?.resourceVersion) return;
    const labelsChanged = JSON.stringify(old.metadata?.labels ?? {}) !== JSON.stringify(cur.metadata?.labels ?? {});
    if (isBeingDeleted(cur)) {
      this.deletePod(cur);
      if (labelsChanged) this.deletePod(old);
      return;
    }
    const oldRef = controllerRef(old);
    const curRef = controllerRef(cur);
    if (oldRef && oldRef.uid !== curRef?.uid) {
      const rs = this.ownerOf(old);
      if (rs) this.loop.enqueue(objectKey(rs));
    }
    const rs = this.ownerOf(cur);
    if (rs) {
      this.loop.enqueue(objectKey(rs));
      // A Pod that just became ready is available minReadySeconds later: look again then.
      const minReady = rs.spec?.minReadySeconds ?? 0;
      if (minReady > 0 && !isReady(old) && isReady(cur)) this.loop.enqueueAfter(objectKey(rs), minReady * 1000 + 1000);
      return;
    }
    if (curRef) return;
    if (labelsChanged || oldRef) for (const m of this.matchingReplicaSets(cur)) this.loop.enqueue(objectKey(m));
  }

  private deletePod(p: Pod): void {
    const rs = this.ownerOf(p);
    if (!rs) return;
    this.expectations.deletionObserved(objectKey(rs), objectKey(p));
    this.loop.enqueue(objectKey(rs));
  }

  // ------------------------------------------------------------------ sync

  private async sync(key: string): Promise<{ requeueAfter?: number } | undefined> {
    const cached = this.rsInformer.get(key);
    if (!cached) {
      this.expectations.delete(key);
      return undefined;
    }
    const rs = cached;
    let selector: LabelSelector;
    try {
      selector = labelSelectorAsSelector(rs.spec?.selector);
    } catch (e) {
      this.log.warn({ key, err: e }, 'invalid selector');
      return undefined;
    }
    const needsSync = this.expectations.satisfied(key);
    const active = this.podInformer.list(rs.metadata!.namespace).filter(isPodActive);
    const pods = await claimChildren<Pod>({
      client: this.ctx.client,
      owner: rs as KubeObject,
      ownerKind: RS_KIND,
      ownerResource: REPLICA_SETS,
      childResource: PODS,
      selector,
      candidates: active as Array<Pod & KubeObject>,
    });
    let manageError: { error: Error; creating: boolean } | undefined;
    if (needsSync && !isBeingDeleted(rs)) {
      try {
        await this.manageReplicas(key, rs, pods);
      } catch (e) {
        manageError = { error: e as Error, creating: pods.length < (rs.spec?.replicas ?? 1) };
      }
    }
    const now = this.ctx.clock.now();
    const updated = await this.updateStatus(rs, normalizeStatus(calculateStatus(rs, pods, now, manageError)));
    if (manageError) throw manageError.error;
    const replicas = updated.spec?.replicas ?? 1;
    const minReady = updated.spec?.minReadySeconds ?? 0;
    if (minReady > 0 && (updated.status?.readyReplicas ?? 0) === replicas && (updated.status?.availableReplicas ?? 0) !== replicas) {
      return { requeueAfter: minReady * 1000 };
    }
    return undefined;
  }

  private async manageReplicas(key: string, rs: ReplicaSet, pods: Pod[]): Promise<void> {
    const want = rs.spec?.replicas ?? 1;
    const diff = pods.length - want;
    if (diff < 0) {
      const n = Math.min(-diff, BURST_REPLICAS);
      this.expectations.expectCreations(key, n);
      const { successes, error } = await slowStartBatch(n, 1, () => this.createPod(rs));
      for (let i = successes; i < n; i++) this.expectations.creationObserved(key);
      if (error) throw error;
    } else if (diff > 0) {
      const n = Math.min(diff, BURST_REPLICAS);
      const victims = podsToDelete(pods, this.relatedPods(rs, pods), n, this.ctx.clock.now());
      this.expectations.expectDeletions(
        key,
        victims.map((p) => objectKey(p as KubeObject)),
      );
      const results = await Promise.allSettled(victims.map((p) => this.deleteChild(key, rs, p)));
      const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failed) throw failed.reason;
    }
  }

  /** Pods of every ReplicaSet with the same controller (a Deployment's), to rank by node. */
  private relatedPods(rs: ReplicaSet, own: Pod[]): Pod[] {
    const owner = controllerRef(rs);
    if (!owner) return own;
    const siblings = this.rsInformer.byIndex(BY_CONTROLLER, owner.uid);
    return siblings.flatMap((s) => this.podInformer.byIndex(BY_CONTROLLER, s.metadata!.uid!));
  }

  private async createPod(rs: ReplicaSet): Promise<void> {
    const t = rs.spec?.template ?? {};
    const pod: Pod & KubeObject = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        generateName: `${rs.metadata!.name}-`,
        namespace: rs.metadata!.namespace,
        ...(t.metadata?.labels ? { labels: { ...t.metadata.labels } } : {}),
        ...(t.metadata?.annotations ? { annotations: { ...t.metadata.annotations } } : {}),
        ...(t.metadata?.finalizers ? { finalizers: [...t.metadata.finalizers] } : {}),
        ownerReferences: [newControllerRef(rs as KubeObject, RS_KIND)],
      },
      spec: structuredClone(t.spec ?? { containers: [] }),
    };
    try {
      const created = await this.ctx.client.create<Pod & KubeObject>(PODS, pod);
      this.recorder.event(rsObject(rs), 'Normal', 'SuccessfulCreate', `Created pod: ${created.metadata.name}`);
    } catch (e) {
      if (isNamespaceTerminating(e)) return; // every create would fail; the namespace is going away
      this.recorder.event(rsObject(rs), 'Warning', 'FailedCreate', `Error creating: ${(e as Error).message}`);
      throw e;
    }
  }

  private async deleteChild(key: string, rs: ReplicaSet, p: Pod): Promise<void> {
    const name = p.metadata!.name!;
    try {
      await this.ctx.client.delete(refTo(PODS, p.metadata!.namespace, name), { preconditions: { uid: p.metadata!.uid } });
      this.recorder.event(rsObject(rs), 'Normal', 'SuccessfulDelete', `Deleted pod: ${name}`);
    } catch (e) {
      // Not going to happen (or already happened): stop waiting for it.
      this.expectations.deletionObserved(key, objectKey(p as KubeObject));
      if (isNotFound(e) || isConflict(e)) return;
      this.recorder.event(rsObject(rs), 'Warning', 'FailedDelete', `Error deleting: ${(e as Error).message}`);
      throw e;
    }
  }

  private async updateStatus(rs: ReplicaSet, status: NonNullable<ReplicaSet['status']>): Promise<ReplicaSet> {
    const generation = rs.metadata?.generation ?? 0;
    if (sameStatus(normalizeStatus(rs.status ?? { replicas: 0 }), status) && (rs.status?.observedGeneration ?? 0) === generation) return rs;
    let cur = rs;
    for (let attempt = 0; ; attempt++) {
      const next = { ...structuredClone(cur), status: normalizeStatus({ ...status, observedGeneration: cur.metadata?.generation ?? 0 }) };
      try {
        return await this.ctx.client.updateStatus<ReplicaSet & KubeObject>(
          refTo(REPLICA_SETS, rs.metadata!.namespace, rs.metadata!.name!),
          next as ReplicaSet & KubeObject,
        );
      } catch (e) {
        if (!isConflict(e) || attempt >= 1) throw e;
        cur = await this.ctx.client.get<ReplicaSet & KubeObject>(refTo(REPLICA_SETS, rs.metadata!.namespace, rs.metadata!.name!));
      }
    }
  }
}

const controllerUidIndex = (o: KubeObject | Pod | ReplicaSet): string[] => {
  const ref = controllerRef(o as KubeObject);
  return ref ? [ref.uid] : [];
};

const isReady = (p: Pod) => p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;

/** The object an event is about (with the kind the cache may lack). */
const rsObject = (rs: ReplicaSet): KubeObject => ({ ...(rs as KubeObject), apiVersion: 'apps/v1', kind: 'ReplicaSet' });

function sameStatus(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

function isNamespaceTerminating(e: unknown): boolean {
  const details = (e as { status?: { details?: { causes?: Array<{ reason?: string }> } } }).status?.details;
  return details?.causes?.some((c) => c.reason === 'NamespaceTerminating') ?? false;
}

/**
 * Upstream's slowStartBatch: run `count` calls in batches of 1, 2, 4, ... in parallel,
 * stopping after the first batch with a failure, so a create that keeps failing (quota,
 * a bad template) costs a few requests, not hundreds.
 */
export async function slowStartBatch(count: number, initial: number, fn: () => Promise<void>): Promise<{ successes: number; error?: Error }> {
  let remaining = count;
  let successes = 0;
  for (let batch = Math.min(remaining, initial); batch > 0; batch = Math.min(2 * batch, remaining)) {
    const results = await Promise.allSettled(Array.from({ length: batch }, fn));
    const failed = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    successes += batch - failed.length;
    if (failed.length) return { successes, error: failed[0]!.reason as Error };
    remaining -= batch;
  }
  return { successes };
}
