/**
 * The CronJob controller (upstream's pkg/controller/cronjob, ControllerV2): at each
 * scheduled time a CronJob makes a Job from its template, named
 * `<cronjob>-<minutes since the epoch>` so a time is never run twice, and keeps
 * `status.active`, `lastScheduleTime` and `lastSuccessfulTime`. concurrencyPolicy Forbid
 * skips a time while a Job runs, Replace deletes the running ones first;
 * startingDeadlineSeconds drops times that are too late; suspend stops new Jobs; finished
 * Jobs beyond successfulJobsHistoryLimit / failedJobsHistoryLimit are deleted, oldest
 * first. A CronJob is looked at again at its next scheduled time (no polling).
 *
 * Running the Jobs is the Job controller's business; this one only creates, deletes and
 * watches Job objects. Events and their texts are upstream's.
 */
import { type CronJob, controllerRef, isBeingDeleted, type Job, type KubeObject } from '@minik8s/api';
import { type CronSchedule, CronScheduleError, isKnownTimeZone, parseCronSchedule } from '@minik8s/api/cron';
import { type EventRecorder, isAlreadyExists, isNotFound, objectKey, type ResourceRef } from '@minik8s/client/kube';
import { QueueLoop, type Runnable } from '@minik8s/client/runtime';
import type { Logger } from 'pino';
import { type ControllerContext, eventRecorder } from '../internal/context.ts';
import { refTo } from '../internal/resources.ts';
import { byStartTime, CRONJOB_KIND, finishedCondition, jobFromTemplate, jobName, mostRecentScheduleTime, nextScheduleDelay, rfc3339 } from './schedule.ts';

export const CRONJOB_CONTROLLER = 'cronjob-controller';
export const CRON_JOBS = { group: 'batch', version: 'v1', plural: 'cronjobs' } as const satisfies ResourceRef;
export const JOBS = { group: 'batch', version: 'v1', plural: 'jobs' } as const satisfies ResourceRef;
/** Jobs by the `namespace/name` of the CronJob that controls them. */
const BY_CRONJOB = 'cronJobOwner';

type ObjectReference = NonNullable<NonNullable<CronJob['status']>['active']>[number];

interface SyncResult {
  requeueAfter?: number;
  updateStatus: boolean;
  error?: Error;
}

export class CronJobController implements Runnable {
  readonly name = CRONJOB_CONTROLLER;
  private readonly loop: QueueLoop;
  private readonly recorder: EventRecorder;
  private readonly log: Logger;
  private readonly cronJobs;
  private readonly jobs;

  constructor(private readonly ctx: ControllerContext) {
    this.log = ctx.log.child({ component: CRONJOB_CONTROLLER });
    this.recorder = eventRecorder(ctx, CRONJOB_CONTROLLER);
    this.loop = new QueueLoop({ name: 'cronjob', workers: ctx.workers, clock: ctx.clock, log: this.log, reconcile: (k) => this.sync(k) });
    this.cronJobs = ctx.informers.for<CronJob>(CRON_JOBS);
    this.jobs = ctx.informers.index<Job>(JOBS, BY_CRONJOB, (j) => {
      const ref = controllerRef(j as KubeObject);
      return ref?.kind === 'CronJob' ? [`${j.metadata.namespace}/${ref.name}`] : [];
    });
    this.cronJobs.addEventHandler({
      onAdd: (cj) => this.loop.enqueue(objectKey(cj)),
      onUpdate: (old, cj) => this.updateCronJob(old, cj),
      onDelete: (cj) => this.loop.enqueue(objectKey(cj)),
    });
    this.jobs.addEventHandler({
      onAdd: (j) => this.enqueueOwner(j),
      onUpdate: (old, j) => {
        if (old.metadata.resourceVersion === j.metadata.resourceVersion) return;
        if (controllerRef(old as KubeObject)?.uid !== controllerRef(j as KubeObject)?.uid) this.enqueueOwner(old);
        this.enqueueOwner(j);
      },
      onDelete: (j) => this.enqueueOwner(j),
    });
  }

  async run(signal: AbortSignal): Promise<void> {
    await Promise.all([this.cronJobs.waitForSync(signal), this.jobs.waitForSync(signal)]);
    await this.loop.run(signal);
    await this.recorder.flush();
  }

  /** Waits for the events recorded so far to be written (tests). */
  flushEvents(): Promise<void> {
    return this.recorder.flush();
  }

  // ------------------------------------------------------------------ handlers

