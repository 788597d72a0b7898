/**
 * The DaemonSet controller (upstream pkg/controller/daemon): one Pod of the template on
 * every node that should run it (nodeSelector, required node affinity, taints against
 * tolerations), tied to its node by a required node affinity `metadata.name In [node]`
 * that the scheduler honours; Pods on nodes that stop qualifying (or are deleted) go,
 * failed Pods are replaced with back-off. Templates are kept as ControllerRevisions
 * (`<ds>-<hash>`, the hash also on every Pod as `controller-revision-hash`), which
 * drive the RollingUpdate (maxUnavailable, maxSurge) and OnDelete strategies and
 * `kubectl rollout history/undo`.
 */
import {
  type ControllerRevision,
  controllerRef,
  type DaemonSet,
  type DaemonSetStatus,
  isBeingDeleted,
  isPodAvailable,
  isPodReady,
  type KubeObject,
  type Node,
  type Pod,
} from '@minik8s/api';
import { type LabelSelector, labelSelectorAsSelector } from '@minik8s/api/selectors';
import { type EventRecorder, isConflict, isNotFound, objectKey } from '@minik8s/client/kube';
import { QueueLoop, type Runnable } from '@minik8s/client/runtime';
import type { Logger } from 'pino';
import { type ControllerContext, eventRecorder } from '../internal/context.ts';
import { claimChildren, newControllerRef, resolveControllerRef } from '../internal/controller-ref.ts';
import { Expectations } from '../internal/expectations.ts';
import { computeHash } from '../internal/hash.ts';
import {
  CONTROLLER_REVISION_HASH,
  claimRevisions,
  createControllerRevision,
  DEFAULT_REVISION_HISTORY_LIMIT,
  deleteRevision,
  maxRevision,
  revisionHash,
  revisionHolds,
  revisionsToTruncate,
  updateRevisionNumber,
} from '../internal/history.ts';
import { CONTROLLER_REVISIONS, DAEMON_SETS, NODES, PODS, refTo } from '../internal/resources.ts';
import { slowStartBatch } from '../replicaset/replicaset-controller.ts';
import {
  byCreationAndPhase,
  isPodUpdated,
  nodeShouldRunDaemonPod,
  podTemplate,
  replaceNodeNameAffinity,
  revisionData,
  surgeCount,
  targetNodeName,
  templateGeneration,
  unavailableCount,
} from './util.ts';

export const DAEMONSET_CONTROLLER = 'daemonset-controller';
/** Upstream's BurstReplicas for DaemonSets: at most this many creates or deletes per sync. */
export const DS_BURST_REPLICAS = 250;
/** Back-off before replacing a failed daemon Pod on the same node again (upstream: 1 s doubling to 15 min). */
export const FAILED_POD_BACKOFF_INITIAL_MS = 1000;
export const FAILED_POD_BACKOFF_MAX_MS = 15 * 60_000;
const DS_KIND = { apiVersion: 'apps/v1', kind: 'DaemonSet' };
const BY_CONTROLLER = 'controllerUID';

type Status = DaemonSetStatus;

export class DaemonSetController implements Runnable {
  readonly name = DAEMONSET_CONTROLLER;
  private readonly loop: QueueLoop;
  private readonly expectations: Expectations;
  private readonly recorder: EventRecorder;
  private readonly log: Logger;
  private readonly dsInformer;
  private readonly podInformer;
  private readonly nodeInformer;
  private readonly revInformer;
  /** Failed-Pod back-off per `<ds uid>/<observed generation>/<node>`: the current delay and when it was last raised. */
  private readonly backoff = new Map<string, { delayMs: number; at: number }>();

