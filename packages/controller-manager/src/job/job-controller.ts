/**
 * The Job controller (upstream pkg/controller/job): runs a Job's Pods to completion.
 * It keeps up to `parallelism` Pods active until `completions` succeed (each index once
 * for Indexed Jobs), replaces failed Pods after an exponential back-off until
 * `backoffLimit`, applies `podFailurePolicy`, `activeDeadlineSeconds` and `suspend`.
 *
 * Counting is upstream's finalizer tracking: every Pod carries the
 * batch.kubernetes.io/job-tracking finalizer; a finished Pod's uid goes to
 * status.uncountedTerminatedPods, then its finalizer is removed, then it moves to the
 * succeeded/failed counters, so a count survives the Pod's deletion and never doubles.
 * As 1.32 does, a Job first gets SuccessCriteriaMet or FailureTarget, and Complete or
 * Failed once none of its Pods is still running or terminating.
 */
import { controllerRef, isBeingDeleted, type Job, type JobStatus, type KubeObject, type Pod } from '@minik8s/api';
import { type LabelSelector, labelSelectorAsSelector } from '@minik8s/api/selectors';
import { type EventRecorder, isConflict, isNotFound, objectKey } from '@minik8s/client/kube';
import { QueueLoop, type Runnable } from '@minik8s/client/runtime';
import type { Logger } from 'pino';
import { type ControllerContext, eventRecorder, timestamp } from '../internal/context.ts';
import { claimChildren } from '../internal/controller-ref.ts';
import { Expectations } from '../internal/expectations.ts';
import { JOBS, PODS, refTo } from '../internal/resources.ts';
import { slowStartBatch } from '../replicaset/replicaset-controller.ts';
import { type BackoffRecord, DEFAULT_POD_FAILURE_BACKOFF_MS, PodFailureBackoff } from './backoff.ts';
import { completionIndex, formatIndexes, parseIndexes, pendingIndexes } from './indexes.ts';
import {
  condition,
  isActive,
  isFinished,
  isPodFailed,
  isReady,
  isTerminal,
  newCondition,
  normalize,
  pastBackoffLimitOnFailure,
  rankForDeletion,
} from './job-status.ts';
import { matchPodFailurePolicy } from './pod-failure-policy.ts';
import { hasTrackingFinalizer, JOB_KIND, JOB_TRACKING_FINALIZER, newJobPod } from './pod-template.ts';

export const JOB_CONTROLLER = 'job-controller';
/** Upstream's MaxPodCreateDeletePerSync. */
export const MAX_POD_CREATE_DELETE_PER_SYNC = 500;
/** Keys of Pods whose finalizer may need removing because their Job is gone. */
const ORPHAN = 'pod:';
const BY_CONTROLLER = 'controllerUID';

export interface JobControllerOptions {
  /** First delay before a failed Pod is replaced (doubling, at most 10 minutes). Default 10 s, as upstream. */
  podFailureBackoffMs?: number;
}

interface Finish {
  type: 'SuccessCriteriaMet' | 'FailureTarget';
  reason: string;
  message: string;
}

export class JobController implements Runnable {
  readonly name = JOB_CONTROLLER;
  private readonly loop: QueueLoop;
  private readonly expectations: Expectations;
  private readonly backoff: PodFailureBackoff;
  private readonly recorder: EventRecorder;
  private readonly log: Logger;
  private readonly jobInformer;
  private readonly podInformer;
  /** Pods (by uid) whose finalizer we removed and the cache may not show yet. */
  private readonly finalizerRemoved = new Set<string>();

