import { describe, expect, it } from 'vitest';
import { CronScheduleError, isKnownTimeZone, parseCronSchedule } from './cron-schedule.ts';

const at = (iso: string) => Date.parse(iso);
const iso = (ms: number | undefined) => (ms === undefined ? undefined : new Date(ms).toISOString());
/** The first `n` activations after `from`. */
function runs(spec: string, from: string, n = 3, tz?: string): (string | undefined)[] {
  const s = parseCronSchedule(spec, tz);
  const out: (string | undefined)[] = [];
  let t = at(from);
  for (let i = 0; i < n; i++) {
    const next = s.next(t);
    out.push(iso(next));
    if (next === undefined) break;
    t = next;
  }
  return out;
}
const refusal = (spec: string) => {
  try {
    parseCronSchedule(spec);
  } catch (e) {
    expect(e).toBeInstanceOf(CronScheduleError);
    return (e as Error).message;
  }
  return 'accepted';
};

describe('parseCronSchedule', () => {
  it('gives the next minute boundaries for * * * * *, strictly after the instant', () => {
    expect(runs('* * * * *', '2026-12-02T10:00:00Z')).toEqual(['2026-12-02T10:01:00.000Z', '2026-12-02T10:02:00.000Z', '2026-12-02T10:03:00.000Z']);
    expect(runs('* * * * *', '2026-12-02T10:00:30.500Z', 1)).toEqual(['2026-12-02T10:01:00.000Z']);
  });

  it('reads steps, ranges, lists and names as robfig/cron does', () => {
    expect(runs('*/15 9-10 * * *', '2026-12-02T09:50:00Z')).toEqual(['2026-12-02T10:00:00.000Z', '2026-12-02T10:15:00.000Z', '2026-12-02T10:30:00.000Z']);
    // N/step is N-max/step.
    expect(runs('50/5 * * * *', '2026-12-02T10:00:00Z')).toEqual(['2026-12-02T10:50:00.000Z', '2026-12-02T10:55:00.000Z', '2026-12-02T11:50:00.000Z']);
    expect(runs('0 12 * JAN,dec MON-wed', '2026-12-02T13:00:00Z')).toEqual([
      '2026-12-07T12:00:00.000Z',
      '2026-12-08T12:00:00.000Z',
      '2026-12-09T12:00:00.000Z',
    ]);
    expect(runs('0 0 ? * *', '2026-12-02T13:00:00Z', 1)).toEqual(['2026-12-03T00:00:00.000Z']);
  });

  it('ORs day of month and day of week unless one of them is a star', () => {
    // 2026-12-02 is a Wednesday. The 5th (a Saturday) or a Monday.
    expect(runs('0 0 5 * 1', '2026-12-02T00:00:00Z')).toEqual(['2026-12-05T00:00:00.000Z', '2026-12-07T00:00:00.000Z', '2026-12-14T00:00:00.000Z']);
    // `*` in day of month: Mondays only.
    expect(runs('0 0 * * 1', '2026-12-02T00:00:00Z', 2)).toEqual(['2026-12-07T00:00:00.000Z', '2026-12-14T00:00:00.000Z']);
  });

  it('knows the descriptors, and @every', () => {
    expect(runs('@hourly', '2026-12-02T10:20:00Z', 1)).toEqual(['2026-12-02T11:00:00.000Z']);
    expect(runs('@daily', '2026-12-02T10:20:00Z', 1)).toEqual(['2026-12-03T00:00:00.000Z']);
    expect(runs('@midnight', '2026-12-02T10:20:00Z', 1)).toEqual(['2026-12-03T00:00:00.000Z']);
    expect(runs('@weekly', '2026-12-02T10:20:00Z', 1)).toEqual(['2026-12-06T00:00:00.000Z']);
    expect(runs('@monthly', '2026-12-02T10:20:00Z', 1)).toEqual(['2027-01-01T00:00:00.000Z']);
    expect(runs('@yearly', '2026-12-02T10:20:00Z', 1)).toEqual(['2027-01-01T00:00:00.000Z']);
    expect(runs('@annually', '2026-12-02T10:20:00Z', 1)).toEqual(['2027-01-01T00:00:00.000Z']);
    expect(runs('@every 1h30m', '2026-12-02T10:20:00.250Z', 2)).toEqual(['2026-12-02T11:50:00.000Z', '2026-12-02T13:20:00.000Z']);
  });

  it('counts in the time zone it is given, skipping wall-clock times a DST jump removes', () => {
    expect(runs('0 9 * * *', '2026-12-02T10:00:00Z', 1, 'Asia/Tokyo')).toEqual(['2026-12-03T00:00:00.000Z']);
    // 02:30 does not happen in New York on 2026-03-08.
    expect(runs('30 2 * * *', '2026-03-07T12:00:00Z', 2, 'America/New_York')).toEqual(['2026-03-09T06:30:00.000Z', '2026-03-10T06:30:00.000Z']);
    // 01:30 happens twice in New York on 2026-11-01 (EDT, then EST): both run, as with robfig.
    expect(runs('30 1 * * *', '2026-10-31T16:00:00Z', 3, 'America/New_York')).toEqual([
      '2026-11-01T05:30:00.000Z',
      '2026-11-01T06:30:00.000Z',
      '2026-11-02T06:30:00.000Z',
    ]);
    expect(runs('0 * * * *', '2026-11-01T04:30:00Z', 4, 'America/New_York')).toEqual([
      '2026-11-01T05:00:00.000Z',
      '2026-11-01T06:00:00.000Z',
      '2026-11-01T07:00:00.000Z',
      '2026-11-01T08:00:00.000Z',
    ]);
  });

  it('has no next time for a date no month has', () => {
    expect(runs('59 23 31 2 *', '2026-12-02T00:00:00Z', 1)).toEqual([undefined]);
  });

  it("refuses what robfig/cron's ParseStandard refuses, in its words", () => {
    expect(refusal('')).toBe('empty spec string');
    expect(refusal('* * * *')).toBe('expected exactly 5 fields, found 4: [* * * *]');
    expect(refusal('0 * * * * *')).toBe('expected exactly 5 fields, found 6: [0 * * * * *]');
    expect(refusal('@reboot')).toBe('unrecognized descriptor: @reboot');
    expect(refusal('@every fast')).toBe('failed to parse duration @every fast: time: invalid duration "fast"');
    expect(refusal('61 * * * *')).toBe('end of range (61) above maximum (59): 61');
    expect(refusal('* * 0 * *')).toBe('beginning of range (0) below minimum (1): 0');
    expect(refusal('* * * * 7')).toBe('end of range (7) above maximum (6): 7');
    expect(refusal('5-1 * * * *')).toBe('beginning of range (5) beyond end of range (1): 5-1');
    expect(refusal('*/0 * * * *')).toBe('step of range should be a positive number: */0');
    expect(refusal('foo * * * *')).toBe('failed to parse int from foo: strconv.Atoi: parsing "foo": invalid syntax');
    expect(refusal('1-2-3 * * * *')).toBe('too many hyphens: 1-2-3');
    expect(refusal('*/2/3 * * * *')).toBe('too many slashes: */2/3');
    expect(refusal('0 0 L * *')).toBe('failed to parse int from L: strconv.Atoi: parsing "L": invalid syntax');
  });
});

describe('isKnownTimeZone', () => {
  it('knows IANA names as Go spells them', () => {
    expect(isKnownTimeZone('Europe/Paris')).toBe(true);
    expect(isKnownTimeZone('UTC')).toBe(true);
    expect(isKnownTimeZone('US/Eastern')).toBe(true);
    expect(isKnownTimeZone('Mars/Olympus')).toBe(false);
    expect(isKnownTimeZone('europe/paris')).toBe(false);
  });
});