  constructor(private readonly ctx: ControllerContext) {
    this.log = ctx.log.child({ component: DAEMONSET_CONTROLLER });
    this.expectations = new Expectations(ctx.clock);
    this.recorder = eventRecorder(ctx, DAEMONSET_CONTROLLER);
    this.loop = new QueueLoop({ name: 'daemonset', workers: ctx.workers, clock: ctx.clock, log: this.log, reconcile: (k) => this.sync(k) });
    this.dsInformer = ctx.informers.for<DaemonSet>(DAEMON_SETS);
    this.podInformer = ctx.informers.index<Pod>(PODS, BY_CONTROLLER, controllerUidIndex);
    this.nodeInformer = ctx.informers.for<Node>(NODES);
    this.revInformer = ctx.informers.index<ControllerRevision>(CONTROLLER_REVISIONS, BY_CONTROLLER, controllerUidIndex);
    this.dsInformer.addEventHandler({
      onAdd: (ds) => this.loop.enqueue(objectKey(ds)),
      onUpdate: (_o, ds) => this.loop.enqueue(objectKey(ds)),
      onDelete: (ds) => {
        this.expectations.delete(objectKey(ds));
        this.loop.enqueue(objectKey(ds));
      },
    });
    this.podInformer.addEventHandler({
      onAdd: (p) => this.addPod(p),
      onUpdate: (o, p) => this.updatePod(o, p),
      onDelete: (p) => this.deletePod(p),
    });
    this.nodeInformer.addEventHandler({
      onAdd: (n) => {
        for (const ds of this.dsInformer.list()) if (nodeShouldRunDaemonPod(n, ds).shouldRun) this.loop.enqueue(objectKey(ds));
      },
      onUpdate: (o, n) => this.updateNode(o, n),
      // Upstream leaves the Pods of a deleted node to the Pod garbage collector; minik8s has none, so the DaemonSet removes them.
      onDelete: (n) => {
        for (const ds of this.dsInformer.list()) {
          if (this.podInformer.byIndex(BY_CONTROLLER, ds.metadata.uid!).some((p) => targetNodeName(p) === n.metadata.name)) this.loop.enqueue(objectKey(ds));
        }
      },
    });
    const onRevision = (r: ControllerRevision) => {
      const ds = this.ownerOf(r);
      if (ds) this.loop.enqueue(objectKey(ds));
      else if (!controllerRef(r)) for (const m of this.matching(r)) this.loop.enqueue(objectKey(m));
    };
    this.revInformer.addEventHandler({ onAdd: onRevision, onUpdate: (_o, r) => onRevision(r), onDelete: onRevision });
  }

  async run(signal: AbortSignal): Promise<void> {
    await Promise.all([this.dsInformer, this.podInformer, this.nodeInformer, this.revInformer].map((i) => i.waitForSync(signal)));
    await this.loop.run(signal);
    await this.recorder.flush();
  }

  // ------------------------------------------------------------------ handlers

  private ownerOf(o: KubeObject): DaemonSet | undefined {
    return resolveControllerRef(controllerRef(o), 'DaemonSet', (name) => this.dsInformer.getByName(o.metadata.namespace, name));
  }

  /** DaemonSets in the object's namespace whose selector matches it (for orphans). */
  private matching(o: KubeObject): DaemonSet[] {
    return this.dsInformer.list(o.metadata.namespace).filter((ds) => {
      try {
        const sel = labelSelectorAsSelector(ds.spec?.selector);
        return !sel.isEmpty() && sel.matches(o.metadata.labels);
      } catch {
        return false;
      }
    });
  }

  private addPod(p: Pod): void {
    if (isBeingDeleted(p)) {
      this.deletePod(p);
      return;
    }
    const ds = this.ownerOf(p);
    if (ds) {
      this.expectations.creationObserved(objectKey(ds));
      this.loop.enqueue(objectKey(ds));
      return;
    }
    if (controllerRef(p)) return;
    for (const m of this.matching(p)) this.loop.enqueue(objectKey(m));
  }

  private updatePod(old: Pod, cur: Pod): void {
    if (old.metadata.resourceVersion === cur.metadata.resourceVersion) return;
    if (isBeingDeleted(cur)) {
      this.deletePod(cur);
      return;
    }
    const oldRef = controllerRef(old);
    if (oldRef && oldRef.uid !== controllerRef(cur)?.uid) {
      const ds = this.ownerOf(old);
      if (ds) this.loop.enqueue(objectKey(ds));
    }
    const ds = this.ownerOf(cur);
    if (ds) {
      this.loop.enqueue(objectKey(ds));
      const minReady = ds.spec?.minReadySeconds ?? 0;
      if (minReady > 0 && !isPodReady(old) && isPodReady(cur)) this.loop.enqueueAfter(objectKey(ds), minReady * 1000 + 1000);
      return;
    }
    if (controllerRef(cur)) return;
    for (const m of this.matching(cur)) this.loop.enqueue(objectKey(m));
  }