  constructor(
    private readonly ctx: ControllerContext,
    o: JobControllerOptions = {},
  ) {
    this.log = ctx.log.child({ component: JOB_CONTROLLER });
    this.expectations = new Expectations(ctx.clock);
    this.backoff = new PodFailureBackoff(ctx.clock, o.podFailureBackoffMs ?? DEFAULT_POD_FAILURE_BACKOFF_MS);
    this.recorder = eventRecorder(ctx, JOB_CONTROLLER);
    this.loop = new QueueLoop({ name: 'job', workers: ctx.workers, clock: ctx.clock, log: this.log, reconcile: (k) => this.reconcile(k) });
    this.jobInformer = ctx.informers.for<Job>(JOBS);
    this.podInformer = ctx.informers.index<Pod>(PODS, BY_CONTROLLER, (p: Pod) => {
      const ref = controllerRef(p);
      return ref ? [ref.uid] : [];
    });
    this.jobInformer.addEventHandler({
      onAdd: (j) => this.loop.enqueue(objectKey(j)),
      onUpdate: (_o, j) => this.loop.enqueue(objectKey(j)),
      onDelete: (j) => {
        this.expectations.delete(objectKey(j));
        this.backoff.forget(objectKey(j));
        this.loop.enqueue(objectKey(j));
        // Its Pods may still hold the finalizer.
        for (const p of this.podInformer.byIndex(BY_CONTROLLER, j.metadata.uid!)) if (hasTrackingFinalizer(p)) this.loop.enqueue(ORPHAN + objectKey(p));
      },
    });
    this.podInformer.addEventHandler({
      onAdd: (p) => this.podChanged(p, 'add'),
      onUpdate: (_o, p) => this.podChanged(p, 'update'),
      onDelete: (p) => this.podChanged(p, 'delete'),
    });
  }

  async run(signal: AbortSignal): Promise<void> {
    await Promise.all([this.jobInformer.waitForSync(signal), this.podInformer.waitForSync(signal)]);
    await this.loop.run(signal);
    await this.recorder.flush();
  }

  // ------------------------------------------------------------------ handlers

  private ownerOf(p: Pod): Job | undefined {
    const ref = controllerRef(p);
    if (ref?.kind !== 'Job') return undefined;
    const job = this.jobInformer.getByName(p.metadata!.namespace, ref.name);
    return job && job.metadata.uid === ref.uid ? job : undefined;
  }

  private podChanged(p: Pod, how: 'add' | 'update' | 'delete'): void {
    if (how === 'delete' || !hasTrackingFinalizer(p)) this.finalizerRemoved.delete(p.metadata!.uid!);
    const job = this.ownerOf(p);
    if (!job) {
      if (how !== 'delete' && hasTrackingFinalizer(p)) this.loop.enqueue(ORPHAN + objectKey(p as KubeObject));
      return;
    }
    const key = objectKey(job);
    if (how === 'add' && !isBeingDeleted(p)) this.expectations.creationObserved(key);
    if (how === 'delete' || isBeingDeleted(p)) this.expectations.deletionObserved(key, objectKey(p as KubeObject));
    this.loop.enqueue(key);
  }

  // ------------------------------------------------------------------ sync

  private async reconcile(key: string): Promise<{ requeueAfter?: number } | undefined> {
    if (key.startsWith(ORPHAN)) {
      await this.releaseOrphan(key.slice(ORPHAN.length));
      return undefined;
    }
    const job = this.jobInformer.get(key);
    if (!job) {
      this.expectations.delete(key);
      this.backoff.forget(key);
      return undefined;
    }
    return this.syncJob(key, job);
  }

  /** A Pod whose Job is gone keeps no finalizer (upstream's orphan Pod handling). */
  private async releaseOrphan(podKey: string): Promise<void> {
    const p = this.podInformer.get(podKey);
    if (!p || !hasTrackingFinalizer(p)) return;
    const ref = controllerRef(p);
    if (ref?.kind === 'Job') {
      try {
        const job = await this.ctx.client.get<Job>(refTo(JOBS, p.metadata!.namespace, ref.name));
        if (job.metadata.uid === ref.uid) return; // still there; its own sync takes care of the Pod
      } catch (e) {
        if (!isNotFound(e)) throw e;
      }
    }
    await this.removeFinalizer(p);
  }