  /** The CronJob controlling `j`, if it still exists (same uid). */
  private ownerOf(j: Job): CronJob | undefined {
    const ref = controllerRef(j as KubeObject);
    if (ref?.kind !== 'CronJob') return undefined;
    const cj = this.cronJobs.getByName(j.metadata.namespace, ref.name);
    return cj && cj.metadata.uid === ref.uid ? cj : undefined;
  }

  private enqueueOwner(j: Job): void {
    const cj = this.ownerOf(j);
    if (cj) this.loop.enqueue(objectKey(cj));
  }

  /** A new schedule or time zone: look again at its next time; anything else: now. */
  private updateCronJob(old: CronJob, cj: CronJob): void {
    if (old.spec?.schedule === cj.spec?.schedule && old.spec?.timeZone === cj.spec?.timeZone) {
      this.loop.enqueue(objectKey(cj));
      return;
    }
    let schedule: CronSchedule;
    try {
      schedule = this.scheduleOf(cj, false);
    } catch {
      this.recorder.event(this.ref(cj), 'Warning', 'UnParseableCronJobSchedule', `unparseable schedule for cronjob: ${cj.spec?.schedule}`);
      return;
    }
    const delay = nextScheduleDelay(cj, this.ctx.clock.now(), schedule);
    if (delay !== undefined) this.loop.enqueueAfter(objectKey(cj), Math.max(0, delay));
  }

  // ------------------------------------------------------------------ sync

  private async sync(key: string): Promise<{ requeueAfter: number } | undefined> {
    const cached = this.cronJobs.get(key);
    if (!cached) return undefined;
    const jobs = this.jobs.byIndex(BY_CRONJOB, key);
    let base = cached;
    // A running Job missing from status.active: perhaps the cache has not seen our own status write yet.
    const active = new Set((cached.status?.active ?? []).map((a) => a.uid));
    if (jobs.some((j) => !finishedCondition(j) && !active.has(j.metadata.uid))) {
      try {
        base = await this.ctx.client.get<CronJob>(refTo(CRON_JOBS, cached.metadata.namespace, cached.metadata.name!));
      } catch (e) {
        if (isNotFound(e)) return undefined;
        throw e;
      }
      if (base.metadata.uid !== cached.metadata.uid) return undefined;
    }
    const cj = structuredClone(base);
    cj.status ??= {};
    const cleaned = await this.cleanupFinishedJobs(cj, jobs);
    const r = await this.syncCronJob(cj, jobs);
    if (r.error) this.log.info({ key, err: r.error }, 'error reconciling cronjob');
    if (cleaned || r.updateStatus) {
      if (cj.status.active?.length === 0) delete cj.status.active;
      await this.ctx.client.updateStatus(refTo(CRON_JOBS, cj.metadata.namespace, cj.metadata.name!, 'status'), cj);
    }
    if (r.requeueAfter !== undefined) return { requeueAfter: Math.max(0, r.requeueAfter) };
    if (r.error) throw r.error;
    return undefined;
  }

  private ref(cj: CronJob): KubeObject {
    return { ...cj, ...CRONJOB_KIND } as KubeObject;
  }

  /** The schedule in the CronJob's zone; warns (as upstream) about a TZ= kept in an old schedule. */
  private scheduleOf(cj: CronJob, warn: boolean): CronSchedule {
    const spec = cj.spec?.schedule ?? '';
    if (spec.includes('TZ')) {
      if (warn) {
        this.recorder.event(
          this.ref(cj),
          'Warning',
          'UnsupportedSchedule',
          `CRON_TZ or TZ used in schedule ${JSON.stringify(spec)} is not officially supported, see https://kubernetes.io/docs/concepts/workloads/controllers/cron-jobs/ for more details`,
        );
      }
      return parseCronSchedule(spec);
    }
    const tz = cj.spec?.timeZone;
    return parseCronSchedule(spec, tz && isKnownTimeZone(tz) ? tz : undefined);
  }