  private deletePod(p: Pod): void {
    const ds = this.ownerOf(p);
    if (!ds) return;
    this.expectations.deletionObserved(objectKey(ds), objectKey(p));
    this.loop.enqueue(objectKey(ds));
  }

  /** Upstream's updateNode: only changes that alter where a DaemonSet runs matter (not heartbeats). */
  private updateNode(old: Node, cur: Node): void {
    const same = (a: unknown, b: unknown) => JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
    const condSig = (n: Node) => (n.status?.conditions ?? []).map((c) => `${c.type}=${c.status}`).join(',');
    if (same(old.metadata.labels, cur.metadata.labels) && same(old.spec, cur.spec) && condSig(old) === condSig(cur)) return;
    for (const ds of this.dsInformer.list()) {
      const a = nodeShouldRunDaemonPod(old, ds);
      const b = nodeShouldRunDaemonPod(cur, ds);
      if (a.shouldRun !== b.shouldRun || a.shouldContinueRunning !== b.shouldContinueRunning) this.loop.enqueue(objectKey(ds));
    }
  }

  // ------------------------------------------------------------------ sync

  private async sync(key: string): Promise<{ requeueAfter?: number } | undefined> {
    const ds = this.dsInformer.get(key);
    if (!ds) {
      this.expectations.delete(key);
      return undefined;
    }
    let selector: LabelSelector;
    try {
      selector = labelSelectorAsSelector(ds.spec?.selector);
    } catch (e) {
      this.log.warn({ key, err: e }, 'invalid selector');
      return undefined;
    }
    if (selector.isEmpty()) {
      this.recorder.event(dsObject(ds), 'Warning', 'SelectingAll', 'This daemon set is selecting all pods. A non-empty selector is required.');
      return undefined;
    }
    // Being deleted: its revisions may be going too, so nothing is created from them.
    if (isBeingDeleted(ds)) return undefined;
    const nodes = this.nodeInformer.list();
    const pods = await this.claimPods(ds, selector);
    const { cur, old, collisionCount } = await this.constructHistory(ds, selector, pods);
    const hash = revisionHash(cur);
    const sync: SyncState = { requeueAfter: undefined };
    if (!this.expectations.satisfied(key)) return this.updateStatus(ds, nodes, pods, hash, false, collisionCount, sync);

    let error: unknown;
    try {
      await this.manage(key, ds, nodes, pods, hash, sync);
      if (this.expectations.satisfied(key)) {
        if ((ds.spec?.updateStrategy?.type ?? 'RollingUpdate') === 'RollingUpdate') await this.rollingUpdate(key, ds, nodes, pods, hash);
      }
      await this.cleanupHistory(ds, pods, old);
    } catch (e) {
      error = e;
    }
    const res = await this.updateStatus(ds, nodes, pods, hash, true, collisionCount, sync);
    if (error) throw error;
    return res;
  }

  /** Every Pod in the namespace the DaemonSet controls, after adoption and release. */
  private async claimPods(ds: DaemonSet, selector: LabelSelector): Promise<Pod[]> {
    const candidates = this.podInformer
      .list(ds.metadata.namespace)
      .filter((p) => !controllerRef(p) || controllerRef(p)!.uid === ds.metadata.uid || selector.matches(p.metadata.labels));
    return claimChildren<Pod>({
      client: this.ctx.client,
      owner: ds,
      ownerKind: DS_KIND,
      ownerResource: DAEMON_SETS,
      childResource: PODS,
      selector,
      candidates,
    });
  }

  /** Upstream's getNodesToDaemonPods: the Pods by the node they run on (or are tied to). */
  private nodesToPods(pods: Pod[]): Map<string, Pod[]> {
    const m = new Map<string, Pod[]>();
    for (const p of pods) {
      const node = targetNodeName(p);
      if (node === undefined) continue;
      m.set(node, [...(m.get(node) ?? []), p]);
    }
    return m;
  }

