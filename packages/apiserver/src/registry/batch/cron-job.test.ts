/**
 * What a user sees writing CronJobs: upstream's defaults, and upstream's 422 for a
 * schedule robfig/cron refuses, an unknown time zone, TZ= in the schedule, a bad
 * concurrency policy, negative limits and a name too long for its Jobs; nothing stored.
 */
import type { KubeObject, ResourceInfo } from '@minik8s/api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type InjectServer, startInjectServer } from '../../rest/internal/inject-server.ts';
import { toTable } from '../../rest/table.ts';

const CJS = '/apis/batch/v1/namespaces/default/cronjobs';
const cronJob = (name: string, spec: Record<string, unknown> = {}) => ({
  apiVersion: 'batch/v1',
  kind: 'CronJob',
  metadata: { name },
  spec: {
    schedule: '*/5 * * * *',
    jobTemplate: { spec: { template: { spec: { restartPolicy: 'OnFailure', containers: [{ name: 'c', image: 'busybox' }] } } } },
    ...spec,
  },
});

describe('CronJob validation and defaults', () => {
  let s: InjectServer;
  beforeAll(async () => {
    s = await startInjectServer();
  });
  afterAll(async () => {
    await s?.close();
  });
  const names = async () => ((await s.call('GET', CJS)).json.items as Array<{ metadata: { name: string } }>).map((i) => i.metadata.name);

  it('fills in the concurrency policy, suspend and the history limits', async () => {
    const res = await s.call('POST', CJS, cronJob('defaults', { schedule: '@hourly' }));
    expect(res.status).toBe(201);
    expect(res.json.spec).toMatchObject({ concurrencyPolicy: 'Allow', suspend: false, successfulJobsHistoryLimit: 3, failedJobsHistoryLimit: 1 });
    await s.call('DELETE', `${CJS}/defaults`);
  });

  it('refuses a schedule robfig/cron cannot parse, in its words', async () => {
    const cases: Array<[string, string]> = [
      ['61 * * * *', 'spec.schedule: Invalid value: "61 * * * *": end of range (61) above maximum (59): 61'],
      ['* * * *', 'spec.schedule: Invalid value: "* * * *": expected exactly 5 fields, found 4: [* * * *]'],
      ['@reboot', 'spec.schedule: Invalid value: "@reboot": unrecognized descriptor: @reboot'],
      ['0 * * * * *', 'spec.schedule: Invalid value: "0 * * * * *": expected exactly 5 fields, found 6: [0 * * * * *]'],
    ];
    for (const [schedule, message] of cases) {
      const res = await s.call('POST', CJS, cronJob('bad', { schedule }));
      expect(res.status).toBe(422);
      expect(res.json.message).toBe(`CronJob.batch "bad" is invalid: ${message}`);
    }
    expect(await names()).toEqual([]);
  });

  it('refuses TZ= in the schedule and unknown time zones', async () => {
    const tz = await s.call('POST', CJS, cronJob('tz', { schedule: 'CRON_TZ=UTC 0 * * * *' }));
    expect(tz.status).toBe(422);
    expect(tz.json.message).toBe(
      'CronJob.batch "tz" is invalid: spec.schedule: Invalid value: "CRON_TZ=UTC 0 * * * *": cannot use TZ or CRON_TZ in schedule, use timeZone field instead',
    );
    const zone = await s.call('POST', CJS, cronJob('zone', { timeZone: 'Mars/Olympus' }));
    expect(zone.status).toBe(422);
    expect(zone.json.message).toBe('CronJob.batch "zone" is invalid: spec.timeZone: Invalid value: "Mars/Olympus": unknown time zone Mars/Olympus');
    const local = await s.call('POST', CJS, cronJob('local', { timeZone: 'Local' }));
    expect(local.json.message).toBe(
      'CronJob.batch "local" is invalid: spec.timeZone: Invalid value: "Local": timeZone must be an explicit time zone as defined in https://www.iana.org/time-zones',
    );
    expect(await names()).toEqual([]);
    const ok = await s.call('POST', CJS, cronJob('paris', { timeZone: 'Europe/Paris' }));
    expect(ok.status).toBe(201);
    await s.call('DELETE', `${CJS}/paris`);
  });

  it('refuses a bad concurrency policy, negative numbers, and names over 52 characters', async () => {
    const res = await s.call(
      'POST',
      CJS,
      cronJob('x'.repeat(53), { concurrencyPolicy: 'Sometimes', startingDeadlineSeconds: -1, successfulJobsHistoryLimit: -1, failedJobsHistoryLimit: -2 }),
    );
    expect(res.status).toBe(422);
    const causes = (res.json.details as { causes: Array<{ field: string; message: string }> }).causes.map((c) => `${c.field}: ${c.message}`);
    expect(causes).toEqual([
      'spec.startingDeadlineSeconds: Invalid value: -1: must be greater than or equal to 0',
      'spec.concurrencyPolicy: Unsupported value: "Sometimes": supported values: "Allow", "Forbid", "Replace"',
      'spec.successfulJobsHistoryLimit: Invalid value: -1: must be greater than or equal to 0',
      'spec.failedJobsHistoryLimit: Invalid value: -2: must be greater than or equal to 0',
      `metadata.name: Invalid value: "${'x'.repeat(53)}": must be no more than 52 characters`,
    ]);
    expect(await names()).toEqual([]);
    expect((await s.call('POST', CJS, cronJob('y'.repeat(52)))).status).toBe(201);
    await s.call('DELETE', `${CJS}/${'y'.repeat(52)}`);
  });

  it('checks an update the same way, but lets a stored CronJob keep its name', async () => {
    expect((await s.call('POST', CJS, cronJob('upd'))).status).toBe(201);
    const cur = (await s.call('GET', `${CJS}/upd`)).json as { spec: Record<string, unknown> };
    const bad = await s.call('PUT', `${CJS}/upd`, { ...cur, spec: { ...cur.spec, schedule: '0 0 31 13 *' } });
    expect(bad.status).toBe(422);
    expect(bad.json.message).toBe('CronJob.batch "upd" is invalid: spec.schedule: Invalid value: "0 0 31 13 *": end of range (13) above maximum (12): 13');
    expect(((await s.call('GET', `${CJS}/upd`)).json as { spec: { schedule: string } }).spec.schedule).toBe('*/5 * * * *');
    await s.call('DELETE', `${CJS}/upd`);
  });
});

describe('CronJob Table', () => {
  it('prints the columns of upstream printCronJob', () => {
    const o = {
      ...cronJob('tick', { schedule: '*/5 * * * *', timeZone: 'Europe/Paris', suspend: false }),
      metadata: { name: 'tick', creationTimestamp: '2026-01-01T00:00:00Z' },
      status: { active: [{ name: 'tick-1' }], lastScheduleTime: '2026-01-01T00:05:00Z' },
    } as unknown as KubeObject;
    const t = toTable({ group: 'batch', kind: 'CronJob' } as ResourceInfo, [o], {}, { now: new Date('2026-01-01T00:10:00Z') });
    const cells = Object.fromEntries(t.columnDefinitions!.map((c, i) => [c.priority ? `${c.name}*` : c.name, t.rows[0]!.cells[i]]));
    expect(cells).toEqual({
      Name: 'tick',
      Schedule: '*/5 * * * *',
      Timezone: 'Europe/Paris',
      Suspend: 'False',
      Active: 1,
      'Last Schedule': '5m',
      Age: '10m',
      'Containers*': 'c',
      'Images*': 'busybox',
      'Selector*': '<none>',
    });
  });
});
