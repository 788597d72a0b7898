import type { Bytes, KeyRangeOptions } from './types.ts';

/** `'\0'`: as a range end it means "every key >= key"; as a key with that end, "every key". */
export const NUL = Buffer.from([0]);

/** A string as UTF-8, or a view of the same bytes (no copy) for a Uint8Array. */
export function toBuffer(b: Bytes): Buffer {
  if (typeof b === 'string') return Buffer.from(b, 'utf8');
  if (Buffer.isBuffer(b)) return b;
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength);
}

/**
 * The range end that selects every key starting with `prefix` (etcd's "prefix end"):
 * increment the last byte that is not 0xff and drop what follows it. When no such byte
 * exists (empty or all-0xff prefix) the answer is `'\0'`, which as a range end means
 * "no upper bound".
 */
export function prefixEnd(prefix: Bytes): Buffer {
  const b = Buffer.from(toBuffer(prefix)); // copy: we modify it
  for (let i = b.length - 1; i >= 0; i--) {
    const byte = b[i]!;
    if (byte < 0xff) {
      b[i] = byte + 1;
      return b.subarray(0, i + 1);
    }
  }
  return Buffer.from(NUL);
}

/**
 * Resolves `{ prefix | fromKey | rangeEnd }` into the wire pair (key, range_end), with
 * clientv3's rule that a prefix range over the empty key covers every key (`'\0'`, `'\0'`).
 */
export function resolveKeyRange(key: Bytes, opts: KeyRangeOptions = {}): { key: Buffer; rangeEnd?: Buffer } {
  const k = toBuffer(key);
  const given = [opts.prefix, opts.fromKey, opts.rangeEnd !== undefined].filter(Boolean).length;
  if (given > 1) throw new TypeError('at most one of prefix, fromKey and rangeEnd may be given');
  if (opts.prefix) {
    if (k.length === 0) return { key: Buffer.from(NUL), rangeEnd: Buffer.from(NUL) };
    return { key: k, rangeEnd: prefixEnd(k) };
  }
  if (opts.fromKey) {
    return { key: k.length === 0 ? Buffer.from(NUL) : k, rangeEnd: Buffer.from(NUL) };
  }
  if (opts.rangeEnd !== undefined) return { key: k, rangeEnd: toBuffer(opts.rangeEnd) };
  return { key: k };
}