  // ------------------------------------------------------------------ history

  /**
   * Upstream's constructHistory: the revision holding the current template (created, or
   * the highest of duplicates kept and renumbered to be the newest) and the old ones.
   */
  private async constructHistory(
    ds: DaemonSet,
    selector: LabelSelector,
    pods: Pod[],
  ): Promise<{ cur: ControllerRevision; old: ControllerRevision[]; collisionCount: number | undefined }> {
    let histories = await claimRevisions({
      client: this.ctx.client,
      parent: ds,
      parentKind: DS_KIND,
      parentResource: DAEMON_SETS,
      selector,
      candidates: this.revInformer.list(ds.metadata.namespace),
    });
    // Revisions from before the hash label get it (their name).
    histories = await Promise.all(
      histories.map(async (h) => {
        if (h.metadata.labels?.[CONTROLLER_REVISION_HASH]) return h;
        const next = structuredClone(h);
        next.metadata.labels = { ...(next.metadata.labels ?? {}), [CONTROLLER_REVISION_HASH]: h.metadata.name! };
        return this.ctx.client.update<ControllerRevision>(refTo(CONTROLLER_REVISIONS, h.metadata.namespace, h.metadata.name!), next);
      }),
    );
    const data = revisionData(ds);
    const current = histories.filter((h) => revisionHolds(h, data));
    const old = histories.filter((h) => !revisionHolds(h, data));
    const currRevision = maxRevision(old) + 1;
    let collisionCount = ds.status?.collisionCount;
    let cur: ControllerRevision;
    if (current.length === 0) {
      const statusCount = ds.status?.collisionCount;
      const created = await createControllerRevision(this.ctx.client, {
        parent: ds,
        parentKind: DS_KIND,
        templateLabels: ds.spec?.template?.metadata?.labels,
        annotations: ds.metadata.annotations,
        data,
        revision: currRevision,
        collisionCount: statusCount ?? 0,
        hashFor: (cc) => computeHash(ds.spec?.template, cc === 0 && statusCount === undefined ? undefined : cc),
      });
      cur = created.revision;
      if (created.collisionCount !== (statusCount ?? 0)) collisionCount = created.collisionCount;
    } else {
      cur = await this.dedupCurrent(ds, current, pods);
    }
    if (cur.revision < currRevision) cur = await updateRevisionNumber(this.ctx.client, cur, currRevision);
    return { cur, old, collisionCount };
  }

  /** Upstream's dedupCurHistories: keep the highest-numbered, move its duplicates' Pods to its hash, delete them. */
  private async dedupCurrent(ds: DaemonSet, current: ControllerRevision[], pods: Pod[]): Promise<ControllerRevision> {
    if (current.length === 1) return current[0]!;
    const keep = current.reduce((a, b) => (b.revision > a.revision ? b : a));
    const keepHash = revisionHash(keep);
    for (const dup of current) {
      if (dup === keep) continue;
      const dupHash = revisionHash(dup);
      for (const p of pods) {
        if (p.metadata.labels?.[CONTROLLER_REVISION_HASH] !== dupHash) continue;
        const next = structuredClone(p);
        next.metadata.labels = { ...next.metadata.labels, [CONTROLLER_REVISION_HASH]: keepHash };
        await this.ctx.client.update(refTo(PODS, p.metadata.namespace, p.metadata.name!), next);
      }
      await deleteRevision(this.ctx.client, dup);
    }
    this.log.debug({ ds: ds.metadata.name, keep: keep.metadata.name }, 'deduplicated revisions');
    return keep;
  }

  /** Upstream's cleanupHistory: old revisions beyond revisionHistoryLimit go, unless a Pod still runs them. */
  private async cleanupHistory(ds: DaemonSet, pods: Pod[], old: ControllerRevision[]): Promise<void> {
    const limit = ds.spec?.revisionHistoryLimit ?? DEFAULT_REVISION_HISTORY_LIMIT;
    if (old.length <= limit) return;
    const live = new Set<string>();
    for (const p of pods) {
      const h = p.metadata.labels?.[CONTROLLER_REVISION_HASH];
      if (h) live.add(h);
    }
    for (const r of revisionsToTruncate(old, live, limit)) await deleteRevision(this.ctx.client, r);
  }

