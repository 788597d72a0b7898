import { describe, expect, it } from 'vitest';
import {
  decodeDelete,
  decodeKeyValue,
  decodeLeaseTimeToLive,
  decodeRange,
  decodeTxn,
  decodeWatch,
  encodeCompare,
  encodeDelete,
  encodePut,
  encodeRange,
  encodeTxn,
  encodeWatchCreate,
  int,
  intString,
} from './codec.ts';

const b64 = (s: string) => Buffer.from(s).toString('base64');

describe('request encoding', () => {
  it('encodes a range with base64 keys, int64 strings and enum names, omitting defaults', () => {
    expect(encodeRange('a', { rangeEnd: 'c', limit: 2, revision: 7, sortOrder: 'DESCEND', sortTarget: 'MOD', keysOnly: true })).toEqual({
      key: b64('a'),
      range_end: b64('c'),
      limit: '2',
      revision: '7',
      sort_order: 'DESCEND',
      sort_target: 'MOD',
      keys_only: true,
    });
    expect(encodeRange('a', { limit: 0, revision: 0, sortOrder: 'NONE', sortTarget: 'KEY', countOnly: false })).toEqual({
      key: b64('a'),
    });
    expect(encodeRange('a', { minModRevision: 3, maxModRevision: 9, minCreateRevision: 1, maxCreateRevision: 2 })).toEqual({
      key: b64('a'),
      min_mod_revision: '3',
      max_mod_revision: '9',
      min_create_revision: '1',
      max_create_revision: '2',
    });
  });

  it('encodes prefix ranges through the prefix-end rule', () => {
    expect(encodeRange('/r/', { prefix: true })).toEqual({ key: b64('/r/'), range_end: b64('/r0') });
    expect(encodeDelete('', { prefix: true, prevKv: true })).toEqual({ key: 'AA==', range_end: 'AA==', prev_kv: true });
  });

  it('encodes puts, with lease IDs as exact decimal strings', () => {
    expect(encodePut('k', new Uint8Array([0, 255]), { lease: '7587869021340000001', prevKv: true })).toEqual({
      key: b64('k'),
      value: 'AP8=',
      lease: '7587869021340000001',
      prev_kv: true,
    });
    expect(encodePut('k', '', { ignoreValue: true, ignoreLease: true })).toEqual({
      key: b64('k'),
      ignore_value: true,
      ignore_lease: true,
    });
    expect(encodePut('k', 'v', { lease: 12n })).toMatchObject({ lease: '12' });
    expect(() => encodePut('k', 'v', { lease: 1.5 })).toThrow(TypeError);
  });

  it('encodes every compare target', () => {
    expect(encodeCompare({ key: 'k', target: 'VERSION', result: 'EQUAL', version: 0 })).toEqual({
      key: b64('k'),
      target: 'VERSION',
      result: 'EQUAL',
    });
    expect(encodeCompare({ key: 'k', target: 'CREATE', result: 'GREATER', createRevision: 4 })).toMatchObject({ create_revision: '4' });
    expect(encodeCompare({ key: 'k', target: 'MOD', result: 'LESS', modRevision: 5 })).toMatchObject({ mod_revision: '5' });
    expect(encodeCompare({ key: 'k', target: 'VALUE', result: 'NOT_EQUAL', value: 'v' })).toMatchObject({ value: b64('v') });
    expect(encodeCompare({ key: 'k', rangeEnd: 'l', target: 'LEASE', result: 'EQUAL', lease: '9' })).toEqual({
      key: b64('k'),
      range_end: b64('l'),
      target: 'LEASE',
      result: 'EQUAL',
      lease: '9',
    });
  });

  it('encodes txn ops, including nested txns', () => {
    expect(
      encodeTxn({
        compare: [{ key: 'a', target: 'MOD', result: 'EQUAL', modRevision: 3 }],
        success: [
          { type: 'put', key: 'a', value: '1' },
          { type: 'txn', success: [{ type: 'range', key: 'b', prefix: true }] },
        ],
        failure: [{ type: 'delete', key: 'a' }],
      }),
    ).toEqual({
      compare: [{ key: b64('a'), target: 'MOD', result: 'EQUAL', mod_revision: '3' }],
      success: [{ request_put: { key: b64('a'), value: b64('1') } }, { request_txn: { success: [{ request_range: { key: b64('b'), range_end: b64('c') } }] } }],
      failure: [{ request_delete_range: { key: b64('a') } }],
    });
    expect(encodeTxn({})).toEqual({});
  });

  it('encodes a watch create request', () => {
    expect(encodeWatchCreate('p/', { prefix: true, startRevision: 10, prevKv: true, filters: ['NODELETE'] })).toEqual({
      create_request: { key: b64('p/'), range_end: b64('p0'), start_revision: '10', prev_kv: true, filters: ['NODELETE'] },
    });
  });
});

