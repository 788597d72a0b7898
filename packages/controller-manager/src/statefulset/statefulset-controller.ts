/**
 * The StatefulSet controller (upstream pkg/controller/statefulset): Pods with a stable
 * identity, `<set>-<ordinal>` for ordinals `[start, start+replicas)`, each with the
 * hostname of its name under the governing Service (`spec.subdomain = serviceName`) and
 * its own PersistentVolumeClaims, `<template>-<set>-<ordinal>`, made before the Pod and
 * kept when it goes. With podManagementPolicy OrderedReady a Pod is made only once every
 * lower ordinal runs Ready (and available for minReadySeconds), and Pods go highest
 * ordinal first; Parallel does both at once. Templates are kept as ControllerRevisions
 * (`<set>-<hash>`, whose name every Pod carries in `controller-revision-hash`); the
 * RollingUpdate strategy deletes the highest-ordinal Pod of an old revision, one at a
 * time and only at or above `partition`, and the replacement gets the new template;
 * OnDelete waits for the user to delete Pods. Claims get owner references as the
 * persistentVolumeClaimRetentionPolicy asks, for the garbage collector to delete them.
 */
import {
  type ControllerRevision,
  controllerRef,
  isBeingDeleted,
  type KubeObject,
  type PersistentVolumeClaim,
  type Pod,
  type StatefulSet,
  type StatefulSetStatus,
} from '@minik8s/api';
import { type LabelSelector, labelSelectorAsSelector } from '@minik8s/api/selectors';
import { type EventRecorder, isAlreadyExists, isConflict, isNotFound, objectKey } from '@minik8s/client/kube';
import { QueueLoop, type Runnable } from '@minik8s/client/runtime';
import type { Logger } from 'pino';
import { type ControllerContext, eventRecorder } from '../internal/context.ts';
import { claimChildren, resolveControllerRef } from '../internal/controller-ref.ts';
import {
  claimRevisions,
  createControllerRevision,
  DEFAULT_REVISION_HISTORY_LIMIT,
  deleteRevision,
  equalRevision,
  newControllerRevision,
  nextRevision,
  revisionsToTruncate,
  sortRevisions,
  updateRevisionNumber,
} from '../internal/history.ts';
import { CONTROLLER_REVISIONS, PERSISTENT_VOLUME_CLAIMS, PODS, refTo, STATEFUL_SETS } from '../internal/resources.ts';
import { slowStartBatch } from '../replicaset/replicaset-controller.ts';
import {
  claimOwnersFor,
  claimsFor,
  endOrdinal,
  hasFinished,
  identityMatches,
  isHealthy,
  isMemberOf,
  isRunningAndAvailable,
  isRunningAndReady,
  isTerminating,
  newStatefulSetPod,
  ordinalOf,
  POD_INDEX_LABEL,
  POD_NAME_LABEL,
  podRevision,
  revisionData,
  STS_KIND,
  startOrdinal,
  templateOf,
} from './util.ts';

export const STATEFULSET_CONTROLLER = 'statefulset-controller';
const BY_CONTROLLER = 'controllerUID';

type Status = StatefulSetStatus;

interface Revisions {
  current: ControllerRevision;
  update: ControllerRevision;
  collisionCount: number;
}

export class StatefulSetController implements Runnable {
  readonly name = STATEFULSET_CONTROLLER;
  private readonly loop: QueueLoop;
  private readonly recorder: EventRecorder;
  private readonly log: Logger;
  private readonly setInformer;
  private readonly podInformer;
  private readonly revInformer;
  private readonly claimInformer;