  // ------------------------------------------------------------------ manage

  /** Upstream's manage: which nodes need a Pod, which Pods must go. */
  private async manage(key: string, ds: DaemonSet, nodes: Node[], pods: Pod[], hash: string, sync: SyncState): Promise<void> {
    const byNode = this.nodesToPods(pods);
    const needing: string[] = [];
    const toDelete: Pod[] = [];
    const surge = surgeCount(ds, 1) > 0; // upstream's AllowsSurge
    for (const node of nodes) {
      const r = this.podsShouldBeOnNode(node, byNode, ds, hash, surge, sync);
      needing.push(...r.needing);
      toDelete.push(...r.toDelete);
    }
    // Pods tied to nodes that no longer exist.
    const names = new Set(nodes.map((n) => n.metadata.name));
    for (const [node, ps] of byNode) if (!names.has(node)) toDelete.push(...ps.filter((p) => !isBeingDeleted(p)));
    await this.syncNodes(key, ds, toDelete, needing, hash);
  }

  private podsShouldBeOnNode(
    node: Node,
    byNode: Map<string, Pod[]>,
    ds: DaemonSet,
    hash: string,
    surge: boolean,
    sync: SyncState,
  ): { needing: string[]; toDelete: Pod[] } {
    const name = node.metadata.name!;
    const { shouldRun, shouldContinueRunning } = nodeShouldRunDaemonPod(node, ds);
    const pods = byNode.get(name);
    const needing: string[] = [];
    const toDelete: Pod[] = [];
    if (shouldRun && !pods) {
      needing.push(name);
    } else if (shouldContinueRunning && pods) {
      const running: Pod[] = [];
      for (const p of pods) {
        if (isBeingDeleted(p)) continue;
        if (p.status?.phase === 'Failed') {
          const bkey = `${ds.metadata.uid}/${ds.status?.observedGeneration ?? 0}/${name}`;
          const now = this.ctx.clock.now();
          const b = this.backoff.get(bkey);
          if (b && now - b.at < b.delayMs) {
            const wait = b.delayMs - (now - b.at);
            sync.requeueAfter = Math.min(sync.requeueAfter ?? wait, wait);
            continue;
          }
          this.nextBackoff(bkey, now);
          const msg = `Found failed daemon pod ${p.metadata.namespace}/${p.metadata.name} on node ${name}, will try to kill it`;
          this.recorder.event(dsObject(ds), 'Warning', 'FailedDaemonPod', msg);
          toDelete.push(p);
        } else if (p.status?.phase === 'Succeeded') {
          const msg = `Found succeeded daemon pod ${p.metadata.namespace}/${p.metadata.name} on node ${name}, will try to delete it`;
          this.recorder.event(dsObject(ds), 'Normal', 'SucceededDaemonPod', msg);
          toDelete.push(p);
        } else running.push(p);
      }
      running.sort(byCreationAndPhase);
      if (!surge) {
        // One Pod per node: the oldest stays.
        toDelete.push(...running.slice(1));
      } else if (running.length === 0) {
        // Surging: the node needs one live Pod.
        if (shouldRun) needing.push(name);
      } else if (running.length > 1) {
        // Surging: the oldest current Pod may stand beside the oldest old one until it is
        // available (or the old one is no longer ready); every other Pod goes.
        let newest: Pod | undefined;
        let oldest: Pod | undefined;
        for (const p of running) {
          if (p.metadata.labels?.[CONTROLLER_REVISION_HASH] === hash) {
            if (!newest) {
              newest = p;
              continue;
            }
          } else if (!oldest) {
            oldest = p;
            continue;
          }
          toDelete.push(p);
        }
        if (newest && oldest && (!isPodReady(oldest) || isPodAvailable(newest, ds.spec?.minReadySeconds ?? 0, this.ctx.clock.now()))) toDelete.push(oldest);
      }
    } else if (!shouldContinueRunning && pods) {
      toDelete.push(...pods.filter((p) => !isBeingDeleted(p)));
    }
    return { needing, toDelete };
  }

