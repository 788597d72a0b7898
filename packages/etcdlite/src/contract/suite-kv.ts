/** The store contract: put, get, range, historical reads and deleterange (see suite.ts). */
import type { EtcdClient, SortOrder, SortTarget } from '@minik8s/client/etcd';
import { beforeAll, describe, expect, it } from 'vitest';
import { currentRevision, expectEtcdError, keysOf, plain, useStore } from './helpers.ts';
import { EMPTY_KEY, FUTURE, KEY_NOT_FOUND } from './suite-errors.ts';
import type { StoreTarget } from './targets.ts';

export function kvCases(target: StoreTarget): void {
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
}