  constructor(private readonly ctx: ControllerContext) {
    this.log = ctx.log.child({ component: STATEFULSET_CONTROLLER });
    this.recorder = eventRecorder(ctx, STATEFULSET_CONTROLLER);
    this.loop = new QueueLoop({ name: 'statefulset', workers: ctx.workers, clock: ctx.clock, log: this.log, reconcile: (k) => this.sync(k) });
    this.setInformer = ctx.informers.for<StatefulSet>(STATEFUL_SETS);
    this.podInformer = ctx.informers.index<Pod>(PODS, BY_CONTROLLER, controllerUidIndex);
    this.revInformer = ctx.informers.index<ControllerRevision>(CONTROLLER_REVISIONS, BY_CONTROLLER, controllerUidIndex);
    this.claimInformer = ctx.informers.for<PersistentVolumeClaim>(PERSISTENT_VOLUME_CLAIMS);
    this.setInformer.addEventHandler({
      onAdd: (s) => this.loop.enqueue(objectKey(s)),
      onUpdate: (_o, s) => this.loop.enqueue(objectKey(s)),
      onDelete: (s) => this.loop.enqueue(objectKey(s)),
    });
    this.podInformer.addEventHandler({
      onAdd: (p) => this.onPod(p),
      onUpdate: (o, p) => this.updatePod(o, p),
      onDelete: (p) => this.onPod(p),
    });
    const onRevision = (r: ControllerRevision) => {
      const set = this.ownerOf(r);
      if (set) this.loop.enqueue(objectKey(set));
    };
    this.revInformer.addEventHandler({ onAdd: onRevision, onUpdate: (_o, r) => onRevision(r), onDelete: onRevision });
  }

  async run(signal: AbortSignal): Promise<void> {
    await Promise.all([this.setInformer, this.podInformer, this.revInformer, this.claimInformer].map((i) => i.waitForSync(signal)));
    await this.loop.run(signal);
    await this.recorder.flush();
  }

  // ------------------------------------------------------------------ handlers

  private ownerOf(o: KubeObject): StatefulSet | undefined {
    return resolveControllerRef(controllerRef(o), 'StatefulSet', (name) => this.setInformer.getByName(o.metadata.namespace, name));
  }

  /** Upstream's getPodStatefulSets: the sets in the Pod's namespace whose selector matches it (for orphans). */
  private matching(o: KubeObject): StatefulSet[] {
    return this.setInformer.list(o.metadata.namespace).filter((s) => {
      try {
        const sel = labelSelectorAsSelector(s.spec?.selector);
        return !sel.isEmpty() && sel.matches(o.metadata.labels);
      } catch {
        return false;
      }
    });
  }

  private onPod(p: Pod): void {
    const set = this.ownerOf(p);
    if (set) this.loop.enqueue(objectKey(set));
    else if (!controllerRef(p)) for (const s of this.matching(p)) this.loop.enqueue(objectKey(s));
  }

  private updatePod(old: Pod, cur: Pod): void {
    if (old.metadata.resourceVersion === cur.metadata.resourceVersion) return;
    const oldRef = controllerRef(old);
    if (oldRef && oldRef.uid !== controllerRef(cur)?.uid) {
      const prev = this.ownerOf(old);
      if (prev) this.loop.enqueue(objectKey(prev));
    }
    const set = this.ownerOf(cur);
    if (set) {
      this.loop.enqueue(objectKey(set));
      // Upstream's updatePod: once the Pod turns Ready, look again when it has been available long enough.
      const minReady = set.spec?.minReadySeconds ?? 0;
      if (minReady > 0 && !isRunningAndReady(old) && isRunningAndReady(cur)) this.loop.enqueueAfter(objectKey(set), minReady * 1000 + 1000);
      return;
    }
    if (!controllerRef(cur)) for (const s of this.matching(cur)) this.loop.enqueue(objectKey(s));
  }

  // ------------------------------------------------------------------ sync

