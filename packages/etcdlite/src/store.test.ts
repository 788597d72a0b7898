import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eventually } from '@minik8s/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { Store, type StoreOptions } from './store.ts';
import type { Event } from './types.ts';

const b = (s: string) => Buffer.from(s);
const dirs: string[] = [];
const stores: Store[] = [];

async function open(opts: Partial<StoreOptions> = {}, dir?: string): Promise<{ store: Store; dir: string }> {
  const d = dir ?? mkdtempSync(join(tmpdir(), 'etcdlite-store-'));
  if (!dir) dirs.push(d);
  const store = await Store.open({ dataDir: d, ...opts });
  stores.push(store);
  return { store, dir: d };
}

afterEach(async () => {
  for (const s of stores.splice(0)) await s.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const value = async (s: Store, key: string, revision?: number) => (await s.range({ key: b(key), revision })).kvs[0]?.value.toString();

describe('Store', () => {
  it('keeps its data directory private as etcd does: directories 0700, WAL segments 0600', async () => {
    const { dir } = await open();
    const mode = (p: string) => (statSync(p).mode & 0o777).toString(8);
    expect([dir, join(dir, 'wal'), join(dir, 'db')].map(mode)).toEqual(['700', '700', '700']);
    const segments = readdirSync(join(dir, 'wal'));
    expect(segments.length).toBeGreaterThan(0);
    expect(segments.map((f) => mode(join(dir, 'wal', f)))).toEqual(segments.map(() => '600'));
  });

  it('starts at revision 1 and gives each write the next revision', async () => {
    const { store } = await open();
    expect(store.revision).toBe(1);
    expect((await store.put({ key: b('a'), value: b('1') })).revision).toBe(2);
    expect((await store.put({ key: b('a'), value: b('2') })).revision).toBe(3);
    const kv = (await store.range({ key: b('a') })).kvs[0]!;
    expect(kv).toMatchObject({ createRevision: 2, modRevision: 3, version: 2 });
  });

  it('reads history at any revision since the last compaction', async () => {
    const { store } = await open();
    await store.put({ key: b('k'), value: b('one') }); // 2
    await store.put({ key: b('k'), value: b('two') }); // 3
    await store.deleteRange({ key: b('k') }); // 4
    await store.put({ key: b('k'), value: b('three') }); // 5
    expect(await value(store, 'k', 1)).toBeUndefined();
    expect(await value(store, 'k', 2)).toBe('one');
    expect(await value(store, 'k', 3)).toBe('two');
    expect(await value(store, 'k', 4)).toBeUndefined();
    expect(await value(store, 'k')).toBe('three');
    const kv = (await store.range({ key: b('k') })).kvs[0]!;
    expect(kv).toMatchObject({ createRevision: 5, version: 1 });
  });

  it('compaction keeps each key as of the compacted revision and refuses older reads', async () => {
    const { store } = await open();
    await store.put({ key: b('a'), value: b('1') }); // 2
    await store.put({ key: b('a'), value: b('2') }); // 3
    await store.put({ key: b('gone'), value: b('x') }); // 4
    await store.deleteRange({ key: b('gone') }); // 5
    await store.compact(4);
    await expect(store.range({ key: b('a'), revision: 3 })).rejects.toThrow(/required revision has been compacted/);
    expect(await value(store, 'a', 4)).toBe('2');
    expect(await value(store, 'gone', 4)).toBe('x');
    await store.compact(5);
    expect(await value(store, 'gone')).toBeUndefined();
    await expect(store.compact(5)).rejects.toThrow(/compacted/);
    await expect(store.compact(99)).rejects.toThrow(/future revision/);
  });

  it('keeps the revision counter across restarts, even when the newest event was compacted away', async () => {
    const { store, dir } = await open();
    await store.put({ key: b('a'), value: b('1') }); // 2
    await store.deleteRange({ key: b('a') }); // 3
    await store.compact(3);
    await store.close();
    const { store: again } = await open({}, dir);
    expect(again.revision).toBe(3);
    expect((await again.put({ key: b('b'), value: b('1') })).revision).toBe(4);
    await expect(again.range({ key: b('a'), revision: 2 })).rejects.toThrow(/compacted/);
  });

  it('evaluates compares before writing and refuses a bad branch without writing anything', async () => {
    const { store } = await open();
    await store.put({ key: b('x'), value: b('1') }); // 2
    const cas = (mod: number) =>
      store.txn({
        compare: [{ key: b('x'), target: 'MOD', result: 'EQUAL', modRevision: mod }],
        success: [{ put: { key: b('x'), value: b(`after-${mod}`) } }, { range: { key: b('x') } }],
        failure: [{ range: { key: b('x') } }],
      });
    const ok = await cas(2);
    expect(ok.succeeded).toBe(true);
    expect(ok.revision).toBe(3);
    const seen = ok.responses[1]!;
    expect('range' in seen && seen.range.kvs[0]!.value.toString()).toBe('after-2');
    const stale = await cas(2);
    expect(stale.succeeded).toBe(false);
    expect(stale.revision).toBe(3);
    await expect(
      store.txn({ compare: [], success: [{ put: { key: b('y'), value: b('1') } }, { put: { key: b('z'), value: b('1'), lease: 42n } }], failure: [] }),
    ).rejects.toThrow(/requested lease not found/);
    expect(store.revision).toBe(3);
    expect(await value(store, 'y')).toBeUndefined();
  });

  it('sorts, limits and counts ranges as etcd does', async () => {
    const { store } = await open();
    for (const [k, v] of [
      ['p/c', '1'],
      ['p/a', '3'],
      ['p/b', '2'],
      ['q', '0'],
    ] as const) {
      await store.put({ key: b(k), value: b(v) });
    }
    const prefix = { key: b('p/'), rangeEnd: b('p0') };
    const limited = await store.range({ ...prefix, limit: 2 });
    expect(limited.kvs.map((kv) => kv.key.toString())).toEqual(['p/a', 'p/b']);
    expect(limited).toMatchObject({ more: true, count: 3 });
    const byValue = await store.range({ ...prefix, sortTarget: 'VALUE', sortOrder: 'DESCEND' });
    expect(byValue.kvs.map((kv) => kv.value.toString())).toEqual(['3', '2', '1']);
    const all = await store.range({ key: b('\0'), rangeEnd: b('\0'), countOnly: true });
    expect(all).toMatchObject({ count: 4, kvs: [] });
  });

  it('group-commits concurrent writers without gaps or reuse of revisions', async () => {
    const { store } = await open();
    const results = await Promise.all(Array.from({ length: 200 }, (_, i) => store.put({ key: b(`k${i % 20}`), value: b(String(i)) })));
    const revs = results.map((r) => r.revision).sort((x, y) => x - y);
    expect(revs).toEqual(Array.from({ length: 200 }, (_, i) => i + 2));
    expect(store.revision).toBe(201);
  });

  it('replays history to a new watcher, then streams live events, with no gap or duplicate', async () => {
    const { store } = await open();
    for (let i = 0; i < 50; i++) await store.put({ key: b(`w/${i % 5}`), value: b(String(i)) });
    const got: Event[] = [];
    const h = store.watch({ key: b('w/'), rangeEnd: b('w0'), startRevision: 10 }, { events: (evs) => got.push(...evs), compacted: () => {} });
    // Writes racing the replay must come after it, exactly once.
    const live = Promise.all(Array.from({ length: 30 }, (_, i) => store.put({ key: b(`w/${i}`), value: b('live') })));
    await live;
    await eventually(() => got.length === 42 + 30);
    expect(got.map((e) => e.kv.modRevision)).toEqual(Array.from({ length: 72 }, (_, i) => i + 10));
    h.cancel();
  });

  it('tells a watcher whose start revision was compacted', async () => {
    const { store } = await open();
    await store.put({ key: b('a'), value: b('1') });
    await store.put({ key: b('a'), value: b('2') });
    await store.compact(3);
    let compactedAt = 0;
    store.watch({ key: b('a'), startRevision: 2 }, { events: () => {}, compacted: (r) => (compactedAt = r) });
    expect(compactedAt).toBe(3);
  });

  it('expires leases and deletes their keys in one revision', async () => {
    let now = 1_000_000;
    let clockReads = 0; // the lease checker reads the clock every 10 ms
    const clock = () => {
      clockReads++;
      return now;
    };
    const { store } = await open({ now: clock, leaseCheckIntervalMs: 10 });
    const { id, ttl } = await store.leaseGrant(1);
    expect(ttl).toBe(2);
    await store.put({ key: b('l/a'), value: b('1'), lease: id });
    await store.put({ key: b('l/b'), value: b('1'), lease: id });
    await store.put({ key: b('kept'), value: b('1') });
    const before = store.revision;
    now += 1500;
    expect(store.leaseKeepAlive(id)).toBe(2);
    now += 1500;
    const reads = clockReads;
    await eventually(() => clockReads >= reads + 2, { message: 'two lease checks at the new time' });
    expect(await value(store, 'l/a')).toBe('1');
    now += 2500;
    await eventually(() => store.revision === before + 1);
    expect(await value(store, 'l/a')).toBeUndefined();
    expect(await value(store, 'l/b')).toBeUndefined();
    expect(await value(store, 'kept')).toBe('1');
    expect(() => store.leaseKeepAlive(id)).toThrow(/requested lease not found/);
  });

  it('restores leases and their keys on restart', async () => {
    const { store, dir } = await open();
    const { id } = await store.leaseGrant(60);
    await store.put({ key: b('owned'), value: b('1'), lease: id });
    await store.close();
    const { store: again } = await open({}, dir);
    expect(again.leaseTimeToLive(id, true)).toMatchObject({ grantedTtl: 60, keys: [b('owned')] });
    await again.leaseRevoke(id);
    expect(await value(again, 'owned')).toBeUndefined();
  });
});
