import { describe, expect, it } from 'vitest';
import { prefixEnd, resolveKeyRange, toBuffer } from './bytes.ts';

const hex = (b: Buffer | undefined) => b?.toString('hex');

describe('prefixEnd', () => {
  it('increments the last byte', () => {
    expect(prefixEnd('/registry/pods/').toString()).toBe('/registry/pods0');
    expect(prefixEnd('a').toString()).toBe('b');
  });

  it('drops trailing 0xff bytes and increments the one before', () => {
    expect(hex(prefixEnd(Buffer.from([0x61, 0xff, 0xff])))).toBe('62');
    expect(hex(prefixEnd(Buffer.from([0x01, 0xfe, 0xff])))).toBe('01ff');
  });

  it('is "\\0" (no upper bound) for an empty or all-0xff prefix', () => {
    expect(hex(prefixEnd(''))).toBe('00');
    expect(hex(prefixEnd(Buffer.from([0xff, 0xff])))).toBe('00');
  });

  it('does not modify its input', () => {
    const k = Buffer.from('ab');
    prefixEnd(k);
    expect(k.toString()).toBe('ab');
  });
});

describe('resolveKeyRange', () => {
  it('passes a single key through', () => {
    expect(resolveKeyRange('k')).toEqual({ key: Buffer.from('k') });
  });

  it('turns prefix into [key, prefixEnd)', () => {
    const r = resolveKeyRange('ab', { prefix: true });
    expect([r.key.toString(), r.rangeEnd?.toString()]).toEqual(['ab', 'ac']);
  });

  it('covers every key for a prefix on the empty key', () => {
    const r = resolveKeyRange('', { prefix: true });
    expect([hex(r.key), hex(r.rangeEnd)]).toEqual(['00', '00']);
  });

  it('uses "\\0" as the end for fromKey', () => {
    const r = resolveKeyRange('m', { fromKey: true });
    expect([r.key.toString(), hex(r.rangeEnd)]).toEqual(['m', '00']);
  });

  it('refuses conflicting options', () => {
    expect(() => resolveKeyRange('a', { prefix: true, rangeEnd: 'b' })).toThrow(TypeError);
  });
});

describe('toBuffer', () => {
  it('encodes strings as UTF-8 and views Uint8Arrays without copying', () => {
    expect(hex(toBuffer('é'))).toBe('c3a9');
    const u = new Uint8Array([1, 2, 3]);
    const b = toBuffer(u.subarray(1));
    expect(hex(b)).toBe('0203');
    u[2] = 9;
    expect(hex(b)).toBe('0209');
  });
});
