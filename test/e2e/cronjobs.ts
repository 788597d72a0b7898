/**
 * CronJobs on the compose cluster: a CronJob made with the stock kubectl that runs every
 * minute gets its first Job within 75 s, named `<cronjob>-<scheduled minute since the
 * epoch>`, controlled by the CronJob and listed in its status; a Forbid CronJob whose Job
 * is still running at the next minute skips it (`JobAlreadyActive`). Registered by the
 * suite that owns the cluster.
 */
import type { CronJob, Job } from '@minik8s/api';
import { eventually } from '@minik8s/testing';
import { describe, expect, it } from 'vitest';
import type { Cluster } from './harness.ts';

const NS = 'cronjobs';

export function describeCronJobs(cluster: () => Cluster): void {
  const c = cluster;
  const kubectl = async (args: string[]) => {
    const r = await c().kubectl(args);
    if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')} failed: ${r.stderr}`);
    return r.stdout;
  };

  describe('cronjobs', () => {
    it('a * * * * * CronJob makes a Job within 75 s, named for its scheduled minute and owned by the CronJob', async () => {
      await kubectl(['create', 'namespace', NS]);
      // The Forbid CronJob of the next test starts now too, so both wait out the same minute.
      await kubectl(['create', 'cronjob', 'slow', '-n', NS, '--image=minik8s/busybox:latest', '--schedule=* * * * *', '--', 'sleep', '170']);
      await kubectl(['patch', 'cronjob', 'slow', '-n', NS, '--type=merge', '-p', '{"spec":{"concurrencyPolicy":"Forbid"}}']);
      expect(await kubectl(['create', 'cronjob', 'tick', '-n', NS, '--image=minik8s/echo:v1', '--schedule=* * * * *', '--', 'echo', 'tick'])).toBe(
        'cronjob.batch/tick created\n',
      );
      const cj = await c().client.get<CronJob>({ group: 'batch', version: 'v1', plural: 'cronjobs', namespace: NS, name: 'tick' });
      const jobs = { group: 'batch', version: 'v1', plural: 'jobs', namespace: NS } as const;
      const job = await eventually(async () => (await c().client.list<Job>(jobs)).items.find((j) => j.metadata.name?.startsWith('tick-')), {
        timeoutMs: 75_000,
        intervalMs: 500,
        message: 'the first Job',
      });
      const m = /^tick-(\d+)$/.exec(job.metadata.name ?? '');
      expect(m, job.metadata.name).not.toBeNull();
      const scheduled = Number(m![1]) * 60_000;
      expect(Math.abs(Date.now() - scheduled)).toBeLessThan(3 * 60_000);
      expect(job.metadata.annotations?.['batch.kubernetes.io/cronjob-scheduled-timestamp']).toBe(`${new Date(scheduled).toISOString().slice(0, 19)}Z`);
      expect(job.metadata.ownerReferences).toEqual([
        { apiVersion: 'batch/v1', kind: 'CronJob', name: 'tick', uid: cj.metadata.uid, controller: true, blockOwnerDeletion: true },
      ]);
      expect(job.spec?.template.spec?.containers[0]?.command).toEqual(['echo', 'tick']);
      const status = await eventually(
        async () => {
          const s = (await c().client.get<CronJob>({ group: 'batch', version: 'v1', plural: 'cronjobs', namespace: NS, name: 'tick' })).status;
          return s?.lastScheduleTime && s;
        },
        { timeoutMs: 30_000, intervalMs: 500, message: 'the CronJob status' },
      );
      expect(status.lastScheduleTime! >= `${new Date(scheduled).toISOString().slice(0, 19)}Z`).toBe(true);
      const events = await kubectl(['get', 'events', '-n', NS, '--field-selector', 'involvedObject.name=tick', '-o', 'jsonpath={.items[*].reason}']);
      expect(events.split(' ')).toContain('SuccessfulCreate');
      await kubectl(['patch', 'cronjob', 'tick', '-n', NS, '--type=merge', '-p', '{"spec":{"suspend":true}}']);
      await kubectl(['delete', 'cronjob', 'tick', '-n', NS]);
    }, 150_000);

    it('Forbid skips a scheduled time while the previous Job still runs (JobAlreadyActive)', async () => {
      const jobs = { group: 'batch', version: 'v1', plural: 'jobs', namespace: NS } as const;
      const slowJobs = async () => (await c().client.list<Job>(jobs)).items.filter((j) => j.metadata.name?.startsWith('slow-'));
      const first = await eventually(async () => (await slowJobs())[0], { timeoutMs: 75_000, intervalMs: 500, message: 'the first slow Job' });
      const scheduled = Number(/^slow-(\d+)$/.exec(first.metadata.name ?? '')![1]) * 60_000;
      // Past the next scheduled minute, with time for the controller to act on it.
      const next = scheduled + 60_000 + 15_000;
      await new Promise((r) => setTimeout(r, Math.max(0, next - Date.now())));
      expect((await slowJobs()).map((j) => j.metadata.name)).toEqual([first.metadata.name]);
      const reasons = await eventually(
        async () => {
          const r = (await kubectl(['get', 'events', '-n', NS, '--field-selector', 'involvedObject.name=slow', '-o', 'jsonpath={.items[*].reason}'])).split(
            ' ',
          );
          return r.includes('JobAlreadyActive') && r;
        },
        { timeoutMs: 20_000, intervalMs: 500, message: 'a JobAlreadyActive event' },
      );
      expect(reasons).toContain('SuccessfulCreate');
      await kubectl(['delete', 'cronjob', 'slow', '-n', NS]);
    }, 180_000);
  });
}
