/**
 * Resource quantities as upstream writes them (`500m`, `2`, `128Mi`, `1G`, `1e3`):
 * parsed to an exact count of milli-units, so CPU and memory compare and add without
 * floating-point drift. Upstream's grammar: a signed decimal number, then a binary
 * suffix (Ki Mi Gi Ti Pi Ei), a decimal suffix (n u m "" k M G T P E) or an exponent.
 */

const BINARY: Record<string, bigint> = { Ki: 2n ** 10n, Mi: 2n ** 20n, Gi: 2n ** 30n, Ti: 2n ** 40n, Pi: 2n ** 50n, Ei: 2n ** 60n };
const DECIMAL: Record<string, number> = { n: -9, u: -6, m: -3, '': 0, k: 3, M: 6, G: 9, T: 12, P: 15, E: 18 };
const QUANTITY = /^([+-]?)(\d+(?:\.\d*)?|\.\d+)(Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE]|[eE][+-]?\d+)?$/;

export class QuantityError extends Error {
  constructor(readonly value: string) {
    super(`quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'`);
    this.name = 'QuantityError';
  }
}

/** True if `value` is a well-formed quantity. */
export function isQuantity(value: unknown): boolean {
  return (typeof value === 'string' && QUANTITY.test(value.trim())) || (typeof value === 'number' && Number.isFinite(value));
}

/**
 * The quantity in milli-units, rounded up as upstream rounds fractions of the smallest
 * unit (`0.1m` is 1m): `parseMilli('500m')` is 500n, `parseMilli('1Ki')` is 1,024,000n.
 */
export function parseMilli(value: string | number): bigint {
  const text = typeof value === 'number' ? String(value) : value.trim();
  const m = QUANTITY.exec(text);
  if (!m) throw new QuantityError(String(value));
  const [, sign, num, suffix = ''] = m as unknown as [string, string, string, string | undefined];
  const [int = '0', frac = ''] = num.split('.');
  // The number as an integer `digits` times 10^-frac.length.
  let digits = BigInt(int + frac || '0');
  let exp10 = -frac.length + 3; // milli
  let mult = 1n;
  if (suffix in BINARY) mult = BINARY[suffix] as bigint;
  else if (suffix in DECIMAL) exp10 += DECIMAL[suffix] as number;
  else exp10 += Number(suffix.slice(1));
  digits *= mult;
  let out: bigint;
  if (exp10 >= 0) out = digits * 10n ** BigInt(exp10);
  else {
    const div = 10n ** BigInt(-exp10);
    out = digits / div + (digits % div === 0n ? 0n : 1n);
  }
  return sign === '-' ? -out : out;
}

/** Whole units, rounded up (memory in bytes, `2.5` CPUs is 3). */
export function parseUnits(value: string | number): bigint {
  const milli = parseMilli(value);
  return milli >= 0n ? (milli + 999n) / 1000n : milli / 1000n;
}

/** Milli-CPU as a plain number (`"1.5"` is 1500). */
export function milliCpu(value: string | number | undefined): number {
  return value === undefined ? 0 : Number(parseMilli(value));
}

/** Bytes as a plain number (`"128Mi"` is 134217728). */
export function bytes(value: string | number | undefined): number {
  return value === undefined ? 0 : Number(parseUnits(value));
}

/** Milli-units written as upstream prints CPU: `250m`, `2`. */
export function formatMilli(milli: bigint | number): string {
  const m = BigInt(milli);
  return m % 1000n === 0n ? String(m / 1000n) : `${m}m`;
}

/** Bytes written with the largest exact binary suffix, as upstream canonicalises: `128Mi`, `1000`. */
export function formatBytes(value: bigint | number): string {
  let v = BigInt(value);
  if (v === 0n) return '0';
  for (const s of ['', 'Ki', 'Mi', 'Gi', 'Ti']) {
    if (v % 1024n !== 0n) return `${v}${s}`;
    v /= 1024n;
  }
  return `${v}Pi`;
}
