/** The store contract: watch, compaction, leases and maintenance (see suite.ts). */
import { eventually } from '@minik8s/testing';
import { beforeAll, describe, expect, it } from 'vitest';
import { currentRevision, eventLine, expectEtcdError, keysOf, plain, plainEvent, useStore, WatchReader } from './helpers.ts';
import { COMPACTED, FUTURE, LEASE_NOT_FOUND } from './suite-errors.ts';
import type { StoreTarget } from './targets.ts';

export function watchCases(target: StoreTarget): void {
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