describe('response decoding', () => {
  it('reads int64 strings and numbers, absent as zero', () => {
    expect(int('12')).toBe(12);
    expect(int(12)).toBe(12);
    expect(int(undefined)).toBe(0);
    expect(() => int('x')).toThrow(TypeError);
    expect(intString(undefined)).toBe('0');
    expect(intString(5)).toBe('5');
    expect(intString('7587869021340000001')).toBe('7587869021340000001');
  });

  it('decodes a KeyValue with omitted zero fields', () => {
    const kv = decodeKeyValue({ key: b64('k'), mod_revision: '8' });
    expect(kv.key.toString()).toBe('k');
    expect(kv.value.length).toBe(0);
    expect([kv.createRevision, kv.modRevision, kv.version, kv.lease]).toEqual([0, 8, 0, '0']);
  });

  it('decodes a range response; more and count absent mean false and 0', () => {
    const r = decodeRange({ header: { cluster_id: '15118495548433857066', revision: '2', raft_term: 2 } });
    expect(r).toEqual({
      header: { clusterId: '15118495548433857066', memberId: '', revision: 2, raftTerm: 2 },
      kvs: [],
      more: false,
      count: 0,
    });
    const r2 = decodeRange({
      header: { revision: 3 },
      kvs: [{ key: b64('a'), create_revision: 2, mod_revision: 3, version: 2, value: b64('x'), lease: '77' }],
      more: true,
      count: '5',
    });
    expect([r2.more, r2.count, r2.kvs[0]?.lease, r2.kvs[0]?.value.toString()]).toEqual([true, 5, '77', 'x']);
  });

  it('decodes deletes and txns with typed sub-responses', () => {
    expect(decodeDelete({ header: { revision: '4' } })).toMatchObject({ deleted: 0, prevKvs: [] });
    const t = decodeTxn({
      header: { revision: '3' },
      responses: [
        { response_range: { header: { revision: '2' }, kvs: [{ key: b64('f') }], count: '1' } },
        { response_put: { header: { revision: '3' } } },
        { response_delete_range: { header: { revision: '3' }, deleted: '1' } },
        { response_txn: { header: {}, succeeded: true } },
      ],
    });
    expect(t.succeeded).toBe(false);
    expect(t.responses.map((r) => r.type)).toEqual(['range', 'put', 'delete', 'txn']);
    const [range, , del, nested] = t.responses;
    expect(range?.type === 'range' && range.count).toBe(1);
    expect(del?.type === 'delete' && del.deleted).toBe(1);
    expect(nested?.type === 'txn' && nested.succeeded).toBe(true);
  });

  it('decodes watch responses: PUT is the absent type, DELETE is named', () => {
    const w = decodeWatch({
      header: { revision: '8' },
      events: [
        { kv: { key: b64('a'), create_revision: '6', mod_revision: '7', version: '2', value: b64('2') } },
        { type: 'DELETE', kv: { key: b64('a'), mod_revision: '8' }, prev_kv: { key: b64('a'), version: '2' } },
      ],
    });
    expect([w.watchId, w.created, w.canceled, w.compactRevision]).toEqual([0, false, false, 0]);
    expect(w.events.map((e) => e.type)).toEqual(['PUT', 'DELETE']);
    expect(w.events[0]?.prevKv).toBeUndefined();
    expect(w.events[1]?.prevKv?.version).toBe(2);
    const c = decodeWatch({ header: { cluster_id: '1' }, canceled: true, compact_revision: '3' });
    expect([c.canceled, c.compactRevision, c.header.revision]).toEqual([true, 3, 0]);
    expect(decodeWatch({ header: {}, watch_id: '-1' }).watchId).toBe(-1);
  });

  it('decodes lease time-to-live', () => {
    const r = decodeLeaseTimeToLive({ header: {}, ID: '4111120169581763612', TTL: '4', grantedTTL: '5', keys: [b64('l1')] });
    expect([r.id, r.ttl, r.grantedTtl, r.keys.map(String)]).toEqual(['4111120169581763612', 4, 5, ['l1']]);
    expect(decodeLeaseTimeToLive({ ID: '77', TTL: '-1' }).ttl).toBe(-1);
  });
});
