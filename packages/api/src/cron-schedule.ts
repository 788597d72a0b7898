/**
 * CronJob schedules as Kubernetes reads them: the standard five fields (minute, hour,
 * day of month, month, day of week) or a descriptor (`@yearly`, `@annually`, `@monthly`,
 * `@weekly`, `@daily`, `@midnight`, `@hourly`, `@every <duration>`), in a time zone.
 *
 * Upstream parses with robfig/cron's ParseStandard, so that is the grammar accepted here,
 * with its error texts (the API server puts them in a 422 as they are): no seconds field,
 * no `@reboot`, no `L`/`W`/`#`, day of week 0-6 (`7` is refused), `?` as `*`, names of
 * months and days in any case, `N/step` meaning `N-max/step`. The day-of-month and
 * day-of-week fields combine as robfig does: OR, unless either was written with `*` or
 * `?` (without a step), then AND.
 *
 * Occurrences come from the `cron-parser` package (time zones by IANA name) fed with the
 * expanded fields. As robfig, a wall-clock time that a daylight-saving jump skips does not
 * happen that day, and one in the hour repeated when clocks go back happens in both passes.
 */
import { CronExpressionParser } from 'cron-parser';

/** A parsed schedule. */
export interface CronSchedule {
  /** The first activation strictly after `afterMs` (ms since the epoch), or undefined when there is none within five years. */
  next(afterMs: number): number | undefined;
}

/** A schedule robfig/cron would refuse; `message` is robfig's error text. */
export class CronScheduleError extends Error {}

interface Bounds {
  min: number;
  max: number;
  names?: Record<string, number>;
}

const MONTH_NAMES = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
const DAY_NAMES = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];
const FIELDS: Bounds[] = [
  { min: 0, max: 59 },
  { min: 0, max: 23 },
  { min: 1, max: 31 },
  { min: 1, max: 12, names: Object.fromEntries(MONTH_NAMES.map((n, i) => [n, i + 1])) },
  { min: 0, max: 6, names: Object.fromEntries(DAY_NAMES.map((n, i) => [n, i])) },
];

/** One field: its values and whether a `*`/`?` without a step was part of it (robfig's star bit). */
interface Field {
  values: Set<number>;
  star: boolean;
}

const DESCRIPTORS: Record<string, string> = {
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
  '@monthly': '0 0 1 * *',
  '@weekly': '0 0 * * 0',
  '@daily': '0 0 * * *',
  '@midnight': '0 0 * * *',
  '@hourly': '0 * * * *',
};

/** Go's strconv.Atoi, with its error text. */
function atoi(s: string): number {
  if (!/^[+-]?\d+$/.test(s)) throw new CronScheduleError(`failed to parse int from ${s}: strconv.Atoi: parsing ${JSON.stringify(s)}: invalid syntax`);
  const n = Number(s);
  if (!Number.isSafeInteger(n) || Math.abs(n) > 2 ** 63 - 1) {
    throw new CronScheduleError(`failed to parse int from ${s}: strconv.Atoi: parsing ${JSON.stringify(s)}: value out of range`);
  }
  return n;
}

function mustParseInt(s: string): number {
  const n = atoi(s);
  if (n < 0) throw new CronScheduleError(`negative number (${n}) not allowed: ${s}`);
  return n;
}

function parseIntOrName(s: string, names?: Record<string, number>): number {
  const named = names?.[s.toLowerCase()];
  return named ?? mustParseInt(s);
}

/** robfig's getRange: `*`, `?`, `N`, `N-M`, each with an optional `/step`. */
function parseRange(expr: string, b: Bounds, into: Field): void {
  const rangeAndStep = expr.split('/');
  const lowAndHigh = rangeAndStep[0]!.split('-');
  const single = lowAndHigh.length === 1;
  let start: number;
  let end: number;
  let star = false;
  if (lowAndHigh[0] === '*' || lowAndHigh[0] === '?') {
    start = b.min;
    end = b.max;
    star = true;
  } else {
    start = parseIntOrName(lowAndHigh[0]!, b.names);
    if (lowAndHigh.length === 1) end = start;
    else if (lowAndHigh.length === 2) end = parseIntOrName(lowAndHigh[1]!, b.names);
    else throw new CronScheduleError(`too many hyphens: ${expr}`);
  }
  let step = 1;
  if (rangeAndStep.length === 2) {
    step = mustParseInt(rangeAndStep[1]!);
    if (single) end = b.max;
    if (step > 1) star = false;
  } else if (rangeAndStep.length > 2) {
    throw new CronScheduleError(`too many slashes: ${expr}`);
  }
  if (start < b.min) throw new CronScheduleError(`beginning of range (${start}) below minimum (${b.min}): ${expr}`);
  if (end > b.max) throw new CronScheduleError(`end of range (${end}) above maximum (${b.max}): ${expr}`);
  if (start > end) throw new CronScheduleError(`beginning of range (${start}) beyond end of range (${end}): ${expr}`);
  if (step === 0) throw new CronScheduleError(`step of range should be a positive number: ${expr}`);
  for (let i = start; i <= end; i += step) into.values.add(i);
  into.star ||= star;
}