  private async syncCronJob(cj: CronJob, jobs: Job[]): Promise<SyncResult> {
    const now = this.ctx.clock.now();
    const status = cj.status!;
    let updateStatus = false;
    const inActive = (uid: string | undefined) => (status.active ?? []).some((a) => a.uid === uid);
    const removeActive = (uid: string | undefined) => {
      status.active = (status.active ?? []).filter((a) => a.uid !== uid);
    };
    const children = new Set<string>();
    for (const j of jobs) {
      children.add(j.metadata.uid!);
      const found = inActive(j.metadata.uid);
      const finished = finishedCondition(j);
      if (!found && !finished) {
        // Not ours to count as active (sync read the CronJob from the server before deciding): made by hand, or forgotten.
        this.recorder.event(this.ref(cj), 'Warning', 'UnexpectedJob', `Saw a job that the controller did not create or forgot: ${j.metadata.name}`);
      } else if (finished) {
        if (found) {
          removeActive(j.metadata.uid);
          this.recorder.event(this.ref(cj), 'Normal', 'SawCompletedJob', `Saw completed job: ${j.metadata.name}, condition: ${finished}`);
          updateStatus = true;
        }
        const done = j.status?.completionTime;
        if (finished === 'Complete' && done && (!status.lastSuccessfulTime || Date.parse(done) > Date.parse(status.lastSuccessfulTime))) {
          status.lastSuccessfulTime = done;
          updateStatus = true;
        }
      }
    }
    // Active Jobs that are gone (asked of the server, the cache may be behind).
    for (const a of [...(status.active ?? [])]) {
      if (children.has(a.uid!)) continue;
      try {
        await this.ctx.client.get(refTo(JOBS, a.namespace, a.name!));
      } catch (e) {
        if (!isNotFound(e)) return { updateStatus, error: e as Error };
        this.recorder.event(this.ref(cj), 'Normal', 'MissingJob', `Active job went missing: ${a.name}`);
        removeActive(a.uid);
        updateStatus = true;
      }
    }
    if (isBeingDeleted(cj as KubeObject)) return { updateStatus };

    const tz = cj.spec?.timeZone;
    if (tz && !isKnownTimeZone(tz)) {
      this.recorder.event(this.ref(cj), 'Warning', 'UnknownTimeZone', `invalid timeZone: ${JSON.stringify(tz)}: unknown time zone ${tz}`);
      return { updateStatus };
    }
    if (cj.spec?.suspend) return { updateStatus };
    let schedule: CronSchedule;
    try {
      schedule = this.scheduleOf(cj, true);
    } catch (e) {
      if (!(e instanceof CronScheduleError)) throw e;
      this.recorder.event(this.ref(cj), 'Warning', 'UnparseableSchedule', `unparseable schedule: ${JSON.stringify(cj.spec?.schedule)} : ${e.message}`);
      return { updateStatus };
    }
    const later = () => nextScheduleDelay(cj, now, schedule);
    const due = mostRecentScheduleTime(cj, now, schedule, true);
    if (due.error) {
      this.recorder.event(this.ref(cj), 'Warning', 'InvalidSchedule', `invalid schedule: ${cj.spec?.schedule} : ${due.error}`);
      return { updateStatus };
    }
    if (due.mostRecent === undefined || due.mostRecent > now) return { requeueAfter: later(), updateStatus };
    const scheduled = due.mostRecent;
    if (due.missed === 'many') {
      this.recorder.event(
        this.ref(cj),
        'Warning',
        'TooManyMissedTimes',
        'too many missed start times. Set or decrease .spec.startingDeadlineSeconds or check clock skew',
      );
    }

    const deadline = cj.spec?.startingDeadlineSeconds;
    if (typeof deadline === 'number' && scheduled + deadline * 1000 < now) {
      this.recorder.event(this.ref(cj), 'Warning', 'MissSchedule', `Missed scheduled time to start a job: ${rfc1123z(scheduled)}`);
      return { requeueAfter: later(), updateStatus };
    }
    const name = jobName(cj, scheduled);
    if ((status.active ?? []).some((a) => a.name === name && a.namespace === cj.metadata.namespace) || status.lastScheduleTime === rfc3339(scheduled)) {
      return { requeueAfter: later(), updateStatus };
    }
    const policy = cj.spec?.concurrencyPolicy;
    if (policy === 'Forbid' && (status.active ?? []).length > 0) {
      this.recorder.event(this.ref(cj), 'Normal', 'JobAlreadyActive', 'Not starting job because prior execution is running and concurrency policy is Forbid');
      return { requeueAfter: later(), updateStatus };
    }
    if (policy === 'Replace') {
      for (const a of [...(status.active ?? [])]) {
        let job: Job;
        try {
          job = await this.ctx.client.get<Job>(refTo(JOBS, a.namespace, a.name!));
        } catch (e) {
          this.recorder.event(this.ref(cj), 'Warning', 'FailedGet', `Get job: ${(e as Error).message}`);
          return { updateStatus, error: e as Error };
        }
        if (!(await this.deleteJob(cj, job))) return { updateStatus, error: new Error(`could not replace job ${job.metadata.namespace}/${job.metadata.name}`) };
        updateStatus = true;
      }
    }

    const wanted = jobFromTemplate(cj, scheduled);
    let created: Job;
    try {
      created = await this.ctx.client.create<Job>({ ...JOBS, namespace: cj.metadata.namespace }, wanted);
      this.recorder.event(this.ref(cj), 'Normal', 'SuccessfulCreate', `Created job ${created.metadata.name}`);
    } catch (e) {
      if (!isAlreadyExists(e)) {
        if (!isNamespaceTerminating(e)) this.recorder.event(this.ref(cj), 'Warning', 'FailedCreate', `Error creating job: ${(e as Error).message}`);
        return { updateStatus, error: e as Error };
      }
      // Made before, and perhaps our status write was lost: take it back into the active list.
      created = await this.ctx.client.get<Job>(refTo(JOBS, cj.metadata.namespace, name));
      const ref = controllerRef(created as KubeObject);
      if (!ref || ref.uid !== cj.metadata.uid || inActive(created.metadata.uid)) return { updateStatus };
      this.log.info({ cronjob: objectKey(cj), job: name }, 'job already exists');
    }
    status.active = [...(status.active ?? []), objectReference(created)];
    status.lastScheduleTime = rfc3339(scheduled);
    return { requeueAfter: later(), updateStatus: true };
  }