  private async sync(key: string): Promise<{ requeueAfter?: number } | undefined> {
    const set = this.setInformer.get(key);
    if (!set) return undefined;
    let selector: LabelSelector;
    try {
      selector = labelSelectorAsSelector(set.spec?.selector);
    } catch (e) {
      this.log.warn({ key, err: e }, 'invalid selector');
      return undefined;
    }
    if (selector.isEmpty()) {
      this.recorder.event(setObject(set), 'Warning', 'SelectingAll', 'This statefulset is selecting all pods. A non-empty selector is required.');
      return undefined;
    }
    const pods = await this.claimPods(set, selector);
    const revisions = sortRevisions(
      await claimRevisions({
        client: this.ctx.client,
        parent: set,
        parentKind: STS_KIND,
        parentResource: STATEFUL_SETS,
        selector,
        candidates: this.revInformer.list(set.metadata.namespace),
      }),
    );
    const revs = await this.revisions(set, revisions);
    const sync: SyncState = {};
    let status: Status;
    let error: unknown;
    try {
      status = await this.updateStatefulSet(set, revs, pods, sync);
    } catch (e) {
      error = e;
      status = this.computeStatus(set, revs, pods);
    }
    completeRollingUpdate(set, status);
    await this.writeStatus(set, status);
    if (error) throw error;
    await this.truncateHistory(set, pods, revisions, revs);
    const minReady = set.spec?.minReadySeconds ?? 0;
    if (minReady > 0 && (status.readyReplicas ?? 0) !== (status.availableReplicas ?? 0)) {
      sync.requeueAfter = Math.min(sync.requeueAfter ?? minReady * 1000, minReady * 1000);
    }
    return sync.requeueAfter !== undefined ? { requeueAfter: sync.requeueAfter } : undefined;
  }

  /** Upstream's getPodsForStatefulSet: orphans are adopted only if their name makes them members. */
  private async claimPods(set: StatefulSet, selector: LabelSelector): Promise<Pod[]> {
    const uid = set.metadata.uid;
    const candidates = this.podInformer.list(set.metadata.namespace).filter((p) => {
      const ref = controllerRef(p);
      if (ref) return ref.uid === uid;
      return isMemberOf(set, p) && selector.matches(p.metadata.labels);
    });
    return claimChildren<Pod>({
      client: this.ctx.client,
      owner: set,
      ownerKind: STS_KIND,
      ownerResource: STATEFUL_SETS,
      childResource: PODS,
      selector,
      candidates,
    });
  }

  // ------------------------------------------------------------------ history

  /**
   * Upstream's getStatefulSetRevisions: the update revision holds the current template
   * (the newest revision if it already does, an older equal one renumbered to be the
   * newest — a rollback — or a new one); the current revision is the one status names,
   * or the update revision when there is none.
   */
  private async revisions(set: StatefulSet, revisions: ControllerRevision[]): Promise<Revisions> {
    let collisionCount = set.status?.collisionCount ?? 0;
    const data = revisionData(set);
    const candidate = newControllerRevision({
      parent: set,
      parentKind: STS_KIND,
      templateLabels: set.spec?.template?.metadata?.labels,
      data,
      revision: nextRevision(revisions),
      collisionCount,
    });
    const equal = revisions.filter((r) => equalRevision(r, candidate));
    let update: ControllerRevision;
    if (equal.length > 0 && revisions.at(-1) === equal.at(-1)) update = revisions.at(-1)!;
    else if (equal.length > 0) update = await updateRevisionNumber(this.ctx.client, equal.at(-1)!, candidate.revision);
    else {
      const created = await createControllerRevision(this.ctx.client, {
        parent: set,
        parentKind: STS_KIND,
        templateLabels: set.spec?.template?.metadata?.labels,
        annotations: set.metadata.annotations,
        data,
        revision: candidate.revision,
        collisionCount,
      });
      update = created.revision;
      collisionCount = created.collisionCount;
    }
    const current = revisions.find((r) => r.metadata.name === set.status?.currentRevision) ?? update;
    return { current, update, collisionCount };
  }