  private async syncJob(key: string, cached: Job): Promise<{ requeueAfter?: number } | undefined> {
    const job = structuredClone(cached);
    let selector: LabelSelector;
    try {
      selector = labelSelectorAsSelector(job.spec?.selector);
    } catch (e) {
      this.log.warn({ key, err: e }, 'invalid selector');
      return undefined;
    }
    const ns = job.metadata.namespace!;
    const pods = await claimChildren<Pod & KubeObject>({
      client: this.ctx.client,
      owner: job,
      ownerKind: JOB_KIND,
      ownerResource: JOBS,
      childResource: PODS,
      selector,
      candidates: this.podInformer.list(ns) as Array<Pod & KubeObject>,
    });

    if (isFinished(job)) {
      // Finished: counts are final; let any Pod that still holds the finalizer go.
      await Promise.all(pods.filter((p) => hasTrackingFinalizer(p) && !this.finalizerRemoved.has(p.metadata.uid!)).map((p) => this.removeFinalizer(p)));
      return undefined;
    }

    const now = this.ctx.clock.now();
    const spec = job.spec ?? { template: {} };
    const status: JobStatus = structuredClone(job.status ?? {});
    const indexed = spec.completionMode === 'Indexed';
    const completions = spec.completions ?? undefined;
    const suspended = spec.suspend === true;
    const satisfied = this.expectations.satisfied(key);

    // What finished since the last count.
    const uncountedSucceeded = new Set(status.uncountedTerminatedPods?.succeeded ?? []);
    const uncountedFailed = new Set(status.uncountedTerminatedPods?.failed ?? []);
    const tracked = pods.filter((p) => hasTrackingFinalizer(p) && !this.finalizerRemoved.has(p.metadata.uid!));
    const newSucceeded: Pod[] = [];
    const newFailed: Pod[] = [];
    const ignored: Pod[] = [];
    let failJobMessage: string | undefined;
    for (const p of tracked) {
      const uid = p.metadata.uid!;
      if (uncountedSucceeded.has(uid) || uncountedFailed.has(uid)) continue;
      if (p.status?.phase === 'Succeeded') newSucceeded.push(p);
      else if (isPodFailed(p)) {
        const m = matchPodFailurePolicy(spec.podFailurePolicy, p);
        if (m.message && !failJobMessage) failJobMessage = m.message;
        (m.counts ? newFailed : ignored).push(p);
      }
    }
    let active = pods.filter(isActive);
    const terminating = pods.filter((p) => isBeingDeleted(p) && !isTerminal(p)).length;

    let succeededIndexes = new Set<number>();
    let succeeded: number;
    if (indexed) {
      succeededIndexes = parseIndexes(status.completedIndexes, completions ?? 0);
      for (const p of pods) {
        const ix = completionIndex(p);
        if (p.status?.phase === 'Succeeded' && ix !== undefined && ix < (completions ?? 0)) succeededIndexes.add(ix);
      }
      succeeded = succeededIndexes.size;
    } else succeeded = (status.succeeded ?? 0) + uncountedSucceeded.size + newSucceeded.length;
    const failed = (status.failed ?? 0) + uncountedFailed.size + newFailed.length;
    const backoffRecord = this.backoff.next(key, newSucceeded.length, newFailed.length);

    if (!status.startTime && !suspended) status.startTime = timestamp(now);

    // Is the Job done?
    let requeueAfter: number | undefined;
    let finish: Finish | undefined;
    const target = condition(status, 'FailureTarget');
    if (condition(status, 'SuccessCriteriaMet'))
      finish = { type: 'SuccessCriteriaMet', reason: 'CompletionsReached', message: 'Reached expected number of succeeded pods' };
    else if (target) finish = { type: 'FailureTarget', reason: target.reason ?? '', message: target.message ?? '' };
    else if (failJobMessage) finish = { type: 'FailureTarget', reason: 'PodFailurePolicy', message: failJobMessage };
    else if (failed > (spec.backoffLimit ?? 6) || pastBackoffLimitOnFailure(job, active, failed)) {
      finish = { type: 'FailureTarget', reason: 'BackoffLimitExceeded', message: 'Job has reached the specified backoff limit' };
    } else if (spec.activeDeadlineSeconds != null && !suspended && status.startTime) {
      const left = Date.parse(status.startTime) + spec.activeDeadlineSeconds * 1000 - now;
      if (left <= 0) finish = { type: 'FailureTarget', reason: 'DeadlineExceeded', message: 'Job was active longer than specified deadline' };
      else requeueAfter = left;
    }

    let manageError: unknown;
    // Pods deleted in this sync are still terminating: the terminal condition waits for them.
    const deleting = finish?.type === 'FailureTarget' && active.length > 0;
    if (finish?.type === 'FailureTarget') {
      // Every Pod still running is stopped and counted as failed.
      try {
        await this.deletePods(key, job, active, { keepFinalizer: true });
      } catch (e) {
        manageError = e;
      }
      active = [];
    } else if (!finish) {
      if (satisfied && !isBeingDeleted(job)) {
        try {
          const r = await this.manageJob(key, job, { active, succeeded, succeededIndexes, backoffRecord });
          active = r.active;
          if (r.requeueAfter !== undefined) requeueAfter = Math.min(requeueAfter ?? Number.POSITIVE_INFINITY, r.requeueAfter);
        } catch (e) {
          manageError = e;
        }
        this.setSuspended(job, status, suspended, now);
      }
      const done = completions == null ? succeeded > 0 && active.length === 0 : succeeded >= completions && active.length === 0;
      if (done) finish = { type: 'SuccessCriteriaMet', reason: 'CompletionsReached', message: 'Reached expected number of succeeded pods' };
    }
    if (finish && !condition(status, finish.type)) {
      status.conditions = [...(status.conditions ?? []), newCondition(finish.type, finish.reason, finish.message, now)];
    }

    // Count: 1) record the finished Pods as uncounted, 2) drop their finalizers, 3) add them to the counters.
    status.active = active.length;
    status.ready = active.filter(isReady).length;
    status.terminating = terminating;
    const uncounted = {
      succeeded: [...uncountedSucceeded, ...(indexed ? [] : newSucceeded.map((p) => p.metadata!.uid!))],
      failed: [...uncountedFailed, ...newFailed.map((p) => p.metadata!.uid!)],
    };
    if (finish?.type === 'FailureTarget') {
      for (const p of tracked) if (isActive(p) && !uncounted.failed.includes(p.metadata.uid!)) uncounted.failed.push(p.metadata.uid!);
    }
    status.uncountedTerminatedPods = uncounted;
    if (indexed) {
      status.completedIndexes = formatIndexes(succeededIndexes);
      status.succeeded = succeededIndexes.size;
    }
    let written = await this.writeStatus(job, status);
    this.backoff.save(key, backoffRecord);

    const release = tracked.filter((p) => {
      const uid = p.metadata.uid!;
      return uncounted.succeeded.includes(uid) || uncounted.failed.includes(uid) || ignored.includes(p) || (indexed && p.status?.phase === 'Succeeded');
    });
    const results = await Promise.allSettled(release.map((p) => this.removeFinalizer(p)));
    const stillHeld = new Set(release.filter((_p, i) => results[i]!.status === 'rejected').map((p) => p.metadata.uid!));
    for (const p of tracked) if (!release.includes(p)) stillHeld.add(p.metadata.uid!);

    const next: JobStatus = structuredClone(written.status ?? {});
    const counted = (uids: string[]) => uids.filter((u) => !stillHeld.has(u));
    if (!indexed) next.succeeded = (next.succeeded ?? 0) + counted(uncounted.succeeded).length;
    next.failed = (next.failed ?? 0) + counted(uncounted.failed).length;
    next.uncountedTerminatedPods = {
      succeeded: uncounted.succeeded.filter((u) => stillHeld.has(u)),
      failed: uncounted.failed.filter((u) => stillHeld.has(u)),
    };
    const flushed = next.uncountedTerminatedPods.succeeded!.length === 0 && next.uncountedTerminatedPods.failed!.length === 0;
    if (finish && flushed && !deleting && active.length === 0 && terminating === 0) this.finishJob(job, next, finish, now);
    written = await this.writeStatus(written, next);

    const failure = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (manageError) throw manageError;
    if (failure) throw failure.reason;
    return requeueAfter !== undefined && !isFinished(written) ? { requeueAfter } : undefined;
  }

