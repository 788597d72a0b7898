import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { KubeObject } from '@minik8s/api';
import { LocalKvClient, Store } from '@minik8s/etcdlite';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { TooOldError, WatchCache } from './watch-cache.ts';

const KiB = 1024;

describe('the watch cache window', () => {
  const cleanups: Array<() => Promise<void> | void> = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  async function start(o: { capacity?: number; maxBytes?: number }) {
    const dir = mkdtempSync(join(tmpdir(), 'watch-cache-'));
    const store = await Store.open({ dataDir: dir });
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    cleanups.push(() => store.close());
    const kv = new LocalKvClient(store);
    const cache = await WatchCache.start(kv, { ...o, logger: pino({ level: 'silent' }) });
    cleanups.push(() => cache.stop());
    /** Writes a ConfigMap of about `size` bytes; resolves once the cache has seen it. */
    const put = async (name: string, size: number) => {
      const obj = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: 'default' }, data: { v: 'x'.repeat(size) } };
      const key = `/registry/configmaps/default/${name}`;
      const r = await kv.txn({ compare: [], success: [{ type: 'put', key, value: JSON.stringify(obj) }], failure: [] });
      expect(await cache.waitFor(r.header.revision)).toBe(true);
      return r.header.revision;
    };
    const replay = (from: number) => {
      const seen: number[] = [];
      cache
        .subscribe(
          '/registry/configmaps/',
          from,
          (e) => seen.push(e.revision),
          () => {},
        )
        .close();
      return seen;
    };
    return { put, replay };
  }

  it('evicts the oldest events once they hold more than maxBytes, well under the count', async () => {
    const c = await start({ capacity: 1000, maxBytes: 1024 * KiB });
    const revs: number[] = [];
    for (let i = 0; i < 4; i++) revs.push(await c.put(`big-${i}`, 300 * KiB));
    // 4 × 300 KiB is over 1 MiB: the first event is gone, a watch from before it is told so.
    expect(() => c.replay(revs[0]! - 1)).toThrow(TooOldError);
    expect(c.replay(revs[0]!)).toEqual(revs.slice(1));
    // A modification holds the new object and the previous one: 2 × 300 KiB more.
    const modified = await c.put('big-3', 300 * KiB);
    expect(() => c.replay(revs[1]! - 1)).toThrow(TooOldError);
    expect(() => c.replay(revs[2]! - 1)).toThrow(TooOldError);
    expect(c.replay(revs[2]!)).toEqual([revs[3]!, modified]);
  });

  it('keeps small events by count as before', async () => {
    const c = await start({ capacity: 3, maxBytes: 1024 * KiB });
    const revs: number[] = [];
    for (let i = 0; i < 5; i++) revs.push(await c.put(`small-${i}`, 10));
    expect(() => c.replay(revs[1]! - 1)).toThrow(TooOldError);
    expect(c.replay(revs[1]!)).toEqual(revs.slice(2));
  });
});

describe('the API server watch window option', () => {
  it('bounds the window to watchCache.maxBytes: a watch from before 3 MiB of updates is 410 Gone with a 2 MiB window', async () => {
    const { startTestApiServer } = await import('../testing/cluster.ts');
    const s = await startTestApiServer({ watchCache: { maxBytes: 2 * 1024 * KiB } });
    try {
      const cms = { version: 'v1', plural: 'configmaps', namespace: 'default' };
      const first = await s.client.create<KubeObject>(cms, {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'big' },
        data: { v: '' },
      });
      for (let i = 0; i < 6; i++) {
        await s.client.update(
          { ...cms, name: 'big' },
          { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'big' }, data: { v: String(i).repeat(512 * KiB) } },
        );
      }
      const r = await s.client.request<{ type: string; object: { code: number; reason: string } }>({
        path: `/api/v1/namespaces/default/configmaps?watch=true&resourceVersion=${first.metadata.resourceVersion!}&timeoutSeconds=1`,
      });
      expect(JSON.stringify(r)).toMatch(/"code":410/);
    } finally {
      await s.close();
    }
  }, 30_000);
});