  /** flowcontrol.Backoff.Next: 1 s, doubling to 15 min; forgotten after twice the maximum. */
  private nextBackoff(key: string, now: number): void {
    const b = this.backoff.get(key);
    if (!b || now - b.at > 2 * FAILED_POD_BACKOFF_MAX_MS) this.backoff.set(key, { delayMs: FAILED_POD_BACKOFF_INITIAL_MS, at: now });
    else this.backoff.set(key, { delayMs: Math.min(b.delayMs * 2, FAILED_POD_BACKOFF_MAX_MS), at: now });
  }

  /** Upstream's syncNodes: create a Pod tied to each node, delete the given Pods, with expectations. */
  private async syncNodes(key: string, ds: DaemonSet, toDelete: Pod[], needing: string[], hash: string): Promise<void> {
    const creates = needing.slice(0, DS_BURST_REPLICAS);
    const deletes = toDelete.slice(0, DS_BURST_REPLICAS);
    if (creates.length === 0 && deletes.length === 0) return;
    this.expectations.expect(
      key,
      creates.length,
      deletes.map((p) => objectKey(p)),
    );
    const template = podTemplate(ds, hash);
    let next = 0;
    const create = async () => {
      const node = creates[next++]!;
      const spec = structuredClone(template.spec!);
      replaceNodeNameAffinity(spec, node);
      await this.createPod(ds, template, spec);
    };
    const created = await slowStartBatch(creates.length, 1, create);
    for (let i = created.successes; i < creates.length; i++) this.expectations.creationObserved(key);
    const results = await Promise.allSettled(deletes.map((p) => this.deleteChild(key, ds, p)));
    if (created.error) throw created.error;
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
  }

