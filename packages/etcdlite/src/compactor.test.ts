import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { AutoCompactor, parseAutoCompaction } from './compactor.ts';
import { Store } from './store.ts';

const cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanup.splice(0)) await c();
});

async function storeWith(writes: number): Promise<Store> {
  const dir = mkdtempSync(join(tmpdir(), 'etcdlite-compactor-'));
  const store = await Store.open({ dataDir: dir });
  cleanup.push(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });
  for (let i = 0; i < writes; i++) await store.put({ key: Buffer.from('k'), value: Buffer.from(String(i)) });
  return store;
}

describe('auto-compaction', () => {
  it('parses etcd flags', () => {
    expect(parseAutoCompaction('periodic', '1h')).toEqual({ mode: 'periodic', retention: 3_600_000 });
    expect(parseAutoCompaction('periodic', '2')).toEqual({ mode: 'periodic', retention: 7_200_000 });
    expect(parseAutoCompaction('revision', '1000')).toEqual({ mode: 'revision', retention: 1000 });
    expect(() => parseAutoCompaction('revision', '1h')).toThrow(/positive revision count/);
    expect(() => parseAutoCompaction('sometimes', '1h')).toThrow(/periodic or revision/);
  });

  it('revision mode keeps the last N revisions', async () => {
    const store = await storeWith(20); // revision 21
    const c = new AutoCompactor(store, { mode: 'revision', retention: 5 }, pino({ level: 'silent' }));
    expect(await c.tick()).toBe(16);
    expect(store.compactRevision).toBe(16);
    expect(await c.tick()).toBeUndefined();
  });

  it('periodic mode compacts to the revision seen one retention ago', async () => {
    let now = 0;
    const store = await storeWith(3); // revision 4
    const c = new AutoCompactor(store, { mode: 'periodic', retention: 60_000 }, pino({ level: 'silent' }), () => now);
    c.start();
    c.stop();
    now = 30_000;
    await store.put({ key: Buffer.from('k'), value: Buffer.from('x') }); // 5
    expect(await c.tick()).toBeUndefined();
    now = 61_000;
    expect(await c.tick()).toBe(4);
    now = 91_000;
    expect(await c.tick()).toBe(5);
  });
});
