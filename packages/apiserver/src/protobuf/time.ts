/**
 * The JSON forms of meta/v1 Time (RFC 3339, whole seconds), MicroTime (RFC 3339 with six
 * fractional digits) and Duration (Go's time.Duration string, e.g. "1h0m30s", "1.5s").
 */

function isoSeconds(seconds: number): string {
  const d = new Date(seconds * 1000);
  if (Number.isNaN(d.getTime())) throw new RangeError(`time ${seconds}s is out of range`);
  return d.toISOString().slice(0, -5);
}

/** Time → "2006-01-02T15:04:05Z" (JSON drops the nanoseconds, as Kubernetes does). */
export function formatTime(seconds: number): string {
  return `${isoSeconds(seconds)}Z`;
}

/** MicroTime → "2006-01-02T15:04:05.000000Z". */
export function formatMicroTime(seconds: number, nanos: number): string {
  return `${isoSeconds(seconds)}.${String(Math.floor(nanos / 1000)).padStart(6, '0')}Z`;
}

/** RFC 3339 (any offset, optional fraction) → Unix seconds and nanoseconds. */
export function parseTime(s: string): { seconds: number; nanos: number } {
  const m = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:\d{2})$/i.exec(s);
  const ms = m ? Date.parse(`${m[1]}${m[3]!.toUpperCase()}`) : Number.NaN;
  if (!m || Number.isNaN(ms)) throw new Error(`"${s}" is not an RFC 3339 time`);
  return { seconds: ms / 1000, nanos: Number((m[2] ?? '').padEnd(9, '0')) };
}

const NS = { h: 3_600_000_000_000, m: 60_000_000_000, s: 1_000_000_000, ms: 1_000_000, us: 1_000, ns: 1 } as const;

/** `value / unit` with the remainder as a decimal fraction without trailing zeros. */
function fraction(value: number, unit: number): string {
  const whole = Math.floor(value / unit);
  const rest = value - whole * unit;
  if (rest === 0) return String(whole);
  const digits = String(unit).length - 1;
  return `${whole}.${String(rest).padStart(digits, '0').replace(/0+$/, '')}`;
}

/** Nanoseconds → Go's Duration.String(). */
export function formatGoDuration(ns: number): string {
  if (ns === 0) return '0s';
  const sign = ns < 0 ? '-' : '';
  let u = Math.abs(ns);
  if (u < NS.us) return `${sign}${u}ns`;
  if (u < NS.ms) return `${sign}${fraction(u, NS.us)}µs`;
  if (u < NS.s) return `${sign}${fraction(u, NS.ms)}ms`;
  const h = Math.floor(u / NS.h);
  u -= h * NS.h;
  const m = Math.floor(u / NS.m);
  u -= m * NS.m;
  return `${sign}${h ? `${h}h${m}m` : m ? `${m}m` : ''}${fraction(u, NS.s)}s`;
}

/** Go's time.ParseDuration: "300ms", "-1.5h", "2h45m". */
export function parseGoDuration(s: string): number {
  if (s === '0') return 0;
  const m = /^([+-])?((?:\d+(?:\.\d*)?|\.\d+)(?:h|m|s|ms|us|µs|μs|ns))+$/.exec(s);
  if (!m) throw new Error(`"${s}" is not a duration`);
  let total = 0;
  for (const part of s.matchAll(/(\d+(?:\.\d*)?|\.\d+)(h|ms|m|s|us|µs|μs|ns)/g)) {
    const unit = part[2] === 'µs' || part[2] === 'μs' ? 'us' : (part[2] as keyof typeof NS);
    total += Math.round(Number(part[1]) * NS[unit]);
  }
  return m[1] === '-' ? -total : total;
}