  private async createPod(ds: DaemonSet, t: ReturnType<typeof podTemplate>, spec: NonNullable<Pod['spec']>): Promise<void> {
    const pod: Pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        generateName: `${ds.metadata.name}-`,
        namespace: ds.metadata.namespace,
        ...(t.metadata?.labels ? { labels: { ...t.metadata.labels } } : {}),
        ...(t.metadata?.annotations ? { annotations: { ...t.metadata.annotations } } : {}),
        ...(t.metadata?.finalizers ? { finalizers: [...t.metadata.finalizers] } : {}),
        ownerReferences: [newControllerRef(ds, DS_KIND)],
      },
      spec,
    };
    try {
      const created = await this.ctx.client.create<Pod>(PODS, pod);
      this.recorder.event(dsObject(ds), 'Normal', 'SuccessfulCreate', `Created pod: ${created.metadata.name}`);
    } catch (e) {
      if (isNamespaceTerminating(e)) return;
      this.recorder.event(dsObject(ds), 'Warning', 'FailedCreate', `Error creating: ${(e as Error).message}`);
      throw e;
    }
  }

  private async deleteChild(key: string, ds: DaemonSet, p: Pod): Promise<void> {
    const name = p.metadata.name!;
    try {
      await this.ctx.client.delete(refTo(PODS, p.metadata.namespace, name), { preconditions: { uid: p.metadata.uid } });
      this.recorder.event(dsObject(ds), 'Normal', 'SuccessfulDelete', `Deleted pod: ${name}`);
    } catch (e) {
      this.expectations.deletionObserved(key, objectKey(p));
      if (isNotFound(e) || isConflict(e)) return;
      this.recorder.event(dsObject(ds), 'Warning', 'FailedDelete', `Error deleting: ${(e as Error).message}`);
      throw e;
    }
  }

  // ------------------------------------------------------------------ rolling update

  /** Upstream's updatedDesiredNodeCounts: maxSurge, maxUnavailable and the nodes that should run a Pod. */
  private desiredCounts(ds: DaemonSet, nodes: Node[], byNode: Map<string, Pod[]>): { maxSurge: number; maxUnavailable: number } {
    let desired = 0;
    for (const n of nodes) {
      if (!nodeShouldRunDaemonPod(n, ds).shouldRun) continue;
      desired++;
      if (!byNode.has(n.metadata.name!)) byNode.set(n.metadata.name!, []);
    }
    const maxSurge = surgeCount(ds, desired);
    let maxUnavailable = unavailableCount(ds, desired);
    if (maxSurge === 0 && maxUnavailable === 0) maxUnavailable = 1;
    return { maxSurge, maxUnavailable };
  }

  /**
   * Upstream's rollingUpdate. Without surge: old Pods are deleted (the manage loop then
   * creates their replacements) while fewer than maxUnavailable nodes lack an available
   * Pod; unavailable old Pods go first. With surge: a new Pod is created next to the old
   * one on up to maxSurge nodes, and the old one deleted once the new one is available.
   */
  private async rollingUpdate(key: string, ds: DaemonSet, nodes: Node[], pods: Pod[], hash: string): Promise<void> {
    const byNode = this.nodesToPods(pods);
    const { maxSurge, maxUnavailable } = this.desiredCounts(ds, nodes, byNode);
    const now = this.ctx.clock.now();
    const minReady = ds.spec?.minReadySeconds ?? 0;
    const available = (p: Pod) => isPodAvailable(p, minReady, now);
    const gen = templateGeneration(ds);
    const entries = [...byNode.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    if (maxSurge === 0) {
      let numUnavailable = 0;
      const allowed: Pod[] = [];
      const candidates: Pod[] = [];
      for (const [, ps] of entries) {
        const found = findUpdatedPodsOnNode(ps, hash, gen);
        if (!found) {
          numUnavailable++;
          continue;
        }
        const { newPod, oldPod } = found;
        if ((!oldPod && !newPod) || (oldPod && newPod)) numUnavailable++;
        else if (newPod) {
          if (!available(newPod)) numUnavailable++;
        } else if (oldPod) {
          if (!available(oldPod)) allowed.push(oldPod);
          else if (numUnavailable >= maxUnavailable) continue;
          else candidates.push(oldPod);
        }
      }
      const remaining = Math.min(Math.max(maxUnavailable - numUnavailable, 0), candidates.length);
      await this.syncNodes(key, ds, [...allowed, ...candidates.slice(0, remaining)], [], hash);
      return;
    }
    let numSurge = 0;
    const allowedNodes: string[] = [];
    const candidateNodes: string[] = [];
    const oldToDelete: Pod[] = [];
    for (const [node, ps] of entries) {
      const found = findUpdatedPodsOnNode(ps, hash, gen);
      if (!found) {
        numSurge++;
        continue;
      }
      const { newPod, oldPod } = found;
      if (!oldPod) continue; // the manage loop looks after this node
      if (!newPod) {
        if (!available(oldPod)) allowedNodes.push(node);
        else if (numSurge >= maxSurge) continue;
        else candidateNodes.push(node);
      } else if (!available(newPod)) numSurge++;
      else oldToDelete.push(oldPod);
    }
    const remaining = Math.min(Math.max(maxSurge - numSurge, 0), candidateNodes.length);
    await this.syncNodes(key, ds, oldToDelete, [...allowedNodes, ...candidateNodes.slice(0, remaining)], hash);
  }

  // ------------------------------------------------------------------ status

  private async updateStatus(
    ds: DaemonSet,
    nodes: Node[],
    pods: Pod[],
    hash: string,
    observe: boolean,
    collisionCount: number | undefined,
    sync: SyncState,
  ): Promise<{ requeueAfter?: number } | undefined> {
    const byNode = this.nodesToPods(pods);
    const now = this.ctx.clock.now();
    const minReady = ds.spec?.minReadySeconds ?? 0;
    const gen = templateGeneration(ds);
    let desired = 0;
    let current = 0;
    let misscheduled = 0;
    let ready = 0;
    let available = 0;
    let updated = 0;
    for (const node of nodes) {
      const { shouldRun } = nodeShouldRunDaemonPod(node, ds);
      const ps = byNode.get(node.metadata.name!) ?? [];
      const scheduled = ps.length > 0;
      if (shouldRun) {
        desired++;
        if (!scheduled) continue;
        current++;
        const p = [...ps].sort(byCreationAndPhase)[0]!;
        if (isPodReady(p)) {
          ready++;
          if (isPodAvailable(p, minReady, now)) available++;
        }
        if (isPodUpdated(p, hash, gen)) updated++;
      } else if (scheduled) misscheduled++;
    }
    const status: Status = {
      ...structuredClone(ds.status ?? {}),
      currentNumberScheduled: current,
      numberMisscheduled: misscheduled,
      desiredNumberScheduled: desired,
      numberReady: ready,
      updatedNumberScheduled: updated,
      numberAvailable: available,
      numberUnavailable: desired - available,
    } as Status;
    if (collisionCount !== undefined) status.collisionCount = collisionCount;
    if (observe) status.observedGeneration = ds.metadata.generation ?? 0;
    const next = normalizeStatus(status);
    if (JSON.stringify(next) !== JSON.stringify(normalizeStatus((ds.status ?? {}) as Status))) await this.writeStatus(ds, next);
    let requeueAfter = sync.requeueAfter;
    if (minReady > 0 && ready !== available) requeueAfter = Math.min(requeueAfter ?? minReady * 1000, minReady * 1000);
    return requeueAfter !== undefined ? { requeueAfter } : undefined;
  }

  private async writeStatus(ds: DaemonSet, status: Status): Promise<void> {
    let cur = ds;
    for (let attempt = 0; ; attempt++) {
      const next = {
        ...structuredClone(cur),
        status: {
          ...status,
          ...(cur.status?.collisionCount !== undefined && status.collisionCount === undefined ? { collisionCount: cur.status.collisionCount } : {}),
        },
      };
      try {
        await this.ctx.client.updateStatus<DaemonSet>(refTo(DAEMON_SETS, ds.metadata.namespace, ds.metadata.name!), next);
        return;
      } catch (e) {
        if (isNotFound(e)) return;
        if (!isConflict(e) || attempt >= 1) throw e;
        cur = await this.ctx.client.get<DaemonSet>(refTo(DAEMON_SETS, ds.metadata.namespace, ds.metadata.name!));
      }
    }
  }
}

