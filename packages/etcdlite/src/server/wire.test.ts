import { describe, expect, it } from 'vitest';
import { bytesIn, idIn, kvOut, rangeOut } from './wire.ts';

describe('wire', () => {
  it('reads base64 as Go does and names the first bad byte', () => {
    expect(bytesIn('Zm9v').toString()).toBe('foo');
    expect(bytesIn('Zm9vYg==').toString()).toBe('foob');
    expect(bytesIn('_-8=')).toEqual(Buffer.from([0xff, 0xef]));
    expect(() => bytesIn('Zm9v!')).toThrow('illegal base64 data at input byte 4');
    expect(() => bytesIn('Zm=v')).toThrow('illegal base64 data at input byte 2');
    expect(() => bytesIn('Zm9')).toThrow('illegal base64 data at input byte 3');
  });

  it('keeps int64 lease IDs exact', () => {
    expect(idIn('9223372036854775807')).toBe(2n ** 63n - 1n);
    expect(() => idIn('9223372036854775808')).toThrow(/out of range/);
  });

  it('leaves zero values out, as the etcd gateway does', () => {
    const tomb = { key: Buffer.from('k'), value: Buffer.alloc(0), createRevision: 0, modRevision: 7, version: 0, lease: 0n };
    expect(JSON.parse(kvOut(tomb))).toEqual({ key: 'aw==', mod_revision: '7' });
    expect(JSON.parse(rangeOut('{}', { revision: 1, kvs: [], more: false, count: 0 }).toString())).toEqual({ header: {} });
  });
});
