/**
 * The CronJob controller against a real API server, on a fake clock: Jobs appear at
 * their scheduled time with upstream's names, owner, labels and annotation; the
 * concurrency policies, the starting deadline, suspend, time zones, too many missed
 * times and the history limits behave as upstream's. Nothing runs the Jobs here: the
 * tests finish them by writing their status, as the Job controller would.
 */
import type { CronJob, Job, KubeObject } from '@minik8s/api';
import { FakeClock } from '@minik8s/client/kube';
import { eventually } from '@minik8s/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createNamespace, type Harness, startHarness } from '../testing/harness.ts';
import { NEXT_SCHEDULE_DELTA_MS, rfc3339 } from './schedule.ts';

const MIN = 60_000;
let h: Harness;
let clock: FakeClock;
let ns: string;
let nsCount = 0;

const cjs = () => ({ group: 'batch', version: 'v1', plural: 'cronjobs', namespace: ns });
const jobsRef = () => ({ group: 'batch', version: 'v1', plural: 'jobs', namespace: ns });

async function makeCronJob(name: string, spec: Record<string, unknown>): Promise<CronJob> {
  return h.client.create<CronJob>(cjs(), {
    apiVersion: 'batch/v1',
    kind: 'CronJob',
    metadata: { name },
    spec: {
      jobTemplate: {
        metadata: { labels: { app: name }, annotations: { note: 'from the template' } },
        spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox', command: ['true'] }] } } },
      },
      ...spec,
    },
  } as never);
}

const getCronJob = (name: string) => h.client.get<CronJob>({ ...cjs(), name });
const listJobs = async () =>
  (await h.client.list<Job>(jobsRef())).items
    .filter((j) => !j.metadata.deletionTimestamp)
    .map((j) => j.metadata.name ?? '')
    .sort();
async function events(name: string): Promise<string[]> {
  const list = await h.client.list<KubeObject & { type?: string; reason?: string; message?: string }>(
    { version: 'v1', plural: 'events', namespace: ns },
    { fieldSelector: `involvedObject.name=${name}` },
  );
  return list.items.map((e) => `${e.type} ${e.reason} ${e.message}`);
}

/** Waits until the controller has asked to be woken at `at` (it looked at the CronJob and found nothing due before). */
const waitForWakeAt = (at: number) =>
  eventually(() => clock.nextAt() !== undefined && clock.nextAt()! <= at, { message: `a wake-up at ${new Date(at).toISOString()}` });

/** Moves the fake clock to `t` (firing the controller's timers on the way). */
async function advanceTo(t: number): Promise<void> {
  await clock.tick(Math.max(0, t - clock.now()));
}

/** The next minute boundary at least `gapMs` after the CronJob was made, so a test never races the boundary it waits for. */
const nextMinuteAfter = (cj: CronJob, gapMs = 2000) => Math.ceil((Date.parse(cj.metadata.creationTimestamp!) + gapMs) / MIN) * MIN;

/** What the Job controller would write when a Job finishes. */
async function finish(name: string, type: 'Complete' | 'Failed', startTime: number, completionTime: number): Promise<void> {
  const job = await h.client.get<Job>({ ...jobsRef(), name });
  const conditions =
    type === 'Complete'
      ? [
          { type: 'SuccessCriteriaMet', status: 'True' },
          { type: 'Complete', status: 'True' },
        ]
      : [
          { type: 'FailureTarget', status: 'True', reason: 'BackoffLimitExceeded' },
          { type: 'Failed', status: 'True', reason: 'BackoffLimitExceeded' },
        ];
  await h.client.updateStatus({ ...jobsRef(), name }, {
    ...job,
    status: {
      startTime: rfc3339(startTime),
      ...(type === 'Complete' ? { completionTime: rfc3339(completionTime), succeeded: 1 } : { failed: 1 }),
      conditions: conditions.map((c) => ({ ...c, lastProbeTime: rfc3339(completionTime), lastTransitionTime: rfc3339(completionTime) })),
    },
  } as Job);
}

beforeEach(async () => {
  clock = new FakeClock(Date.now());
  h = await startHarness(['cronjob'], { clock });
  ns = `cron-${++nsCount}`;
  await createNamespace(h.client, ns);
}, 60_000);
afterEach(() => h?.close());

