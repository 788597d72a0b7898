/**
 * The CronJob controller's arithmetic (upstream's pkg/controller/cronjob/utils.go), pure:
 * which scheduled time is due, how many were missed, when to look again, and the Job a
 * scheduled time makes.
 */
import type { CronJob, Job, KubeObject } from '@minik8s/api';
import type { CronSchedule } from '@minik8s/api/cron';
import { newControllerRef } from '../internal/controller-ref.ts';

export const CRONJOB_KIND = { apiVersion: 'batch/v1', kind: 'CronJob' } as const;
/** Upstream's batchv1.CronJobScheduledTimestampAnnotation. */
export const SCHEDULED_TIMESTAMP_ANNOTATION = 'batch.kubernetes.io/cronjob-scheduled-timestamp';
/** Upstream's nextScheduleDelta: wake a little after the scheduled time, for clock skew. */
export const NEXT_SCHEDULE_DELTA_MS = 100;
/** More missed schedules than this gives a TooManyMissedTimes warning (upstream's number). */
export const MANY_MISSED = 100;

export type Missed = 'none' | 'few' | 'many';

export interface MostRecent {
  /** lastScheduleTime, or the creation time (ms). */
  earliest: number;
  /** The latest scheduled time at or before now that is after `earliest`, if any. */
  mostRecent?: number;
  missed: Missed;
  /** A schedule that is grammatical but never comes round twice (31 February). */
  error?: string;
}

const ms = (t: string | undefined) => (t ? Date.parse(t) : Number.NaN);

/**
 * Upstream's mostRecentScheduleTime: from lastScheduleTime (or creation), clamped by
 * startingDeadlineSeconds when asked, the latest scheduled time not after `now`, and
 * whether none, a few or many (more than 100) were missed on the way.
 */
export function mostRecentScheduleTime(cj: CronJob, now: number, schedule: CronSchedule, includeStartingDeadline: boolean): MostRecent {
  let earliest = ms(cj.status?.lastScheduleTime);
  if (Number.isNaN(earliest)) earliest = ms(cj.metadata.creationTimestamp);
  if (Number.isNaN(earliest)) earliest = now;
  const deadline = cj.spec?.startingDeadlineSeconds;
  if (includeStartingDeadline && typeof deadline === 'number') earliest = Math.max(earliest, now - deadline * 1000);
  const t1 = schedule.next(earliest);
  const t2 = t1 === undefined ? undefined : schedule.next(t1);
  if (t1 !== undefined && now < t1) return { earliest, missed: 'none' };
  if (t1 !== undefined && t2 !== undefined && now < t2) return { earliest, mostRecent: t1, missed: 'none' };
  const between = t1 !== undefined && t2 !== undefined ? Math.round((t2 - t1) / 1000) : 0;
  if (between < 1) return { earliest, missed: 'none', error: 'time difference between two schedules is less than 1 second' };
  // Roughly how many periods fit between t1 and now, then walk the last stretch exactly.
  const elapsed = Math.trunc((now - t1!) / 1000);
  const missedCount = Math.trunc(elapsed / between) + 1;
  let mostRecent: number | undefined;
  const from = t1! + (missedCount - 2) * between * 1000;
  for (let t = schedule.next(from); t !== undefined && t <= now; t = schedule.next(t)) mostRecent = t;
  const missed: Missed = missedCount > MANY_MISSED ? 'many' : missedCount > 0 ? 'few' : 'none';
  return { earliest, mostRecent, missed };
}

/** Upstream's nextScheduleTimeDuration: how long until the next scheduled time (plus 100 ms). */
export function nextScheduleDelay(cj: CronJob, now: number, schedule: CronSchedule): number | undefined {
  const r = mostRecentScheduleTime(cj, now, schedule, false);
  let from: number;
  if (r.error) from = now;
  else if (r.mostRecent !== undefined) from = r.mostRecent;
  else from = r.missed === 'none' ? r.earliest : now;
  const next = schedule.next(from);
  return next === undefined ? undefined : next + NEXT_SCHEDULE_DELTA_MS - now;
}

/** Upstream's getJobName: `<cronjob>-<scheduled time in minutes since the epoch>`. */
export const jobName = (cj: CronJob, scheduledMs: number) => `${cj.metadata.name}-${Math.floor(scheduledMs / 60_000)}`;

/** metav1.Time: RFC 3339 in UTC, whole seconds. */
export const rfc3339 = (t: number) => `${new Date(t).toISOString().slice(0, 19)}Z`;

/** Go's `t.In(zone).Format(time.RFC3339)`: the wall-clock time in the zone with its offset (`Z` when the offset is zero). */
export function rfc3339In(t: number, timeZone: string | undefined): string {
  if (!timeZone || timeZone === 'UTC') return rfc3339(t);
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone,
    hourCycle: 'h23',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  }).formatToParts(new Date(t));
  const get = (type: string) => Number(parts.find((p) => p.type === type)?.value);
  const wall = Date.UTC(get('year'), get('month') - 1, get('day'), get('hour'), get('minute'), get('second'));
  const offsetMin = Math.round((wall - Math.floor(t / 1000) * 1000) / 60_000);
  const local = new Date(wall).toISOString().slice(0, 19);
  if (offsetMin === 0) return `${local}Z`;
  const sign = offsetMin < 0 ? '-' : '+';
  const abs = Math.abs(offsetMin);
  return `${local}${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
}

/**
 * Upstream's getJobFromTemplate2: the template's labels, annotations (plus the scheduled
 * time) and spec, the deterministic name, and the CronJob as controller.
 */
export function jobFromTemplate(cj: CronJob, scheduledMs: number): Job {
  const template = cj.spec?.jobTemplate ?? {};
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: {
      name: jobName(cj, scheduledMs),
      namespace: cj.metadata.namespace,
      labels: { ...(template.metadata?.labels ?? {}) },
      annotations: { ...(template.metadata?.annotations ?? {}), [SCHEDULED_TIMESTAMP_ANNOTATION]: rfc3339In(scheduledMs, cj.spec?.timeZone) },
      ownerReferences: [newControllerRef(cj as KubeObject, CRONJOB_KIND)],
    },
    spec: structuredClone(template.spec ?? { template: {} }),
  } as Job;
}

/** The condition that finished a Job (Complete or Failed, status True), if any. */
export function finishedCondition(j: Job): 'Complete' | 'Failed' | undefined {
  for (const c of j.status?.conditions ?? []) {
    if ((c.type === 'Complete' || c.type === 'Failed') && c.status === 'True') return c.type;
  }
  return undefined;
}

/** Upstream's byJobStartTime: started Jobs first, oldest first, names breaking ties. */
export function byStartTime(a: Job, b: Job): number {
  const sa = a.status?.startTime;
  const sb = b.status?.startTime;
  if (!sa && sb) return 1;
  if (sa && !sb) return -1;
  if (sa === sb || (sa && sb && ms(sa) === ms(sb))) return (a.metadata.name ?? '') < (b.metadata.name ?? '') ? -1 : 1;
  return ms(sa) - ms(sb);
}
