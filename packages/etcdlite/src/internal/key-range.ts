/**
 * Keys are byte strings. In memory they are kept as latin1 strings (one char per byte),
 * whose ordinary `<` comparison is byte order, so they can key a B-tree directly.
 */
export type BinKey = string;

export const toBin = (b: Buffer): BinKey => b.toString('latin1');
export const fromBin = (k: BinKey): Buffer => Buffer.from(k, 'latin1');

/** A half-open key interval [start, end); end undefined means unbounded. */
export interface KeyInterval {
  start: BinKey;
  /** undefined: unbounded above. null: the single key `start`. */
  end: BinKey | undefined | null;
}

/** etcd's range rules: empty range_end = one key, range_end "\0" = every key >= key. */
export function interval(key: Buffer, rangeEnd?: Buffer): KeyInterval {
  if (!rangeEnd || rangeEnd.length === 0) return { start: toBin(key), end: null };
  if (rangeEnd.length === 1 && rangeEnd[0] === 0) return { start: toBin(key), end: undefined };
  return { start: toBin(key), end: toBin(rangeEnd) };
}

export function contains(iv: KeyInterval, k: BinKey): boolean {
  if (iv.end === null) return k === iv.start;
  return k >= iv.start && (iv.end === undefined || k < iv.end);
}

export function overlaps(a: KeyInterval, b: KeyInterval): boolean {
  const aEnd = a.end === null ? a.start + '\0' : a.end;
  const bEnd = b.end === null ? b.start + '\0' : b.end;
  const aBeforeB = aEnd !== undefined && aEnd <= b.start;
  const bBeforeA = bEnd !== undefined && bEnd <= a.start;
  return !aBeforeB && !bBeforeA;
}