describe('cronjob controller', () => {
  it('makes a Job at the scheduled time, named for the minute, owned by the CronJob, from the template', async () => {
    const cj = await makeCronJob('tick', { schedule: '*/5 * * * *' });
    const due = Math.ceil((Date.parse(cj.metadata.creationTimestamp!) + 1000) / (5 * MIN)) * 5 * MIN;
    await waitForWakeAt(due + NEXT_SCHEDULE_DELTA_MS);
    await advanceTo(due - 1000);
    expect(await listJobs()).toEqual([]);

    await advanceTo(due + NEXT_SCHEDULE_DELTA_MS);
    const name = `tick-${due / MIN}`;
    await eventually(async () => (await listJobs()).includes(name), { message: name });
    const job = await h.client.get<Job>({ ...jobsRef(), name });
    expect(job.metadata.ownerReferences).toEqual([
      { apiVersion: 'batch/v1', kind: 'CronJob', name: 'tick', uid: cj.metadata.uid, controller: true, blockOwnerDeletion: true },
    ]);
    expect(job.metadata.labels).toMatchObject({ app: 'tick' });
    expect(job.metadata.annotations).toEqual({ note: 'from the template', 'batch.kubernetes.io/cronjob-scheduled-timestamp': rfc3339(due) });
    expect(job.spec?.template.spec?.containers[0]?.command).toEqual(['true']);

    const status = await eventually(async () => (await getCronJob('tick')).status?.active?.length && (await getCronJob('tick')).status);
    expect(status.active).toEqual([{ kind: 'Job', apiVersion: 'batch/v1', namespace: ns, name, uid: job.metadata.uid, resourceVersion: expect.any(String) }]);
    expect(status.lastScheduleTime).toBe(rfc3339(due));
    expect(await eventually(() => events('tick'))).toContain(`Normal SuccessfulCreate Created job ${name}`);
    // It now waits for the next time, five minutes on, and makes nothing before.
    await waitForWakeAt(due + 5 * MIN + NEXT_SCHEDULE_DELTA_MS);
    await advanceTo(due + 5 * MIN - 1000);
    expect(await listJobs()).toEqual([name]);
  });

  it('Forbid skips a time while a Job runs; a finished Job leaves the active list, sets lastSuccessfulTime and lets the skipped time run', async () => {
    const cj = await makeCronJob('forbid', { schedule: '* * * * *', concurrencyPolicy: 'Forbid' });
    const first = nextMinuteAfter(cj);
    await advanceTo(first + NEXT_SCHEDULE_DELTA_MS);
    const job1 = `forbid-${first / MIN}`;
    await eventually(async () => (await getCronJob('forbid')).status?.active?.[0]?.name === job1, { message: 'first job active' });

    await advanceTo(first + MIN + NEXT_SCHEDULE_DELTA_MS);
    await eventually(
      async () =>
        (await events('forbid')).includes('Normal JobAlreadyActive Not starting job because prior execution is running and concurrency policy is Forbid'),
      {
        message: 'JobAlreadyActive',
      },
    );
    expect(await listJobs()).toEqual([job1]);

    await finish(job1, 'Complete', first + 1000, first + 30_000);
    // The time Forbid skipped is still due (no startingDeadlineSeconds): it runs as soon as the first Job is done.
    const job2 = `forbid-${first / MIN + 1}`;
    const status = await eventually(async () => {
      const s = (await getCronJob('forbid')).status;
      return s?.active?.length === 1 && s.active[0]?.name === job2 && s;
    });
    expect(status.lastSuccessfulTime).toBe(rfc3339(first + 30_000));
    expect(status.lastScheduleTime).toBe(rfc3339(first + MIN));
    expect(await events('forbid')).toContain(`Normal SawCompletedJob Saw completed job: ${job1}, condition: Complete`);
    expect(await listJobs()).toEqual([job1, job2]);
  });

  it('Replace deletes the running Job before making the next one', async () => {
    const cj = await makeCronJob('replace', { schedule: '* * * * *', concurrencyPolicy: 'Replace' });
    const first = nextMinuteAfter(cj);
    await advanceTo(first + NEXT_SCHEDULE_DELTA_MS);
    const job1 = `replace-${first / MIN}`;
    const job2 = `replace-${first / MIN + 1}`;
    await eventually(async () => (await getCronJob('replace')).status?.active?.[0]?.name === job1, { message: 'first job active' });
    await advanceTo(first + MIN + NEXT_SCHEDULE_DELTA_MS);
    await eventually(async () => (await listJobs()).join() === job2, { message: 'only the second job' });
    const active = await eventually(async () => {
      const a = (await getCronJob('replace')).status?.active;
      return a?.length === 1 && a[0]?.name === job2 && a;
    });
    expect(active.map((a) => a.name)).toEqual([job2]);
    const ev = await events('replace');
    expect(ev).toContain(`Normal SuccessfulDelete Deleted job ${job1}`);
    expect(ev).toContain(`Normal SuccessfulCreate Created job ${job2}`);
  });

  it('Allow lets Jobs overlap', async () => {
    const cj = await makeCronJob('allow', { schedule: '* * * * *' });
    const first = nextMinuteAfter(cj);
    await advanceTo(first + NEXT_SCHEDULE_DELTA_MS);
    await eventually(async () => (await getCronJob('allow')).status?.active?.length === 1, { message: 'one active' });
    await advanceTo(first + MIN + NEXT_SCHEDULE_DELTA_MS);
    await eventually(async () => (await getCronJob('allow')).status?.active?.length === 2, { message: 'two active' });
    expect(await listJobs()).toEqual([`allow-${first / MIN}`, `allow-${first / MIN + 1}`]);
  });

  it('makes nothing while suspended; a late start runs only the latest missed time, within startingDeadlineSeconds', async () => {
    const late = await makeCronJob('late', { schedule: '* * * * *', suspend: true });
    await makeCronJob('deadline', { schedule: '* * * * *', suspend: true, startingDeadlineSeconds: 20 });
    const first = nextMinuteAfter(late);
    await advanceTo(first + 3 * MIN + 30_000);
    expect(await listJobs()).toEqual([]);

    for (const name of ['late', 'deadline']) await h.client.patch({ ...cjs(), name }, { spec: { suspend: false } }, { type: 'merge' });
    // Without a deadline the latest missed time runs at once; 30 s late is past a 20 s deadline.
    await eventually(async () => (await listJobs()).length === 1, { message: 'the late job' });
    expect(await listJobs()).toEqual([`late-${first / MIN + 3}`]);
    await waitForWakeAt(first + 4 * MIN + NEXT_SCHEDULE_DELTA_MS);
    await advanceTo(first + 4 * MIN + NEXT_SCHEDULE_DELTA_MS);
    await eventually(async () => (await listJobs()).includes(`deadline-${first / MIN + 4}`), { message: 'the on-time job' });
    expect((await listJobs()).filter((n) => n.startsWith('deadline-'))).toEqual([`deadline-${first / MIN + 4}`]);
  });

  it('warns TooManyMissedTimes past 100 missed times and runs only the latest', async () => {
    const cj = await makeCronJob('missed', { schedule: '* * * * *', suspend: true });
    const first = nextMinuteAfter(cj);
    await advanceTo(first + 150 * MIN + 5000);
    await h.client.patch({ ...cjs(), name: 'missed' }, { spec: { suspend: false } }, { type: 'merge' });
    await eventually(async () => (await listJobs()).length === 1, { message: 'one job' });
    expect(await listJobs()).toEqual([`missed-${first / MIN + 150}`]);
    expect(await eventually(() => events('missed'))).toContain(
      'Warning TooManyMissedTimes too many missed start times. Set or decrease .spec.startingDeadlineSeconds or check clock skew',
    );
  });

  it('counts the schedule in spec.timeZone', async () => {
    // 09:00 in Tokyo (UTC+9, no DST) is 00:00 UTC; 09:00 UTC is nine hours later.
    const tokyo = await makeCronJob('tokyo', { schedule: '0 9 * * *', timeZone: 'Asia/Tokyo' });
    await makeCronJob('utc', { schedule: '0 9 * * *' });
    const created = Date.parse(tokyo.metadata.creationTimestamp!);
    const midnight = Math.ceil((created + 1000) / (24 * 60 * MIN)) * 24 * 60 * MIN;
    const utcNine = midnight - 15 * 60 * MIN > created + 1000 ? midnight - 15 * 60 * MIN : midnight + 9 * 60 * MIN;
    await waitForWakeAt(Math.min(midnight, utcNine) + NEXT_SCHEDULE_DELTA_MS);
    await advanceTo(midnight + NEXT_SCHEDULE_DELTA_MS);
    const name = `tokyo-${midnight / MIN}`;
    await eventually(async () => (await listJobs()).includes(name), { message: name });
    const job = await h.client.get<Job>({ ...jobsRef(), name });
    const day = new Date(midnight).toISOString().slice(0, 10);
    expect(job.metadata.annotations?.['batch.kubernetes.io/cronjob-scheduled-timestamp']).toBe(`${day}T09:00:00+09:00`);
    expect((await listJobs()).filter((n) => n.startsWith('utc-'))).toEqual(utcNine < midnight ? [`utc-${utcNine / MIN}`] : []);
  });

  it('reports a running Job it did not make (UnexpectedJob) and an active Job that went missing (MissingJob)', async () => {
    const cj = await makeCronJob('watch', { schedule: '* * * * *' });
    const first = nextMinuteAfter(cj);
    await advanceTo(first + NEXT_SCHEDULE_DELTA_MS);
    const job1 = `watch-${first / MIN}`;
    await eventually(async () => (await getCronJob('watch')).status?.active?.[0]?.name === job1, { message: 'first job active' });
    const owner = { apiVersion: 'batch/v1', kind: 'CronJob', name: 'watch', uid: cj.metadata.uid!, controller: true };
    const spec = { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox' }] } } };
    await h.client.create<Job>(jobsRef(), { apiVersion: 'batch/v1', kind: 'Job', metadata: { name: 'by-hand', ownerReferences: [owner] }, spec } as Job);
    await eventually(async () => (await events('watch')).includes('Warning UnexpectedJob Saw a job that the controller did not create or forgot: by-hand'), {
      message: 'UnexpectedJob',
    });
    await h.client.delete({ ...jobsRef(), name: job1 });
    await eventually(async () => (await events('watch')).includes(`Normal MissingJob Active job went missing: ${job1}`), { message: 'MissingJob' });
    await eventually(async () => !(await getCronJob('watch')).status?.active, { message: 'nothing active' });
  });

  it('deletes finished Jobs beyond the history limits, oldest first', async () => {
    const cj = await makeCronJob('history', { schedule: '0 0 1 1 *', suspend: true, successfulJobsHistoryLimit: 1, failedJobsHistoryLimit: 1 });
    const owner = { apiVersion: 'batch/v1', kind: 'CronJob', name: 'history', uid: cj.metadata.uid!, controller: true, blockOwnerDeletion: true };
    const t0 = Date.now() - 60 * MIN;
    const spec = { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox' }] } } };
    for (const [i, type] of [
      [1, 'Complete'],
      [2, 'Failed'],
      [3, 'Complete'],
      [4, 'Failed'],
      [5, 'Complete'],
    ] as const) {
      await h.client.create<Job>(jobsRef(), { apiVersion: 'batch/v1', kind: 'Job', metadata: { name: `history-${i}`, ownerReferences: [owner] }, spec } as Job);
      await finish(`history-${i}`, type, t0 + i * MIN, t0 + i * MIN + 1000);
    }
    await eventually(async () => (await listJobs()).join() === 'history-4,history-5', { message: 'the newest success and failure kept' });
    const ev = await eventually(async () => {
      const e = await events('history');
      return e.filter((x) => x.includes('SuccessfulDelete')).length === 3 && e;
    });
    expect(ev).toEqual(
      expect.arrayContaining([
        'Normal SuccessfulDelete Deleted job history-1',
        'Normal SuccessfulDelete Deleted job history-2',
        'Normal SuccessfulDelete Deleted job history-3',
      ]),
    );
  });
});