function parseField(text: string, b: Bounds): Field {
  const f: Field = { values: new Set(), star: false };
  for (const expr of text.split(',').filter((e) => e.length > 0)) parseRange(expr, b, f);
  return f;
}

/** Go's time.ParseDuration, in milliseconds (what `@every` takes). */
function parseGoDuration(s: string): number {
  const bad = () => new CronScheduleError(`time: invalid duration ${JSON.stringify(s)}`);
  const UNITS: Record<string, number> = { ns: 1e-6, us: 1e-3, µs: 1e-3, μs: 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
  let rest = s;
  let sign = 1;
  if (rest.startsWith('-') || rest.startsWith('+')) {
    if (rest[0] === '-') sign = -1;
    rest = rest.slice(1);
  }
  if (rest === '0') return 0;
  if (rest === '') throw bad();
  let total = 0;
  while (rest.length > 0) {
    const m = /^(\d*)(?:\.(\d*))?([a-zµμ]+)/.exec(rest);
    if (!m || (m[1] === '' && (m[2] ?? '') === '')) throw bad();
    const unit = UNITS[m[3]!];
    if (unit === undefined) throw new CronScheduleError(`time: unknown unit ${JSON.stringify(m[3])} in duration ${JSON.stringify(s)}`);
    total += Number(`${m[1] || '0'}.${m[2] || '0'}`) * unit;
    rest = rest.slice(m[0].length);
  }
  return sign * total;
}

/** True when Go's time.LoadLocation would know `tz` (an IANA name, case as written; "" and "UTC" are UTC). */
export function isKnownTimeZone(tz: string): boolean {
  if (tz === '' || tz === 'UTC') return true;
  if (tz === 'Local') return true;
  try {
    const resolved = new Intl.DateTimeFormat('en-US', { timeZone: tz }).resolvedOptions().timeZone;
    // Intl ignores case; Go's zone files do not.
    return resolved === tz || resolved.toLowerCase() !== tz.toLowerCase();
  } catch {
    return false;
  }
}

const formats = new Map<string, Intl.DateTimeFormat>();

/** Wall-clock fields of an instant in a zone. */
function wallClock(ms: number, timeZone: string): { minute: number; hour: number; day: number; month: number; weekday: number } {
  let format = formats.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      minute: 'numeric',
      hour: 'numeric',
      day: 'numeric',
      month: 'numeric',
      weekday: 'short',
    });
    formats.set(timeZone, format);
  }
  const parts = format.formatToParts(new Date(ms));
  const get = (t: string) => parts.find((p) => p.type === t)?.value ?? '';
  return {
    minute: Number(get('minute')),
    hour: Number(get('hour')),
    day: Number(get('day')),
    month: Number(get('month')),
    weekday: DAY_NAMES.indexOf(get('weekday').toLowerCase().slice(0, 3)),
  };
}

const FIVE_YEARS_MS = 5 * 366 * 24 * 3600_000;
/** No zone moves its clocks by more than this at once. */
const MAX_DST_SHIFT_MS = 2 * 3600_000;

const offsetFormats = new Map<string, Intl.DateTimeFormat>();

/** The zone's offset from UTC at an instant, in ms (wall clock minus UTC). */
function utcOffset(ms: number, timeZone: string): number {
  let format = offsetFormats.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    offsetFormats.set(timeZone, format);
  }
  const parts = format.formatToParts(new Date(ms));
  const get = (t: string) => Number(parts.find((p) => p.type === t)?.value);
  const wall = Date.UTC(get('year'), get('month') - 1, get('day'), get('hour'), get('minute'), get('second'));
  return wall - Math.floor(ms / 1000) * 1000;
}

class FieldsSchedule implements CronSchedule {
  private readonly expression: string;

  constructor(
    private readonly fields: Field[],
    private readonly timeZone: string,
  ) {
    this.expression = fields.map((f) => (f.star ? '*' : [...f.values].sort((a, b) => a - b).join(','))).join(' ');
  }