  /** The terminal condition after SuccessCriteriaMet / FailureTarget, with its Event. */
  private finishJob(job: Job, status: JobStatus, finish: Finish, now: number): void {
    const success = finish.type === 'SuccessCriteriaMet';
    const type = success ? 'Complete' : 'Failed';
    status.conditions = [...(status.conditions ?? []).filter((c) => c.type !== type), newCondition(type, finish.reason, finish.message, now)];
    if (success) {
      status.completionTime = timestamp(now);
      this.recorder.event(jobObject(job), 'Normal', 'Completed', 'Job completed');
    } else {
      this.recorder.event(jobObject(job), 'Warning', finish.reason, finish.message);
    }
    status.active = 0;
    status.ready = 0;
  }

  /** The Suspended condition (and a new startTime on resume), with its Event. */
  private setSuspended(job: Job, status: JobStatus, suspended: boolean, now: number): void {
    const cur = condition(status, 'Suspended', false);
    if (suspended) {
      if (cur?.status === 'True') return;
      status.conditions = [...(status.conditions ?? []).filter((c) => c.type !== 'Suspended'), newCondition('Suspended', 'JobSuspended', 'Job suspended', now)];
      this.recorder.event(jobObject(job), 'Normal', 'Suspended', 'Job suspended');
    } else if (cur?.status === 'True') {
      status.conditions = (status.conditions ?? []).map((c) =>
        c.type === 'Suspended'
          ? { ...c, status: 'False', reason: 'JobResumed', message: 'Job resumed', lastProbeTime: timestamp(now), lastTransitionTime: timestamp(now) }
          : c,
      );
      // activeDeadlineSeconds counts from the resume.
      status.startTime = timestamp(now);
      this.recorder.event(jobObject(job), 'Normal', 'Resumed', 'Job resumed');
    }
  }