  /** Upstream's truncateHistory: beyond revisionHistoryLimit, the oldest revisions no Pod runs (nor status names) go. */
  private async truncateHistory(set: StatefulSet, pods: Pod[], revisions: ControllerRevision[], revs: Revisions): Promise<void> {
    const live = new Set<string>([revs.current.metadata.name!, revs.update.metadata.name!]);
    for (const p of pods) {
      const r = podRevision(p);
      if (r) live.add(r);
    }
    const history = revisions.filter((r) => !live.has(r.metadata.name!));
    const limit = set.spec?.revisionHistoryLimit ?? DEFAULT_REVISION_HISTORY_LIMIT;
    for (const r of revisionsToTruncate(history, new Set(), limit)) await deleteRevision(this.ctx.client, r);
  }

  // ------------------------------------------------------------------ the update

  /** Upstream's computeReplicaStatus: counts over the set's Pods. */
  private computeStatus(set: StatefulSet, revs: Revisions, pods: Pod[]): Status {
    const now = this.ctx.clock.now();
    const minReady = set.spec?.minReadySeconds ?? 0;
    const status: Status = {
      observedGeneration: set.metadata.generation ?? 0,
      replicas: 0,
      readyReplicas: 0,
      availableReplicas: 0,
      currentReplicas: 0,
      updatedReplicas: 0,
      currentRevision: revs.current.metadata.name!,
      updateRevision: revs.update.metadata.name!,
      collisionCount: revs.collisionCount,
    };
    for (const p of pods) {
      status.replicas++;
      if (isRunningAndReady(p)) {
        status.readyReplicas!++;
        if (isRunningAndAvailable(p, minReady, now)) status.availableReplicas!++;
      }
      if (!isTerminating(p)) {
        if (podRevision(p) === status.currentRevision) status.currentReplicas!++;
        if (podRevision(p) === status.updateRevision) status.updatedReplicas!++;
      }
    }
    return status;
  }

