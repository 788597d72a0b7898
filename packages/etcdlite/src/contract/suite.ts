/**
 * The store contract: one suite of cases, run against a real etcd (the reference, in
 * contract.etcd.test.ts) and against etcdlite (contract.test.ts), through the same client
 * the API server uses. Every case asserts
 * exact observable results: revisions, versions, counts, flags, error codes and messages.
 *
 * Each group below gets a fresh, empty server. Behaviours where etcdlite deliberately
 * differs from etcd (strict request validation) are tested in etcdlite's own suite.
 */
import type { Compare, EtcdClient, SortOrder, SortTarget } from '@minik8s/client/etcd';
import { eventually } from '@minik8s/testing';
import { beforeAll, describe, expect, it } from 'vitest';
import { currentRevision, eventLine, expectEtcdError, keysOf, plain, plainEvent, useStore, WatchReader } from './helpers.ts';
import type { StoreTarget } from './targets.ts';

const COMPACTED = { code: 11, httpStatus: 400, message: 'etcdserver: mvcc: required revision has been compacted' };
const FUTURE = { code: 11, httpStatus: 400, message: 'etcdserver: mvcc: required revision is a future revision' };
const LEASE_NOT_FOUND = { code: 5, httpStatus: 404, message: 'etcdserver: requested lease not found' };
const KEY_NOT_FOUND = { code: 3, httpStatus: 400, message: 'etcdserver: key not found' };
const EMPTY_KEY = { code: 3, httpStatus: 400, message: 'etcdserver: key is not provided' };
const DUPLICATE_KEY = { code: 3, httpStatus: 400, message: 'etcdserver: duplicate key given in txn request' };

/** Registers every case for one store, in a describe block named after it. */
export function describeStoreContract(target: StoreTarget): void {
  describe(`store contract: ${target.name}`, () => cases(target));
}

