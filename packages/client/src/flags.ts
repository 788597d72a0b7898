/**
 * `@minik8s/client/flags`: the flag values every component's command line takes, parsed
 * one way, with errors that name the flag (`--port: "eighty" is not a port`).
 */

/** `15s`, `5m`, `1h`, `500ms` or plain seconds → milliseconds. */
export function parseDuration(flag: string, v: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(v.trim());
  if (!m) throw new Error(`--${flag}: "${v}" is not a duration (10s, 500ms, 1m)`);
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[(m[2] ?? 's') as 'ms' | 's' | 'm' | 'h'];
  return Math.round(Number(m[1]) * unit);
}

/** true/false (also 1/0, yes/no; an empty value, from `--flag` alone, is true). */
export function parseBool(flag: string, v: string): boolean {
  if (v === '' || /^(true|1|yes)$/i.test(v)) return true;
  if (/^(false|0|no)$/i.test(v)) return false;
  throw new Error(`--${flag}: "${v}" is not a boolean`);
}

/** A whole number from `min` to `max`. */
export function parseInteger(flag: string, v: string, min = 0, max = Number.MAX_SAFE_INTEGER): number {
  const n = Number(v);
  if (!/^-?\d+$/.test(v.trim()) || n < min || n > max) throw new Error(`--${flag}: "${v}" is not a number from ${min} to ${max}`);
  return n;
}

/** A TCP or UDP port (0: any free one). */
export function parsePort(flag: string, v: string): number {
  const n = Number(v);
  if (!/^\d+$/.test(v.trim()) || n > 65535) throw new Error(`--${flag}: "${v}" is not a port`);
  return n;
}