  /** Upstream's updateStatefulSet: make and delete Pods toward the spec, one step at a time when ordered. */
  private async updateStatefulSet(set: StatefulSet, revs: Revisions, pods: Pod[], sync: SyncState): Promise<Status> {
    const status = this.computeStatus(set, revs, pods);
    const template = set.spec?.template ?? {};
    const currentTemplate = templateOf(revs.current, template);
    const updateTemplate = templateOf(revs.update, template);
    const start = startOrdinal(set);
    const end = endOrdinal(set);
    const replicaCount = end - start;
    const replicas: Array<Pod | undefined> = new Array(replicaCount).fill(undefined);
    const condemned: Pod[] = [];
    for (const p of pods) {
      const ord = ordinalOf(p);
      if (ord < 0) continue;
      if (ord >= start && ord < end) replicas[ord - start] = p;
      else condemned.push(p);
    }
    condemned.sort((a, b) => ordinalOf(b) - ordinalOf(a));
    const monotonic = set.spec?.podManagementPolicy !== 'Parallel';
    const minReady = set.spec?.minReadySeconds ?? 0;
    const now = this.ctx.clock.now();
    const rolling = (set.spec?.updateStrategy?.type ?? 'RollingUpdate') === 'RollingUpdate';
    const partition = set.spec?.updateStrategy?.rollingUpdate?.partition;

    // Upstream's newVersionedStatefulSetPod: below the partition (or, without one, among the current replicas) the current template.
    const newPod = (ordinal: number): Pod => {
      const useCurrent =
        rolling && (partition === undefined || partition === null ? ordinal < start + (set.status?.currentReplicas ?? 0) : ordinal < start + partition);
      return useCurrent
        ? newStatefulSetPod(set, currentTemplate, ordinal, revs.current.metadata.name!)
        : newStatefulSetPod(set, updateTemplate, ordinal, revs.update.metadata.name!);
    };

    // The first unhealthy Pod: the lowest replica, else the lowest condemned.
    let firstUnhealthy: Pod | undefined = replicas.find((p) => p && !isHealthy(p));
    if (!firstUnhealthy) firstUnhealthy = [...condemned].reverse().find((p) => !isHealthy(p));

    if (isBeingDeleted(set)) return status;

    const processReplica = async (i: number): Promise<boolean> => {
      const ordinal = start + i;
      const p = replicas[i];
      if (p && hasFinished(p)) {
        // A failed (or succeeded) Pod is deleted; the next sync makes it again.
        if (!isTerminating(p)) {
          this.recorder.event(
            setObject(set),
            'Warning',
            'RecreatingFailedPod',
            `StatefulSet ${set.metadata.namespace}/${set.metadata.name} is recreating failed Pod ${p.metadata.name}`,
          );
          await this.deletePod(set, p);
          if (podRevision(p) === status.currentRevision) status.currentReplicas!--;
          if (podRevision(p) === status.updateRevision) status.updatedReplicas!--;
        }
        return true;
      }
      if (!p) {
        const fresh = newPod(ordinal);
        await this.createPod(set, fresh);
        replicas[i] = fresh;
        status.replicas++;
        if (podRevision(fresh) === status.currentRevision) status.currentReplicas!++;
        if (podRevision(fresh) === status.updateRevision) status.updatedReplicas!++;
        return monotonic;
      }
      if (!p.status?.phase || p.status.phase === 'Pending') await this.createClaims(set, p);
      // A terminating Pod must be gone before the next one is touched.
      if (isTerminating(p)) return monotonic;
      if (!isRunningAndReady(p) && monotonic) return true;
      if (!isRunningAndAvailable(p, minReady, now) && monotonic) {
        sync.requeueAfter = Math.min(sync.requeueAfter ?? minReady * 1000, minReady * 1000);
        return true;
      }
      // The set's invariants: identity labels, and the claims' owners as the retention policy says.
      if (!identityMatches(set, p)) await this.updateIdentity(set, p);
      await this.fixClaimOwners(set, p);
      return false;
    };
    if (await runForAll(replicaCount, processReplica, monotonic)) return status;

    // Condemned Pods' claims get the owners that scaling down implies, before the Pods go.
    const fixClaims = async (i: number) => {
      await this.fixClaimOwners(set, condemned[i]!);
      return false;
    };
    if (await runForAll(condemned.length, fixClaims, monotonic)) return status;

    const processCondemned = async (i: number): Promise<boolean> => {
      const p = condemned[i]!;
      if (isTerminating(p)) return monotonic;
      // Ordered: an unhealthy Pod blocks scale-down unless it is the first unhealthy one.
      if (monotonic && p !== firstUnhealthy && (!isRunningAndReady(p) || !isRunningAndAvailable(p, minReady, now))) return true;
      await this.deletePod(set, p);
      return monotonic;
    };
    if (await runForAll(condemned.length, processCondemned, monotonic)) return status;

    if (!rolling) return status; // OnDelete: the user deletes Pods, the sync above replaces them
    // Upstream's rolling update without maxUnavailable (alpha, off in 1.32): the highest Pod of an old revision at or above the partition goes; one at a time.
    const updateMin = partition ?? 0;
    for (let target = replicaCount - 1; target >= updateMin; target--) {
      const p = replicas[target]!;
      if (podRevision(p) !== status.updateRevision && !isTerminating(p)) {
        await this.deletePod(set, p);
        status.currentReplicas!--;
        return status;
      }
      if (!isHealthy(p)) return status;
    }
    return status;
  }

  // ------------------------------------------------------------------ Pods and claims

  private podEvent(set: StatefulSet, verb: string, pod: Pod, err?: unknown): void {
    const Verb = verb[0]!.toUpperCase() + verb.slice(1);
    if (!err)
      this.recorder.event(setObject(set), 'Normal', `Successful${Verb}`, `${verb} Pod ${pod.metadata.name} in StatefulSet ${set.metadata.name} successful`);
    else
      this.recorder.event(
        setObject(set),
        'Warning',
        `Failed${Verb}`,
        `${verb} Pod ${pod.metadata.name} in StatefulSet ${set.metadata.name} failed error: ${(err as Error).message}`,
      );
  }