  /** Creates or deletes Pods so that the right number run; answers the Pods still active. */
  private async manageJob(
    key: string,
    job: Job,
    s: { active: Pod[]; succeeded: number; succeededIndexes: Set<number>; backoffRecord: BackoffRecord },
  ): Promise<{ active: Pod[]; requeueAfter?: number }> {
    const spec = job.spec!;
    const active = s.active;
    if (spec.suspend) {
      await this.deletePods(key, job, active, { keepFinalizer: false });
      return { active: [] };
    }
    const parallelism = spec.parallelism ?? 1;
    const completions = spec.completions ?? undefined;
    let want: number;
    if (completions == null) want = s.succeeded > 0 ? active.length : parallelism;
    else want = Math.max(0, Math.min(parallelism, completions - s.succeeded));

    // Indexed: Pods of a done, duplicate or out-of-range index go first.
    const surplus: Pod[] = [];
    const keep: Pod[] = [];
    if (spec.completionMode === 'Indexed') {
      const seen = new Set<number>();
      for (const p of rankForDeletion(active).reverse()) {
        const ix = completionIndex(p);
        if (ix === undefined || ix >= (completions ?? 0) || s.succeededIndexes.has(ix) || seen.has(ix)) surplus.push(p);
        else {
          seen.add(ix);
          keep.push(p);
        }
      }
    } else keep.push(...active);
    const excess = Math.max(0, keep.length - want);
    const victims = [...surplus, ...rankForDeletion(keep).slice(0, excess)].slice(0, MAX_POD_CREATE_DELETE_PER_SYNC);
    if (victims.length) {
      await this.deletePods(key, job, victims, { keepFinalizer: false });
      return { active: active.filter((p) => !victims.includes(p)) };
    }
    const diff = Math.min(want - active.length, MAX_POD_CREATE_DELETE_PER_SYNC);
    if (diff <= 0) return { active };
    const wait = this.backoff.remaining(s.backoffRecord);
    if (wait > 0) return { active, requeueAfter: wait };

    let indexes: number[] | undefined;
    if (spec.completionMode === 'Indexed') {
      const running = new Set(active.map(completionIndex).filter((i): i is number => i !== undefined));
      indexes = pendingIndexes(completions ?? 0, s.succeededIndexes, running, diff);
    }
    const n = indexes ? indexes.length : diff;
    if (n === 0) return { active };
    this.expectations.expectCreations(key, n);
    let next = 0;
    const { successes, error } = await slowStartBatch(n, 1, () => this.createPod(job, indexes?.[next++]));
    for (let i = successes; i < n; i++) this.expectations.creationObserved(key);
    if (error) throw error;
    return { active };
  }