function cases(target: StoreTarget): void {
  describe('put and get', () => {
    const s = useStore(target);

    it('bumps the revision by one per put and tracks create/mod revision and version', async () => {
      const c = s.client;
      const r0 = await currentRevision(c);
      expect((await c.put('pg/a', 'v1')).header.revision).toBe(r0 + 1);
      expect(plain(await c.get('pg/a'))).toEqual({
        key: 'pg/a',
        value: 'v1',
        createRevision: r0 + 1,
        modRevision: r0 + 1,
        version: 1,
        lease: '0',
      });
      expect((await c.put('pg/a', 'v2')).header.revision).toBe(r0 + 2);
      expect(plain(await c.get('pg/a'))).toEqual({
        key: 'pg/a',
        value: 'v2',
        createRevision: r0 + 1,
        modRevision: r0 + 2,
        version: 2,
        lease: '0',
      });
      expect((await c.put('pg/b', 'x')).header.revision).toBe(r0 + 3);
      const r = await c.range('pg/a');
      expect([r.header.revision, r.count, r.more]).toEqual([r0 + 3, 1, false]);
    });

    it('returns prev_kv on put only when asked, and none for a new key', async () => {
      const c = s.client;
      const p1 = await c.put('pg/prev', 'one', { prevKv: true });
      expect(p1.prevKv).toBeUndefined();
      const p2 = await c.put('pg/prev', 'two');
      expect(p2.prevKv).toBeUndefined();
      const p3 = await c.put('pg/prev', 'three', { prevKv: true });
      expect(plain(p3.prevKv)).toEqual({
        key: 'pg/prev',
        value: 'two',
        createRevision: p1.header.revision,
        modRevision: p2.header.revision,
        version: 2,
        lease: '0',
      });
    });

    it('stores binary keys and empty values exactly', async () => {
      const c = s.client;
      const key = Buffer.from([0x70, 0x67, 0x2f, 0x00, 0xff, 0x80, 0x0a]);
      const value = Buffer.from([0x00, 0x01, 0xfe, 0xff, 0xc3]);
      await c.put(key, value);
      const kv = await c.get(key);
      expect(kv?.key.equals(key)).toBe(true);
      expect(kv?.value.equals(value)).toBe(true);
      const e = await c.put(key, '');
      const empty = await c.get(key);
      expect([empty?.value.length, empty?.version, empty?.modRevision]).toEqual([0, 2, e.header.revision]);
    });

    it('ignore_value keeps the value, ignore_lease keeps the lease; a plain put drops the lease', async () => {
      const c = s.client;
      const lease = await c.leaseGrant(60);
      const first = await c.put('pg/ign', 'kept', { lease: lease.id });
      const r1 = await c.put('pg/ign', '', { ignoreValue: true, ignoreLease: true, prevKv: true });
      expect(r1.header.revision).toBe(first.header.revision + 1);
      expect(plain(r1.prevKv)?.value).toBe('kept');
      expect(plain(await c.get('pg/ign'))).toEqual({
        key: 'pg/ign',
        value: 'kept',
        createRevision: first.header.revision,
        modRevision: r1.header.revision,
        version: 2,
        lease: lease.id,
      });
      await c.put('pg/ign', 'new', { ignoreLease: true });
      expect(plain(await c.get('pg/ign'))).toMatchObject({ value: 'new', version: 3, lease: lease.id });
      await c.put('pg/ign', '', { ignoreValue: true });
      expect(plain(await c.get('pg/ign'))).toMatchObject({ value: 'new', version: 4, lease: '0' });
      expect((await c.leaseTimeToLive(lease.id, { keys: true })).keys).toEqual([]);
      await c.leaseRevoke(lease.id);
    });

    it('rejects ignore_value / ignore_lease on a missing key without writing', async () => {
      const c = s.client;
      const r0 = await currentRevision(c);
      await expectEtcdError(c.put('pg/missing', '', { ignoreValue: true }), KEY_NOT_FOUND);
      await expectEtcdError(c.put('pg/missing', 'v', { ignoreLease: true }), KEY_NOT_FOUND);
      expect(await currentRevision(c)).toBe(r0);
      expect(await c.get('pg/missing')).toBeUndefined();
    });

    it('rejects ignore_value with a value and ignore_lease with a lease', async () => {
      const c = s.client;
      await c.put('pg/ign2', 'v');
      await expectEtcdError(c.put('pg/ign2', 'x', { ignoreValue: true }), {
        code: 3,
        httpStatus: 400,
        message: 'etcdserver: value is provided',
      });
      await expectEtcdError(c.put('pg/ign2', 'x', { ignoreLease: true, lease: '12345' }), {
        code: 3,
        httpStatus: 400,
        message: 'etcdserver: lease is provided',
      });
    });

    it('rejects an empty key on put, range and delete', async () => {
      const c = s.client;
      const r0 = await currentRevision(c);
      await expectEtcdError(c.put('', 'v'), EMPTY_KEY);
      await expectEtcdError(c.range(''), EMPTY_KEY);
      await expectEtcdError(c.delete(''), EMPTY_KEY);
      expect(await currentRevision(c)).toBe(r0);
    });
  });

  describe('range', () => {
    const s = useStore(target);
    /** Revisions of the writes, by key: create and last mod. */
    const created: Record<string, number> = {};
    const modified: Record<string, number> = {};
    // Five keys whose key, create, mod, version and value orders all differ:
    //   key:     a b c d e          value:   e d c b a ('1'..'5')
    //   create:  c a e b d          version: b(1) d(2) a(3) e(4) c(5)
    //   mod:     b c a e d
    const values: Record<string, string> = { 'r/a': '5', 'r/b': '4', 'r/c': '3', 'r/d': '2', 'r/e': '1' };
    const seed = async (c: EtcdClient) => {
      const put = async (k: string) => {
        const r = await c.put(k, values[k] ?? 'x');
        created[k] ??= r.header.revision;
        modified[k] = r.header.revision;
      };
      await put('q');
      for (const k of ['r/c', 'r/a', 'r/e', 'r/b', 'r/d']) await put(k);
      for (const [k, n] of [
        ['r/c', 4],
        ['r/a', 2],
        ['r/e', 3],
        ['r/d', 1],
      ] as const) {
        for (let i = 0; i < n; i++) await put(k);
      }
      await put('s');
    };

    beforeAll(() => seed(s.client));

    it('has the seeded versions', async () => {
      const r = await s.client.range('r/', { prefix: true });
      expect(r.kvs.map((kv) => [kv.key.toString(), kv.version])).toEqual([
        ['r/a', 3],
        ['r/b', 1],
        ['r/c', 5],
        ['r/d', 2],
        ['r/e', 4],
      ]);
    });

    it('reads a single key, and nothing for a missing key', async () => {
      const c = s.client;
      const r = await c.range('r/b');
      expect(r.kvs.map(plain)).toEqual([{ key: 'r/b', value: '4', createRevision: created['r/b'], modRevision: modified['r/b'], version: 1, lease: '0' }]);
      expect([r.count, r.more, r.header.revision]).toEqual([1, false, modified.s]);
      const none = await c.range('r/zz');
      expect([none.kvs, none.count, none.more, none.header.revision]).toEqual([[], 0, false, modified.s]);
      // A key that only prefixes existing keys is not one of them.
      expect((await c.range('r/')).count).toBe(0);
    });

    it('reads a prefix, a [key, range_end) interval and everything from a key', async () => {
      const c = s.client;
      expect(keysOf((await c.range('r/', { prefix: true })).kvs)).toEqual(['r/a', 'r/b', 'r/c', 'r/d', 'r/e']);
      expect(keysOf((await c.range('r/b', { rangeEnd: 'r/d' })).kvs)).toEqual(['r/b', 'r/c']);
      expect(keysOf((await c.range('r/c', { rangeEnd: '\0' })).kvs)).toEqual(['r/c', 'r/d', 'r/e', 's']);
      expect(keysOf((await c.range('r/c', { fromKey: true })).kvs)).toEqual(['r/c', 'r/d', 'r/e', 's']);
      const all = await c.range('\0', { rangeEnd: '\0' });
      expect(keysOf(all.kvs)).toEqual(['q', 'r/a', 'r/b', 'r/c', 'r/d', 'r/e', 's']);
      expect(all.count).toBe(7);
      expect(keysOf((await c.range('', { prefix: true })).kvs)).toEqual(keysOf(all.kvs));
      // range_end <= key selects nothing
      expect((await c.range('r/d', { rangeEnd: 'r/b' })).count).toBe(0);
    });

    it('limits results, reporting more and the full count', async () => {
      const c = s.client;
      const r = await c.range('r/', { prefix: true, limit: 2 });
      expect([keysOf(r.kvs), r.more, r.count]).toEqual([['r/a', 'r/b'], true, 5]);
      const exact = await c.range('r/', { prefix: true, limit: 5 });
      expect([exact.kvs.length, exact.more, exact.count]).toEqual([5, false, 5]);
      const over = await c.range('r/', { prefix: true, limit: 50 });
      expect([over.kvs.length, over.more, over.count]).toEqual([5, false, 5]);
    });

    it('counts only, or returns keys only', async () => {
      const c = s.client;
      const n = await c.range('r/', { prefix: true, countOnly: true });
      expect([n.kvs, n.count, n.more]).toEqual([[], 5, false]);
      const k = await c.range('r/', { prefix: true, keysOnly: true, limit: 2 });
      expect(k.kvs.map(plain)).toEqual([
        { key: 'r/a', value: '', createRevision: created['r/a'], modRevision: modified['r/a'], version: 3, lease: '0' },
        { key: 'r/b', value: '', createRevision: created['r/b'], modRevision: modified['r/b'], version: 1, lease: '0' },
      ]);
      expect([k.more, k.count]).toEqual([true, 5]);
    });

    const sorts: Array<[SortTarget | undefined, SortOrder | undefined, string]> = [
      ['KEY', 'ASCEND', 'abcde'],
      ['KEY', 'DESCEND', 'edcba'],
      ['VERSION', 'ASCEND', 'bdaec'],
      ['VERSION', 'DESCEND', 'ceadb'],
      ['CREATE', 'ASCEND', 'caebd'],
      ['CREATE', 'DESCEND', 'dbeac'],
      ['MOD', 'ASCEND', 'bcaed'],
      ['MOD', 'DESCEND', 'deacb'],
      ['VALUE', 'ASCEND', 'edcba'],
      ['VALUE', 'DESCEND', 'abcde'],
      // A target other than KEY with order NONE sorts ascending (etcd's rule).
      ['VALUE', 'NONE', 'edcba'],
      ['MOD', undefined, 'bcaed'],
      [undefined, 'DESCEND', 'edcba'],
    ];
    it.each(sorts)('sorts by %s %s', async (sortTarget, sortOrder, order) => {
      const r = await s.client.range('r/', { prefix: true, sortTarget, sortOrder });
      expect(
        keysOf(r.kvs)
          .map((k) => k.slice(2))
          .join(''),
      ).toBe(order);
      expect(r.count).toBe(5);
    });

    it('sorts before limiting', async () => {
      const r = await s.client.range('r/', { prefix: true, sortTarget: 'MOD', sortOrder: 'DESCEND', limit: 2 });
      expect([keysOf(r.kvs), r.more, r.count]).toEqual([['r/d', 'r/e'], true, 5]);
    });

    it('filters by min/max mod and create revision; count stays the size of the range', async () => {
      const c = s.client;
      const keys = async (o: Parameters<EtcdClient['range']>[1]) => {
        const r = await c.range('r/', { prefix: true, ...o });
        expect(r.count).toBe(5); // etcd counts the range before the revision filters
        return keysOf(r.kvs);
      };
      expect(await keys({ minModRevision: modified['r/a'] })).toEqual(['r/a', 'r/d', 'r/e']);
      expect(await keys({ maxModRevision: modified['r/c'] })).toEqual(['r/b', 'r/c']);
      expect(await keys({ minModRevision: modified['r/c'], maxModRevision: modified['r/e'] })).toEqual(['r/a', 'r/c', 'r/e']);
      expect(await keys({ minCreateRevision: created['r/e'] })).toEqual(['r/b', 'r/d', 'r/e']);
      expect(await keys({ maxCreateRevision: created['r/a'] })).toEqual(['r/a', 'r/c']);
      const limited = await c.range('r/', { prefix: true, minModRevision: modified['r/a'], limit: 1 });
      expect([keysOf(limited.kvs), limited.more, limited.count]).toEqual([['r/a'], true, 5]);
    });
  });

  describe('historical reads', () => {
    const s = useStore(target);

    it('reads keys as they were at an older revision', async () => {
      const c = s.client;
      const before = await currentRevision(c);
      const v1 = (await c.put('h/k', 'v1')).header.revision;
      const v2 = (await c.put('h/k', 'v2')).header.revision;
      const other = (await c.put('h/other', 'o')).header.revision;
      const del = (await c.delete('h/k')).header.revision;
      const now = await currentRevision(c);
      expect(now).toBe(del);

      const at = async (rev: number) => {
        const r = await c.range('h/k', { revision: rev });
        expect(r.header.revision).toBe(now); // the header is the current revision, not the one read
        return plain(r.kvs[0]);
      };
      expect(await at(before)).toBeUndefined();
      expect(await at(v1)).toEqual({ key: 'h/k', value: 'v1', createRevision: v1, modRevision: v1, version: 1, lease: '0' });
      expect(await at(v2)).toEqual({ key: 'h/k', value: 'v2', createRevision: v1, modRevision: v2, version: 2, lease: '0' });
      expect(await at(del - 1)).toMatchObject({ value: 'v2', version: 2 });
      expect(await at(del)).toBeUndefined();
      expect(await at(now)).toBeUndefined();
      expect(keysOf((await c.range('h/', { prefix: true, revision: other })).kvs)).toEqual(['h/k', 'h/other']);
      expect(keysOf((await c.range('h/', { prefix: true, revision: v2 })).kvs)).toEqual(['h/k']);
      expect((await c.range('h/', { prefix: true, revision: v2, countOnly: true })).count).toBe(1);
    });

    it('rejects a future revision with code 11', async () => {
      const c = s.client;
      const now = await currentRevision(c);
      await expectEtcdError(c.range('h/k', { revision: now + 1 }), FUTURE);
      await expectEtcdError(c.range('h/', { prefix: true, revision: now + 1000 }), FUTURE);
      expect((await c.range('h/other', { revision: now })).count).toBe(1);
    });
  });

  describe('deleterange', () => {
    const s = useStore(target);

    it('deletes one key, returning prev_kvs only when asked', async () => {
      const c = s.client;
      const p = await c.put('d/one', '1');
      const d = await c.delete('d/one');
      expect([d.header.revision, d.deleted, d.prevKvs]).toEqual([p.header.revision + 1, 1, []]);
      const p2 = await c.put('d/two', '2');
      const d2 = await c.delete('d/two', { prevKv: true });
      expect(d2.prevKvs.map(plain)).toEqual([
        { key: 'd/two', value: '2', createRevision: p2.header.revision, modRevision: p2.header.revision, version: 1, lease: '0' },
      ]);
      expect(await c.get('d/two')).toBeUndefined();
    });

    it('deletes a range in one revision', async () => {
      const c = s.client;
      for (const k of ['d/r/a', 'd/r/b', 'd/r/c', 'd/s']) await c.put(k, k);
      const r0 = await currentRevision(c);
      const d = await c.delete('d/r/', { prefix: true, prevKv: true });
      expect([d.header.revision, d.deleted, keysOf(d.prevKvs)]).toEqual([r0 + 1, 3, ['d/r/a', 'd/r/b', 'd/r/c']]);
      expect((await c.range('d/r/', { prefix: true, revision: r0 })).count).toBe(3);
      expect((await c.range('d/r/', { prefix: true })).count).toBe(0);
      const ranged = await c.delete('d/', { rangeEnd: 'd/t' });
      expect([ranged.deleted, ranged.header.revision]).toEqual([1, r0 + 2]);
    });

    it('does not bump the revision when nothing is deleted', async () => {
      const c = s.client;
      const r0 = await currentRevision(c);
      const d = await c.delete('d/nothing-here', { prevKv: true });
      expect([d.header.revision, d.deleted, d.prevKvs]).toEqual([r0, 0, []]);
      const d2 = await c.delete('d/zzz/', { prefix: true });
      expect([d2.header.revision, d2.deleted]).toEqual([r0, 0]);
      expect(await currentRevision(c)).toBe(r0);
    });

    it('re-creating a deleted key starts again at version 1 with a new create_revision', async () => {
      const c = s.client;
      const first = (await c.put('d/again', 'a')).header.revision;
      await c.put('d/again', 'b');
      await c.delete('d/again');
      const second = (await c.put('d/again', 'c')).header.revision;
      expect(plain(await c.get('d/again'))).toEqual({
        key: 'd/again',
        value: 'c',
        createRevision: second,
        modRevision: second,
        version: 1,
        lease: '0',
      });
      expect(second).toBe(first + 3);
    });
  });

  describe('txn', () => {
    const s = useStore(target);

    it('compares version, create, mod, value and lease with every operator', async () => {
      const c = s.client;
      const lease = await c.leaseGrant(60);
      const create = (await c.put('t/k', 'v1')).header.revision;
      const mod = (await c.put('t/k', 'v2', { lease: lease.id })).header.revision;
      const L = BigInt(lease.id);
      const cases: Array<[Compare, boolean]> = [
        [{ key: 't/k', target: 'VERSION', result: 'EQUAL', version: 2 }, true],
        [{ key: 't/k', target: 'VERSION', result: 'EQUAL', version: 1 }, false],
        [{ key: 't/k', target: 'VERSION', result: 'NOT_EQUAL', version: 2 }, false],
        [{ key: 't/k', target: 'VERSION', result: 'NOT_EQUAL', version: 3 }, true],
        [{ key: 't/k', target: 'VERSION', result: 'GREATER', version: 1 }, true],
        [{ key: 't/k', target: 'VERSION', result: 'GREATER', version: 2 }, false],
        [{ key: 't/k', target: 'VERSION', result: 'LESS', version: 3 }, true],
        [{ key: 't/k', target: 'VERSION', result: 'LESS', version: 2 }, false],
        [{ key: 't/k', target: 'CREATE', result: 'EQUAL', createRevision: create }, true],
        [{ key: 't/k', target: 'CREATE', result: 'NOT_EQUAL', createRevision: create }, false],
        [{ key: 't/k', target: 'CREATE', result: 'GREATER', createRevision: create - 1 }, true],
        [{ key: 't/k', target: 'CREATE', result: 'LESS', createRevision: create }, false],
        [{ key: 't/k', target: 'MOD', result: 'EQUAL', modRevision: mod }, true],
        [{ key: 't/k', target: 'MOD', result: 'EQUAL', modRevision: create }, false],
        [{ key: 't/k', target: 'MOD', result: 'NOT_EQUAL', modRevision: create }, true],
        [{ key: 't/k', target: 'MOD', result: 'GREATER', modRevision: mod }, false],
        [{ key: 't/k', target: 'MOD', result: 'LESS', modRevision: mod + 1 }, true],
        [{ key: 't/k', target: 'VALUE', result: 'EQUAL', value: 'v2' }, true],
        [{ key: 't/k', target: 'VALUE', result: 'EQUAL', value: 'v1' }, false],
        [{ key: 't/k', target: 'VALUE', result: 'NOT_EQUAL', value: 'v2' }, false],
        [{ key: 't/k', target: 'VALUE', result: 'GREATER', value: 'v1' }, true],
        [{ key: 't/k', target: 'VALUE', result: 'GREATER', value: 'v3' }, false],
        [{ key: 't/k', target: 'VALUE', result: 'LESS', value: 'v3' }, true],
        [{ key: 't/k', target: 'VALUE', result: 'LESS', value: 'v2' }, false],
        [{ key: 't/k', target: 'LEASE', result: 'EQUAL', lease: lease.id }, true],
        [{ key: 't/k', target: 'LEASE', result: 'EQUAL', lease: '0' }, false],
        [{ key: 't/k', target: 'LEASE', result: 'NOT_EQUAL', lease: lease.id }, false],
        [{ key: 't/k', target: 'LEASE', result: 'GREATER', lease: (L - 1n).toString() }, true],
        [{ key: 't/k', target: 'LEASE', result: 'LESS', lease: (L + 1n).toString() }, true],
        [{ key: 't/k', target: 'LEASE', result: 'LESS', lease: lease.id }, false],
      ];
      const r0 = await currentRevision(c);
      const got: Array<[string, boolean]> = [];
      for (const [cmp] of cases) {
        const t = await c.txn({ compare: [cmp] });
        expect(t.header.revision).toBe(r0);
        got.push([JSON.stringify(cmp), t.succeeded]);
      }
      expect(got).toEqual(cases.map(([cmp, want]) => [JSON.stringify(cmp), want]));
      await c.leaseRevoke(lease.id);
    });

    it('compares a missing key as zero values, and a VALUE compare on it always fails', async () => {
      const c = s.client;
      const cases: Array<[Compare, boolean]> = [
        [{ key: 't/none', target: 'VERSION', result: 'EQUAL', version: 0 }, true],
        [{ key: 't/none', target: 'VERSION', result: 'LESS', version: 1 }, true],
        [{ key: 't/none', target: 'CREATE', result: 'EQUAL', createRevision: 0 }, true],
        [{ key: 't/none', target: 'MOD', result: 'EQUAL', modRevision: 0 }, true],
        [{ key: 't/none', target: 'MOD', result: 'GREATER', modRevision: 0 }, false],
        [{ key: 't/none', target: 'LEASE', result: 'EQUAL', lease: '0' }, true],
        [{ key: 't/none', target: 'VALUE', result: 'EQUAL', value: '' }, false],
        [{ key: 't/none', target: 'VALUE', result: 'NOT_EQUAL', value: 'x' }, false],
        [{ key: 't/none', target: 'VALUE', result: 'LESS', value: 'x' }, false],
      ];
      const got = [];
      for (const [cmp] of cases) got.push([JSON.stringify(cmp), (await c.txn({ compare: [cmp] })).succeeded]);
      expect(got).toEqual(cases.map(([cmp, want]) => [JSON.stringify(cmp), want]));
    });

    it('ANDs compares, and a compare over a range needs every key to match', async () => {
      const c = s.client;
      await c.put('t/r/a', '1');
      await c.put('t/r/b', '1');
      const all = { key: 't/r/', rangeEnd: 't/r0' } as const;
      expect((await c.txn({ compare: [{ ...all, target: 'VERSION', result: 'EQUAL', version: 1 }] })).succeeded).toBe(true);
      await c.put('t/r/b', '2');
      expect((await c.txn({ compare: [{ ...all, target: 'VERSION', result: 'EQUAL', version: 1 }] })).succeeded).toBe(false);
      expect((await c.txn({ compare: [{ ...all, target: 'VERSION', result: 'GREATER', version: 0 }] })).succeeded).toBe(true);
      const both = await c.txn({
        compare: [
          { key: 't/r/a', target: 'VALUE', result: 'EQUAL', value: '1' },
          { key: 't/r/b', target: 'VALUE', result: 'EQUAL', value: '1' },
        ],
      });
      expect(both.succeeded).toBe(false);
    });

    it('runs the success branch or the failure branch, writing in one shared revision', async () => {
      const c = s.client;
      await c.put('t/del', 'x');
      const r0 = await currentRevision(c);
      const ok = await c.txn({
        compare: [{ key: 't/cas', target: 'VERSION', result: 'EQUAL', version: 0 }],
        success: [
          { type: 'put', key: 't/cas', value: 'a' },
          { type: 'put', key: 't/cas2', value: 'b', prevKv: true },
          { type: 'delete', key: 't/del', prevKv: true },
          { type: 'range', key: 't/cas' },
        ],
        failure: [{ type: 'put', key: 't/failed', value: 'f' }],
      });
      expect([ok.succeeded, ok.header.revision]).toEqual([true, r0 + 1]);
      expect(ok.responses.map((r) => r.type)).toEqual(['put', 'put', 'delete', 'range']);
      const [put1, put2, del, range] = ok.responses;
      expect(put1?.type === 'put' && put1.prevKv).toBeUndefined();
      expect(put2?.type === 'put' && put2.prevKv).toBeUndefined();
      expect(del?.type === 'delete' && [del.deleted, keysOf(del.prevKvs)]).toEqual([1, ['t/del']]);
      // A range after a put in the same txn sees the put.
      expect(range?.type === 'range' && range.kvs.map(plain)).toEqual([
        { key: 't/cas', value: 'a', createRevision: r0 + 1, modRevision: r0 + 1, version: 1, lease: '0' },
      ]);
      expect((await c.get('t/cas2'))?.modRevision).toBe(r0 + 1);
      expect(await c.get('t/failed')).toBeUndefined();

      const no = await c.txn({
        compare: [{ key: 't/cas', target: 'VERSION', result: 'EQUAL', version: 0 }],
        success: [{ type: 'put', key: 't/cas', value: 'again' }],
        failure: [
          { type: 'range', key: 't/cas' },
          { type: 'put', key: 't/failed', value: 'f' },
        ],
      });
      expect([no.succeeded, no.header.revision]).toEqual([false, r0 + 2]);
      expect(no.responses.map((r) => r.type)).toEqual(['range', 'put']);
      const [cur] = no.responses;
      expect(cur?.type === 'range' && plain(cur.kvs[0])?.value).toBe('a');
      expect(plain(await c.get('t/failed'))).toMatchObject({ value: 'f', modRevision: r0 + 2 });
      expect((await c.get('t/cas'))?.value.toString()).toBe('a');
    });

    it('does compare-and-swap on mod revision', async () => {
      const c = s.client;
      const m = (await c.put('t/obj', 'v1')).header.revision;
      const swap = (value: string) =>
        c.txn({
          compare: [{ key: 't/obj', target: 'MOD', result: 'EQUAL', modRevision: m }],
          success: [{ type: 'put', key: 't/obj', value }],
          failure: [{ type: 'range', key: 't/obj' }],
        });
      const first = await swap('v2');
      expect([first.succeeded, first.header.revision]).toEqual([true, m + 1]);
      const second = await swap('v3');
      expect([second.succeeded, second.header.revision]).toEqual([false, m + 1]);
      const [cur] = second.responses;
      expect(cur?.type === 'range' && plain(cur.kvs[0])).toMatchObject({ value: 'v2', modRevision: m + 1, version: 2 });
    });

    it('does not bump the revision for a read-only txn or an empty branch', async () => {
      const c = s.client;
      await c.put('t/ro', 'x');
      const r0 = await currentRevision(c);
      const ro = await c.txn({
        success: [
          { type: 'range', key: 't/ro' },
          { type: 'range', key: 't/', prefix: true, countOnly: true },
        ],
      });
      expect([ro.succeeded, ro.header.revision]).toEqual([true, r0]);
      const [one, count] = ro.responses;
      expect(one?.type === 'range' && one.count).toBe(1);
      expect(count?.type === 'range' && count.kvs.length).toBe(0);
      const empty = await c.txn({ compare: [{ key: 't/ro', target: 'VERSION', result: 'EQUAL', version: 9 }] });
      expect([empty.succeeded, empty.header.revision, empty.responses]).toEqual([false, r0, []]);
      const nothing = await c.txn({});
      expect([nothing.succeeded, nothing.header.revision, nothing.responses]).toEqual([true, r0, []]);
      const noDelete = await c.txn({ success: [{ type: 'delete', key: 't/not-there' }] });
      expect(noDelete.header.revision).toBe(r0);
    });

    it('runs nested txns inside the outer revision', async () => {
      const c = s.client;
      await c.put('t/n', 'x');
      const r0 = await currentRevision(c);
      const t = await c.txn({
        success: [
          { type: 'put', key: 't/n/outer', value: 'o' },
          {
            type: 'txn',
            compare: [{ key: 't/n', target: 'VALUE', result: 'EQUAL', value: 'x' }],
            success: [{ type: 'put', key: 't/n/inner-yes', value: 'y' }],
            failure: [{ type: 'put', key: 't/n/inner-no', value: 'n' }],
          },
          {
            type: 'txn',
            compare: [{ key: 't/n', target: 'VALUE', result: 'EQUAL', value: 'nope' }],
            success: [{ type: 'put', key: 't/n/second-yes', value: 'y' }],
            failure: [{ type: 'range', key: 't/n/', prefix: true }],
          },
        ],
      });
      expect([t.succeeded, t.header.revision]).toEqual([true, r0 + 1]);
      const [, inner1, inner2] = t.responses;
      expect(inner1?.type === 'txn' && [inner1.succeeded, inner1.responses.map((r) => r.type)]).toEqual([true, ['put']]);
      expect(inner2?.type === 'txn' && inner2.succeeded).toBe(false);
      const innerRange = inner2?.type === 'txn' ? inner2.responses[0] : undefined;
      expect(innerRange?.type === 'range' && keysOf(innerRange.kvs)).toEqual(['t/n/inner-yes', 't/n/outer']);
      const now = await c.range('t/n/', { prefix: true });
      expect(now.kvs.map((kv) => [kv.key.toString(), kv.modRevision])).toEqual([
        ['t/n/inner-yes', r0 + 1],
        ['t/n/outer', r0 + 1],
      ]);
    });

    it('rejects a txn that writes the same key twice, writing nothing', async () => {
      const c = s.client;
      const r0 = await currentRevision(c);
      await expectEtcdError(
        c.txn({
          success: [
            { type: 'put', key: 't/dup', value: '1' },
            { type: 'put', key: 't/dup', value: '2' },
          ],
        }),
        DUPLICATE_KEY,
      );
      await expectEtcdError(
        c.txn({
          success: [
            { type: 'put', key: 't/dup', value: '1' },
            { type: 'delete', key: 't/', prefix: true },
          ],
        }),
        DUPLICATE_KEY,
      );
      expect(await currentRevision(c)).toBe(r0);
      expect(await c.get('t/dup')).toBeUndefined();
    });
  });

  describe('watch', () => {
    const s = useStore(target);

    it('streams PUT and DELETE events after the created response', async () => {
      const c = s.client;
      const w = new WatchReader(c.watch('w1/', { prefix: true }));
      const created = await w.created();
      const r0 = await currentRevision(c);
      expect([created.header.revision, created.canceled, created.events]).toEqual([r0, false, []]);
      await c.put('w1/a', '1');
      await c.put('w1/a', '2');
      await c.put('other', 'not watched');
      await c.delete('w1/a');
      const events = await w.events(3);
      expect(events.map(plainEvent)).toEqual([
        { type: 'PUT', kv: { key: 'w1/a', value: '1', createRevision: r0 + 1, modRevision: r0 + 1, version: 1, lease: '0' } },
        { type: 'PUT', kv: { key: 'w1/a', value: '2', createRevision: r0 + 1, modRevision: r0 + 2, version: 2, lease: '0' } },
        // A DELETE event carries only the key and the delete's revision.
        { type: 'DELETE', kv: { key: 'w1/a', value: '', createRevision: 0, modRevision: r0 + 4, version: 0, lease: '0' } },
      ]);
      for (const r of w.responses.slice(1)) expect(r.header.revision).toBe(Math.max(...r.events.map((e) => e.kv.modRevision)));
      w.cancel();
    });

    it('replays history from a start revision, then continues live', async () => {
      const c = s.client;
      const start = (await c.put('w2/a', '1')).header.revision;
      await c.put('w2/b', '1');
      await c.delete('w2/a');
      await c.txn({
        success: [
          { type: 'put', key: 'w2/c', value: '1' },
          { type: 'put', key: 'w2/b', value: '2' },
        ],
      });
      const w = new WatchReader(c.watch('w2/', { prefix: true, startRevision: start + 1 }));
      await w.created();
      expect((await w.events(4)).map(eventLine)).toEqual([
        `PUT w2/b@${start + 1}=1`,
        `DELETE w2/a@${start + 2}`,
        `PUT w2/c@${start + 3}=1`,
        `PUT w2/b@${start + 3}=2`,
      ]);
      await c.put('w2/d', 'live');
      expect((await w.events(1)).map(eventLine)).toEqual([`PUT w2/d@${start + 4}=live`]);
      w.cancel();
    });

    it('watches a single key or a [key, range_end) interval only', async () => {
      const c = s.client;
      const one = new WatchReader(c.watch('w3/b'));
      const range = new WatchReader(c.watch('w3/a', { rangeEnd: 'w3/c' }));
      await one.created();
      await range.created();
      for (const k of ['w3/a', 'w3/b', 'w3/bb', 'w3/c', 'w3']) await c.put(k, 'x');
      expect((await one.events(1)).map((e) => e.kv.key.toString())).toEqual(['w3/b']);
      expect((await range.events(3)).map((e) => e.kv.key.toString())).toEqual(['w3/a', 'w3/b', 'w3/bb']);
      await one.noEvents(200);
      await range.noEvents(1);
      one.cancel();
      range.cancel();
    });

    it('sends prev_kv on updates and deletes when asked', async () => {
      const c = s.client;
      const w = new WatchReader(c.watch('w4/', { prefix: true, prevKv: true }));
      await w.created();
      const p1 = (await c.put('w4/k', 'v1')).header.revision;
      const p2 = (await c.put('w4/k', 'v2')).header.revision;
      const d = (await c.delete('w4/k')).header.revision;
      const [create, update, del] = (await w.events(3)).map(plainEvent);
      expect(create).toEqual({
        type: 'PUT',
        kv: { key: 'w4/k', value: 'v1', createRevision: p1, modRevision: p1, version: 1, lease: '0' },
      });
      expect(update?.prevKv).toEqual({ key: 'w4/k', value: 'v1', createRevision: p1, modRevision: p1, version: 1, lease: '0' });
      expect(del).toEqual({
        type: 'DELETE',
        kv: { key: 'w4/k', value: '', createRevision: 0, modRevision: d, version: 0, lease: '0' },
        prevKv: { key: 'w4/k', value: 'v2', createRevision: p1, modRevision: p2, version: 2, lease: '0' },
      });
      w.cancel();
    });

    it('filters out PUTs (NOPUT) or DELETEs (NODELETE)', async () => {
      const c = s.client;
      const noPut = new WatchReader(c.watch('w5/', { prefix: true, filters: ['NOPUT'] }));
      const noDelete = new WatchReader(c.watch('w5/', { prefix: true, filters: ['NODELETE'] }));
      await noPut.created();
      await noDelete.created();
      await c.put('w5/a', '1');
      const d = (await c.delete('w5/a')).header.revision;
      await c.put('w5/b', '2');
      expect((await noPut.events(1)).map(eventLine)).toEqual([`DELETE w5/a@${d}`]);
      expect((await noDelete.events(2)).map(eventLine)).toEqual([`PUT w5/a@${d - 1}=1`, `PUT w5/b@${d + 1}=2`]);
      await noPut.noEvents(200);
      noPut.cancel();
      noDelete.cancel();
    });

    it('gives several watchers the same events in the same order', async () => {
      const c = s.client;
      const readers = [0, 1, 2].map(() => new WatchReader(c.watch('w6/', { prefix: true })));
      for (const r of readers) await r.created();
      const writes = Array.from({ length: 12 }, (_, i) => i);
      await Promise.all(writes.map((i) => c.put(`w6/${i % 4}`, String(i))));
      await c.txn({
        success: [
          { type: 'delete', key: 'w6/0' },
          { type: 'put', key: 'w6/9', value: 'txn' },
        ],
      });
      const seen = await Promise.all(readers.map(async (r) => (await r.events(14)).map(eventLine)));
      expect(seen[1]).toEqual(seen[0]);
      expect(seen[2]).toEqual(seen[0]);
      const revs = seen[0]!.map((l) => Number(l.split('@')[1]!.split('=')[0]));
      expect(revs).toEqual([...revs].sort((a, b) => a - b));
      expect(seen[0]!.slice(-2)).toEqual([`DELETE w6/0@${revs[13]}`, `PUT w6/9@${revs[13]}=txn`]);
      for (const r of readers) r.cancel();
    });

    it('stops delivering after cancel, and the store keeps working', async () => {
      const c = s.client;
      const w = new WatchReader(c.watch('w7/', { prefix: true }));
      await w.created();
      await c.put('w7/a', '1');
      expect((await w.events(1)).map((e) => e.kv.key.toString())).toEqual(['w7/a']);
      w.cancel();
      expect(w.watch.closed).toBe(true);
      await c.put('w7/b', '2');
      expect(await w.next(1000)).toBeUndefined();
      const again = new WatchReader(c.watch('w7/', { prefix: true }));
      await again.created();
      await c.put('w7/c', '3');
      expect((await again.events(1)).map((e) => e.kv.key.toString())).toEqual(['w7/c']);
      again.cancel();
    });
  });

  describe('compaction', () => {
    const s = useStore(target);
    let r1 = 0;
    let r2 = 0;
    let r3 = 0;
    let r4 = 0;
    let compactHeaderRevision = 0;
    beforeAll(async () => {
      const c = s.client;
      r1 = (await c.put('c/k', 'v1')).header.revision;
      r2 = (await c.put('c/k', 'v2')).header.revision;
      r3 = (await c.put('c/k', 'v3')).header.revision;
      r4 = (await c.put('c/other', 'o')).header.revision;
      compactHeaderRevision = (await c.compact(r2)).header.revision;
    });

    it('compacts to a revision and keeps reads at or after it working', async () => {
      const c = s.client;
      expect(compactHeaderRevision).toBe(r4);
      expect(await currentRevision(c)).toBe(r4); // compaction is not a write
      expect(plain((await c.range('c/k', { revision: r2 })).kvs[0])).toMatchObject({ value: 'v2', modRevision: r2, version: 2 });
      expect(plain((await c.range('c/k', { revision: r3 })).kvs[0])).toMatchObject({ value: 'v3', version: 3 });
      expect(plain(await c.get('c/k'))).toMatchObject({ value: 'v3', createRevision: r1, version: 3 });
    });

    it('rejects reads below the compacted revision with code 11', async () => {
      const c = s.client;
      await expectEtcdError(c.range('c/k', { revision: r1 }), COMPACTED);
      await expectEtcdError(c.range('c/', { prefix: true, revision: r2 - 1 }), COMPACTED);
    });

    it('rejects compacting again at or below the compacted revision, or beyond the current one', async () => {
      const c = s.client;
      await expectEtcdError(c.compact(r2), COMPACTED);
      await expectEtcdError(c.compact(r1), COMPACTED);
      await expectEtcdError(c.compact(r4 + 1), FUTURE);
    });

    it('cancels a watch from a compacted revision with compact_revision', async () => {
      const c = s.client;
      const w = new WatchReader(c.watch('c/', { prefix: true, startRevision: r1 }));
      const first = await w.next();
      expect([first?.created, first?.canceled]).toEqual([true, false]);
      const second = await w.next();
      expect([second?.canceled, second?.compactRevision, second?.events]).toEqual([true, r2, []]);
      expect(await w.next()).toBeUndefined();
    });

    it('still replays from the compacted revision itself', async () => {
      const c = s.client;
      const w = new WatchReader(c.watch('c/', { prefix: true, startRevision: r2 }));
      await w.created();
      expect((await w.events(3)).map(eventLine)).toEqual([`PUT c/k@${r2}=v2`, `PUT c/k@${r3}=v3`, `PUT c/other@${r4}=o`]);
      w.cancel();
    });

    it('compacts up to the current revision (physical), after which only it can be read', async () => {
      const c = s.client;
      await c.delete('c/other');
      const now = await currentRevision(c);
      await c.compact(now, { physical: true });
      await expectEtcdError(c.range('c/k', { revision: now - 1 }), COMPACTED);
      expect(keysOf((await c.range('c/', { prefix: true, revision: now })).kvs)).toEqual(['c/k']);
      const w = new WatchReader(c.watch('c/', { prefix: true, startRevision: now - 1 }));
      await w.created();
      expect((await w.next())?.compactRevision).toBe(now);
    });
  });

  describe('leases', () => {
    const s = useStore(target);

    it('grants leases, raising a TTL below the minimum to 2 s, without a revision', async () => {
      const c = s.client;
      const r0 = await currentRevision(c);
      const short = await c.leaseGrant(1);
      expect(short.ttl).toBe(2);
      expect(short.id).toMatch(/^[1-9]\d*$/);
      await c.leaseRevoke(short.id);
      const long = await c.leaseGrant(120);
      expect(long.ttl).toBe(120);
      expect(long.id).not.toBe(short.id);
      const chosen = await c.leaseGrant(30, '4242');
      expect([chosen.id, chosen.ttl]).toEqual(['4242', 30]);
      await expectEtcdError(c.leaseGrant(30, '4242'), {
        code: 9,
        httpStatus: 412,
        message: 'etcdserver: lease already exists',
      });
      expect(await currentRevision(c)).toBe(r0);
      for (const l of [long, chosen]) await c.leaseRevoke(l.id);
    });

    it('attaches keys to a lease and reports them in time-to-live', async () => {
      const c = s.client;
      const lease = await c.leaseGrant(60);
      const p = await c.put('l/b', 'x', { lease: lease.id });
      await c.put('l/a', 'y', { lease: lease.id });
      expect(plain(await c.get('l/b'))).toEqual({
        key: 'l/b',
        value: 'x',
        createRevision: p.header.revision,
        modRevision: p.header.revision,
        version: 1,
        lease: lease.id,
      });
      const ttl = await c.leaseTimeToLive(lease.id, { keys: true });
      expect([ttl.id, ttl.grantedTtl]).toEqual([lease.id, 60]);
      expect(ttl.ttl).toBeGreaterThanOrEqual(58);
      expect(ttl.ttl).toBeLessThanOrEqual(60);
      expect(ttl.keys.map(String).sort()).toEqual(['l/a', 'l/b']);
      expect((await c.leaseTimeToLive(lease.id)).keys).toEqual([]);
      await c.leaseRevoke(lease.id);
    });

    it('rejects a put with an unknown lease (404, code 5) without writing', async () => {
      const c = s.client;
      const r0 = await currentRevision(c);
      await expectEtcdError(c.put('l/nolease', 'x', { lease: '987654321' }), LEASE_NOT_FOUND);
      expect(await currentRevision(c)).toBe(r0);
      expect(await c.get('l/nolease')).toBeUndefined();
    });

    it('keeps a lease alive, TTL 0 for an unknown one, time-to-live -1 for an unknown one', async () => {
      const c = s.client;
      const lease = await c.leaseGrant(30);
      const ka = await c.leaseKeepAliveOnce(lease.id);
      expect([ka.id, ka.ttl]).toEqual([lease.id, 30]);
      const unknown = await c.leaseKeepAliveOnce('123456789');
      expect([unknown.id, unknown.ttl]).toEqual(['123456789', 0]);
      const ttl = await c.leaseTimeToLive('123456789', { keys: true });
      expect([ttl.id, ttl.ttl, ttl.grantedTtl, ttl.keys]).toEqual(['123456789', -1, 0, []]);
      await c.leaseRevoke(lease.id);
    });

    it('revoking deletes the attached keys in one revision', async () => {
      const c = s.client;
      const lease = await c.leaseGrant(60);
      await c.put('l/rv/a', '1', { lease: lease.id });
      await c.put('l/rv/b', '2', { lease: lease.id });
      await c.put('l/rv/c', 'no lease');
      const r0 = await currentRevision(c);
      const w = new WatchReader(c.watch('l/rv/', { prefix: true }));
      await w.created();
      const rv = await c.leaseRevoke(lease.id);
      expect(rv.header.revision).toBe(r0 + 1);
      expect(keysOf((await c.range('l/rv/', { prefix: true })).kvs)).toEqual(['l/rv/c']);
      expect((await w.events(2)).map(eventLine).sort()).toEqual([`DELETE l/rv/a@${r0 + 1}`, `DELETE l/rv/b@${r0 + 1}`]);
      w.cancel();
      expect((await c.leaseTimeToLive(lease.id)).ttl).toBe(-1);
      await expectEtcdError(c.leaseRevoke(lease.id), LEASE_NOT_FOUND);
      await expectEtcdError(c.leaseRevoke('55555'), LEASE_NOT_FOUND);
      // A lease without keys is revoked without a revision.
      const empty = await c.leaseGrant(60);
      expect((await c.leaseRevoke(empty.id)).header.revision).toBe(r0 + 1);
    });

    it('deletes the attached keys when the TTL expires', async () => {
      const c = s.client;
      const lease = await c.leaseGrant(2);
      expect(lease.ttl).toBe(2);
      await c.put('l/exp/a', '1', { lease: lease.id });
      await c.put('l/exp/b', '2', { lease: lease.id });
      const r0 = await currentRevision(c);
      const started = Date.now();
      await eventually(async () => ((await c.range('l/exp/', { prefix: true, countOnly: true })).count === 0 ? true : undefined), {
        message: 'the leased keys to expire',
        timeoutMs: 10_000,
      });
      expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
      expect(await currentRevision(c)).toBe(r0 + 1);
      expect((await c.leaseTimeToLive(lease.id)).ttl).toBe(-1);
      expect((await c.leaseKeepAliveOnce(lease.id)).ttl).toBe(0);
    });
  });

  describe('maintenance', () => {
    const s = useStore(target);

    it('reports health and status at the current revision', async () => {
      const c = s.client;
      expect(await c.health()).toMatchObject({ health: true });
      await c.put('m/a', '1');
      const st = await c.status();
      expect(st.header.revision).toBe(await currentRevision(c));
      expect(st.version).toMatch(/^\d+\.\d+\.\d+/);
      expect(st.dbSize).toBeGreaterThan(0);
    });
  });
}
