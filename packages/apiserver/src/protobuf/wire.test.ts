import { describe, expect, it } from 'vitest';
import { Reader, WireError, Writer } from './wire.ts';

const varint = (v: number) => new Writer().varint(v).finish();

describe('varints', () => {
  it('round-trips unsigned, negative and 64-bit values', () => {
    for (const v of [0, 1, 127, 128, 300, 2 ** 31 - 1, 2 ** 32, 2 ** 53 - 1]) expect(new Reader(varint(v)).int64()).toBe(v);
    for (const v of [-1, -5, -(2 ** 31), -(2 ** 40)]) {
      expect(varint(v)).toHaveLength(10); // two's complement, as Go writes int32/int64
      expect(new Reader(varint(v)).int64()).toBe(v);
    }
    expect(new Reader(varint(-7)).int32()).toBe(-7);
    expect(Array.from(varint(300))).toEqual([0xac, 0x02]);
  });

  it('fails on truncated or overlong input', () => {
    expect(() => new Reader(Uint8Array.of(0x80, 0x80)).uint()).toThrow(WireError);
    expect(() => new Reader(new Uint8Array(11).fill(0x80)).uint()).toThrow('varint longer than 10 bytes');
    expect(() => new Reader(Uint8Array.of(0x0a, 0x05, 0x61)).bytes()).toThrow(WireError);
  });
});

describe('records', () => {
  it('reads tags and skips values of every wire type', () => {
    const w = new Writer().string(1, 'héllo').int(2, 5).tag(3, 1).raw(new Uint8Array(8)).tag(4, 5).raw(new Uint8Array(4)).bool(5, true);
    const r = new Reader(w.finish());
    expect(r.tag()).toEqual({ field: 1, wire: 2 });
    expect(r.string()).toBe('héllo');
    const seen: number[] = [];
    while (!r.done()) {
      const { field, wire } = r.tag();
      seen.push(field);
      r.skip(wire);
    }
    expect(seen).toEqual([2, 3, 4, 5]);
    expect(() => new Reader(Uint8Array.of(0x00)).tag()).toThrow('field number 0');
    expect(() => new Reader(Uint8Array.of(0x0b)).skip(3)).toThrow('unsupported wire type 3');
  });
});