interface SyncState {
  /** The soonest a failed Pod's back-off ends. */
  requeueAfter: number | undefined;
}

/** Upstream's findUpdatedPodsOnNode: at most one current and one old live Pod, else undefined (manage cleans up). */
function findUpdatedPodsOnNode(pods: Pod[], hash: string, gen: string | undefined): { newPod?: Pod; oldPod?: Pod } | undefined {
  let newPod: Pod | undefined;
  let oldPod: Pod | undefined;
  for (const p of pods) {
    if (isBeingDeleted(p)) continue;
    if (isPodUpdated(p, hash, gen)) {
      if (newPod) return undefined;
      newPod = p;
    } else {
      if (oldPod) return undefined;
      oldPod = p;
    }
  }
  return { newPod, oldPod };
}

/** Status as upstream serializes it: the four scheduling counts always, the rest when set. */
export function normalizeStatus(s: Status): Status {
  const out: Status = {
    currentNumberScheduled: s.currentNumberScheduled ?? 0,
    numberMisscheduled: s.numberMisscheduled ?? 0,
    desiredNumberScheduled: s.desiredNumberScheduled ?? 0,
    numberReady: s.numberReady ?? 0,
  };
  for (const k of ['observedGeneration', 'updatedNumberScheduled', 'numberAvailable', 'numberUnavailable'] as const) if (s[k]) out[k] = s[k];
  if (s.collisionCount !== undefined) out.collisionCount = s.collisionCount;
  if (s.conditions?.length) out.conditions = s.conditions;
  return out;
}

const controllerUidIndex = (o: KubeObject): string[] => {
  const ref = controllerRef(o);
  return ref ? [ref.uid] : [];
};

/** The object an event is about (with the kind the cache may lack). */
const dsObject = (ds: DaemonSet): KubeObject => ({ ...(ds as KubeObject), apiVersion: 'apps/v1', kind: 'DaemonSet' });

function isNamespaceTerminating(e: unknown): boolean {
  const details = (e as { status?: { details?: { causes?: Array<{ reason?: string }> } } }).status?.details;
  return details?.causes?.some((c) => c.reason === 'NamespaceTerminating') ?? false;
}
