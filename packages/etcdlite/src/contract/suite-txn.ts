/** The store contract: transactions (see suite.ts). */
import type { Compare } from '@minik8s/client/etcd';
import { describe, expect, it } from 'vitest';
import { currentRevision, expectEtcdError, keysOf, plain, useStore } from './helpers.ts';
import { DUPLICATE_KEY } from './suite-errors.ts';
import type { StoreTarget } from './targets.ts';

export function txnCases(target: StoreTarget): void {
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
}