  private claimEvent(set: StatefulSet, verb: string, pod: Pod, claim: PersistentVolumeClaim, err?: unknown): void {
    const Verb = verb[0]!.toUpperCase() + verb.slice(1);
    const what = `Claim ${claim.metadata.name}`;
    if (!err)
      this.recorder.event(
        setObject(set),
        'Normal',
        `Successful${Verb}`,
        `${verb} ${what} Pod ${pod.metadata.name} in StatefulSet ${set.metadata.name} success`,
      );
    else
      this.recorder.event(
        setObject(set),
        'Warning',
        `Failed${Verb}`,
        `${verb} ${what} for Pod ${pod.metadata.name} in StatefulSet ${set.metadata.name} failed error: ${(err as Error).message}`,
      );
  }

  /** Upstream's createPersistentVolumeClaims: every claim the Pod needs that does not exist yet (one being deleted is an error). */
  private async createClaims(set: StatefulSet, pod: Pod): Promise<void> {
    for (const claim of claimsFor(set, ordinalOf(pod)).values()) {
      const existing = this.claimInformer.getByName(claim.metadata.namespace, claim.metadata.name!);
      if (existing) {
        if (isBeingDeleted(existing)) throw new Error(`pvc ${claim.metadata.name} is being deleted`);
        continue;
      }
      const refs = claimOwnersFor(claim, set, pod);
      if (refs?.length) claim.metadata.ownerReferences = refs;
      try {
        await this.ctx.client.create<PersistentVolumeClaim>(PERSISTENT_VOLUME_CLAIMS, claim);
        this.claimEvent(set, 'create', pod, claim);
      } catch (e) {
        if (isAlreadyExists(e)) continue;
        this.claimEvent(set, 'create', pod, claim, e);
        throw e;
      }
    }
  }

  /** Upstream's CreateStatefulPod: its claims first, then the Pod. */
  private async createPod(set: StatefulSet, pod: Pod): Promise<void> {
    try {
      await this.createClaims(set, pod);
    } catch (e) {
      this.podEvent(set, 'create', pod, e);
      throw e;
    }
    try {
      const created = await this.ctx.client.create<Pod>(PODS, pod);
      pod.metadata.uid = created.metadata.uid;
      this.podEvent(set, 'create', pod);
    } catch (e) {
      if (isAlreadyExists(e)) throw e; // a stale cache: the next sync sees it
      this.podEvent(set, 'create', pod, e);
      throw e;
    }
  }

  private async deletePod(set: StatefulSet, pod: Pod): Promise<void> {
    try {
      await this.ctx.client.delete(refTo(PODS, pod.metadata.namespace, pod.metadata.name!), { preconditions: { uid: pod.metadata.uid } });
      this.podEvent(set, 'delete', pod);
    } catch (e) {
      if (isNotFound(e) || isConflict(e)) return;
      this.podEvent(set, 'delete', pod, e);
      throw e;
    }
  }

  /** Upstream's UpdateStatefulPod for the parts a Pod may change: its identity labels. */
  private async updateIdentity(set: StatefulSet, pod: Pod): Promise<void> {
    const next = structuredClone(pod);
    next.metadata.labels = { ...(next.metadata.labels ?? {}), [POD_NAME_LABEL]: pod.metadata.name!, [POD_INDEX_LABEL]: String(ordinalOf(pod)) };
    try {
      await this.ctx.client.update(refTo(PODS, pod.metadata.namespace, pod.metadata.name!), next);
      this.podEvent(set, 'update', pod);
    } catch (e) {
      if (isNotFound(e)) return;
      this.podEvent(set, 'update', pod, e);
      throw e;
    }
  }