  private async createPod(job: Job, index?: number): Promise<void> {
    try {
      const created = await this.ctx.client.create<Pod & KubeObject>(PODS, newJobPod(job, index));
      this.recorder.event(jobObject(job), 'Normal', 'SuccessfulCreate', `Created pod: ${created.metadata.name}`);
    } catch (e) {
      this.recorder.event(jobObject(job), 'Warning', 'FailedCreate', `Error creating: ${(e as Error).message}`);
      throw e;
    }
  }

  /**
   * Deletes Pods. Pods the Job no longer wants (suspend, too many) lose the finalizer
   * first and are not counted; Pods of a failed Job keep it and count as failed.
   */
  private async deletePods(key: string, job: Job, pods: Pod[], o: { keepFinalizer: boolean }): Promise<void> {
    const todo = pods.filter((p) => !isBeingDeleted(p));
    if (!todo.length) return;
    this.expectations.expectDeletions(
      key,
      todo.map((p) => objectKey(p as KubeObject)),
    );
    const results = await Promise.allSettled(
      todo.map(async (p) => {
        const name = p.metadata!.name!;
        try {
          if (!o.keepFinalizer && hasTrackingFinalizer(p)) await this.removeFinalizer(p);
          await this.ctx.client.delete(refTo(PODS, p.metadata!.namespace, name), { preconditions: { uid: p.metadata!.uid } });
          this.recorder.event(jobObject(job), 'Normal', 'SuccessfulDelete', `Deleted pod: ${name}`);
        } catch (e) {
          this.expectations.deletionObserved(key, objectKey(p as KubeObject));
          if (isNotFound(e) || isConflict(e)) return;
          this.recorder.event(jobObject(job), 'Warning', 'FailedDelete', `Error deleting: ${(e as Error).message}`);
          throw e;
        }
      }),
    );
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
  }

  /** Removes the job-tracking finalizer (a JSON patch that tests it is still where it was). */
  private async removeFinalizer(p: Pod): Promise<void> {
    const ref = refTo(PODS, p.metadata!.namespace, p.metadata!.name!);
    let cur = p;
    for (let attempt = 0; attempt < 3; attempt++) {
      const i = cur.metadata?.finalizers?.indexOf(JOB_TRACKING_FINALIZER) ?? -1;
      if (i < 0) break;
      try {
        await this.ctx.client.patch(
          ref,
          [
            { op: 'test', path: `/metadata/finalizers/${i}`, value: JOB_TRACKING_FINALIZER },
            { op: 'remove', path: `/metadata/finalizers/${i}` },
          ],
          { type: 'json' },
        );
        break;
      } catch (e) {
        if (isNotFound(e)) break;
        if (attempt === 2) throw e;
        try {
          cur = await this.ctx.client.get<Pod & KubeObject>(ref);
        } catch (g) {
          if (isNotFound(g)) break;
          throw g;
        }
        if (cur.metadata.uid !== p.metadata!.uid) break;
      }
    }
    this.finalizerRemoved.add(p.metadata!.uid!);
  }

  private async writeStatus(job: Job, status: JobStatus): Promise<Job> {
    const clean = normalize(status);
    if (JSON.stringify(normalize(job.status ?? {})) === JSON.stringify(clean)) return job;
    const next = { ...structuredClone(job), status: clean } as Job;
    return this.ctx.client.updateStatus<Job>(refTo(JOBS, job.metadata.namespace, job.metadata.name!), next);
  }
}

const jobObject = (job: Job): KubeObject => ({ ...(job as KubeObject), apiVersion: 'batch/v1', kind: 'Job' });