  /** Deletes finished Jobs beyond the history limits, oldest first. */
  private async cleanupFinishedJobs(cj: CronJob, jobs: Job[]): Promise<boolean> {
    const spec: Partial<NonNullable<CronJob['spec']>> = cj.spec ?? {};
    if (spec.successfulJobsHistoryLimit == null && spec.failedJobsHistoryLimit == null) return false;
    const succeeded = jobs.filter((j) => finishedCondition(j) === 'Complete');
    const failed = jobs.filter((j) => finishedCondition(j) === 'Failed');
    let changed = false;
    if (spec.successfulJobsHistoryLimit != null && (await this.removeOldest(cj, succeeded, spec.successfulJobsHistoryLimit))) changed = true;
    if (spec.failedJobsHistoryLimit != null && (await this.removeOldest(cj, failed, spec.failedJobsHistoryLimit))) changed = true;
    return changed;
  }

  private async removeOldest(cj: CronJob, jobs: Job[], keep: number): Promise<boolean> {
    const extra = jobs.length - keep;
    if (extra <= 0) return false;
    let changed = false;
    for (const j of [...jobs].sort(byStartTime).slice(0, extra)) if (await this.deleteJob(cj, j)) changed = true;
    return changed;
  }

  /** Deletes a Job (its Pods go in the background) and takes it out of the active list. */
  private async deleteJob(cj: CronJob, job: Job): Promise<boolean> {
    try {
      await this.ctx.client.delete(refTo(JOBS, job.metadata.namespace, job.metadata.name!), { propagationPolicy: 'Background' });
    } catch (e) {
      this.recorder.event(this.ref(cj), 'Warning', 'FailedDelete', `Deleted job: ${(e as Error).message}`);
      return false;
    }
    cj.status!.active = (cj.status!.active ?? []).filter((a) => a.uid !== job.metadata.uid);
    this.recorder.event(this.ref(cj), 'Normal', 'SuccessfulDelete', `Deleted job ${job.metadata.name}`);
    return true;
  }
}

function objectReference(j: Job): ObjectReference {
  return {
    kind: 'Job',
    namespace: j.metadata.namespace,
    name: j.metadata.name,
    uid: j.metadata.uid,
    apiVersion: 'batch/v1',
    resourceVersion: j.metadata.resourceVersion,
  };
}

const isNamespaceTerminating = (e: unknown) =>
  ((e as { status?: { details?: { causes?: Array<{ reason?: string }> } } }).status?.details?.causes ?? []).some((c) => c.reason === 'NamespaceTerminating');

/** Go's time.RFC1123Z in UTC: `Mon, 02 Jan 2006 15:04:05 +0000`. */
function rfc1123z(t: number): string {
  const d = new Date(t);
  const days = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
  const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  const p = (n: number) => String(n).padStart(2, '0');
  return `${days[d.getUTCDay()]}, ${p(d.getUTCDate())} ${months[d.getUTCMonth()]} ${d.getUTCFullYear()} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())} +0000`;
}