  /** Upstream's UpdatePodClaimForRetentionPolicy: the claims of `pod` get the owners the retention policy implies. */
  private async fixClaimOwners(set: StatefulSet, pod: Pod): Promise<void> {
    for (const want of claimsFor(set, ordinalOf(pod)).values()) {
      const claim = this.claimInformer.getByName(want.metadata.namespace, want.metadata.name!);
      if (!claim || isBeingDeleted(claim)) continue;
      const refs = claimOwnersFor(claim, set, pod);
      if (!refs) continue;
      const next = structuredClone(claim);
      if (refs.length) next.metadata.ownerReferences = refs;
      else delete next.metadata.ownerReferences;
      try {
        await this.ctx.client.update(refTo(PERSISTENT_VOLUME_CLAIMS, claim.metadata.namespace, claim.metadata.name!), next);
      } catch (e) {
        if (isNotFound(e)) continue;
        this.claimEvent(set, 'update', pod, claim, e);
        throw e;
      }
    }
  }

  // ------------------------------------------------------------------ status

  private async writeStatus(set: StatefulSet, status: Status): Promise<void> {
    const next = normalizeStatus(status);
    if (JSON.stringify(next) === JSON.stringify(normalizeStatus(set.status ?? ({} as Status)))) return;
    let cur = set;
    for (let attempt = 0; ; attempt++) {
      try {
        await this.ctx.client.updateStatus<StatefulSet>(refTo(STATEFUL_SETS, set.metadata.namespace, set.metadata.name!), {
          ...structuredClone(cur),
          status: next,
        });
        return;
      } catch (e) {
        if (isNotFound(e)) return;
        if (!isConflict(e) || attempt >= 1) throw e;
        cur = await this.ctx.client.get<StatefulSet>(refTo(STATEFUL_SETS, set.metadata.namespace, set.metadata.name!));
      }
    }
  }
}

interface SyncState {
  requeueAfter?: number;
}

/** Upstream's runForAll: one after another, stopping when `fn` says so (ordered); or all at once in slow-start batches. True to stop the sync. */
async function runForAll(n: number, fn: (i: number) => Promise<boolean>, monotonic: boolean): Promise<boolean> {
  if (monotonic) {
    for (let i = 0; i < n; i++) if (await fn(i)) return true;
    return false;
  }
  let next = 0;
  const { error } = await slowStartBatch(n, 1, async () => {
    await fn(next++);
  });
  if (error) throw error;
  return false;
}

/** Upstream's completeRollingUpdate: every Pod updated and Ready, so the update revision is now the current one. */
export function completeRollingUpdate(set: StatefulSet, status: Status): void {
  const rolling = (set.spec?.updateStrategy?.type ?? 'RollingUpdate') === 'RollingUpdate';
  if (rolling && status.updatedReplicas === status.replicas && status.readyReplicas === status.replicas && status.replicas === (set.spec?.replicas ?? 1)) {
    status.currentReplicas = status.updatedReplicas;
    status.currentRevision = status.updateRevision;
  }
}

/** Status as upstream serializes it: replicas and availableReplicas always, the rest when set. */
export function normalizeStatus(s: Status): Status {
  const out: Status = { replicas: s.replicas ?? 0 };
  for (const k of ['observedGeneration', 'readyReplicas', 'currentReplicas', 'updatedReplicas'] as const) if (s[k]) out[k] = s[k];
  for (const k of ['currentRevision', 'updateRevision'] as const) if (s[k]) out[k] = s[k];
  if (s.collisionCount !== undefined) out.collisionCount = s.collisionCount;
  out.availableReplicas = s.availableReplicas ?? 0;
  if (s.conditions?.length) out.conditions = s.conditions;
  return out;
}

const controllerUidIndex = (o: KubeObject): string[] => {
  const ref = controllerRef(o);
  return ref ? [ref.uid] : [];
};

/** The object an event is about (with the kind the cache may lack). */
const setObject = (s: StatefulSet): KubeObject => ({ ...(s as KubeObject), apiVersion: 'apps/v1', kind: 'StatefulSet' });