  next(afterMs: number): number | undefined {
    const first = this.firstMatch(afterMs);
    if (first === undefined || this.timeZone === 'UTC') return first;
    // When clocks go back, robfig runs a wall-clock time of the repeated hour in both passes;
    // cron-parser gives only the first. Look for a second pass between `afterMs` and `first`.
    const from = afterMs - MAX_DST_SHIFT_MS;
    if (utcOffset(from, this.timeZone) === utcOffset(first, this.timeZone)) return first;
    let best = first;
    for (let m = this.firstMatch(from); m !== undefined && m < best; m = this.firstMatch(m)) {
      const shift = utcOffset(m, this.timeZone) - utcOffset(m + MAX_DST_SHIFT_MS, this.timeZone);
      const again = m + shift;
      if (shift > 0 && again > afterMs && again < best && this.matches(again)) best = again;
    }
    return best;
  }

  /** cron-parser's next occurrence after `afterMs`, skipping the wall-clock times a DST jump moved (robfig skips them). */
  private firstMatch(afterMs: number): number | undefined {
    let it: ReturnType<typeof CronExpressionParser.parse>;
    try {
      it = CronExpressionParser.parse(this.expression, { currentDate: new Date(afterMs), tz: this.timeZone });
    } catch {
      return undefined; // a date no month has (31 February): robfig's zero time
    }
    for (let i = 0; i < 1000; i++) {
      let t: number;
      try {
        t = it.next().getTime();
      } catch {
        return undefined;
      }
      if (t - afterMs > FIVE_YEARS_MS) return undefined;
      if (t > afterMs && this.matches(t)) return t;
    }
    return undefined;
  }

  private matches(ms: number): boolean {
    const w = wallClock(ms, this.timeZone);
    const [min, hour, dom, month, dow] = this.fields as [Field, Field, Field, Field, Field];
    if (!min.values.has(w.minute) || !hour.values.has(w.hour) || !month.values.has(w.month)) return false;
    const d = dom.values.has(w.day);
    const wd = dow.values.has(w.weekday);
    return dom.star || dow.star ? d && wd : d || wd;
  }
}

/** `@every <duration>`: fixed steps from the last run, at least a second, whole seconds. */
class EverySchedule implements CronSchedule {
  constructor(private readonly delayMs: number) {}

  next(afterMs: number): number {
    return afterMs - (((afterMs % 1000) + 1000) % 1000) + this.delayMs;
  }
}

/**
 * robfig/cron's ParseStandard in `timeZone` (default UTC, the local time of a
 * controller-manager container). A `TZ=`/`CRON_TZ=` prefix names the zone instead, as
 * robfig allows (Kubernetes validation refuses it in new CronJobs). Throws CronScheduleError.
 */
export function parseCronSchedule(spec: string, timeZone = 'UTC'): CronSchedule {
  let zone = !timeZone || timeZone === 'Local' ? 'UTC' : timeZone;
  if (spec.length === 0) throw new CronScheduleError('empty spec string');
  if (spec.startsWith('TZ=') || spec.startsWith('CRON_TZ=')) {
    const space = spec.indexOf(' ');
    const name = spec.slice(spec.indexOf('=') + 1, space < 0 ? undefined : space);
    if (!isKnownTimeZone(name)) throw new CronScheduleError(`provided bad location ${name}: unknown time zone ${name}`);
    zone = !name || name === 'Local' ? 'UTC' : name;
    spec = space < 0 ? '' : spec.slice(space).trim();
  }
  if (spec.startsWith('@')) {
    if (spec.startsWith('@every ')) {
      let ms: number;
      try {
        ms = parseGoDuration(spec.slice('@every '.length));
      } catch (e) {
        throw new CronScheduleError(`failed to parse duration ${spec}: ${(e as Error).message}`);
      }
      return new EverySchedule(Math.max(1000, Math.trunc(ms / 1000) * 1000));
    }
    const expr = DESCRIPTORS[spec];
    if (!expr) throw new CronScheduleError(`unrecognized descriptor: ${spec}`);
    spec = expr;
  }
  const parts = spec.split(/\s+/).filter((p) => p.length > 0);
  if (parts.length !== 5) throw new CronScheduleError(`expected exactly 5 fields, found ${parts.length}: [${parts.join(' ')}]`);
  return new FieldsSchedule(
    parts.map((p, i) => parseField(p, FIELDS[i]!)),
    zone,
  );
}
