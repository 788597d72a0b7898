import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Store } from './store.ts';

const dirs: string[] = [];
const children: ChildProcess[] = [];
afterEach(() => {
  for (const c of children.splice(0)) c.kill('SIGKILL');
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** Runs the writer, kills it with SIGKILL after `ms`, returns every write it reported as acknowledged. */
async function writeThenKill(dir: string, ms: number): Promise<Map<string, number>> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'testing/crash-writer.ts'), dir], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  children.push(child);
  const acked = new Map<string, number>();
  let buf = '';
  let ready: () => void;
  const isReady = new Promise<void>((r) => (ready = r));
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    buf += chunk;
    const lines = buf.split('\n');
    buf = lines.pop()!;
    for (const line of lines) {
      if (line === 'ready') ready();
      else {
        const [rev, key] = line.split(' ');
        acked.set(key!, Number(rev));
      }
    }
  });
  const exited = new Promise((r) => child.on('exit', r));
  await isReady;
  await new Promise((r) => setTimeout(r, ms));
  child.kill('SIGKILL');
  await exited;
  return acked;
}

describe('durability', () => {
  it('keeps every acknowledged write, with its revision, across kill -9 at random moments', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'etcdlite-crash-'));
    dirs.push(dir);
    const all = new Map<string, number>();
    for (let round = 0; round < 3; round++) {
      const acked = await writeThenKill(dir, 150 + Math.floor(Math.random() * 500));
      expect(acked.size).toBeGreaterThan(0);
      for (const [k, r] of acked) all.set(k, r);
      const store = await Store.open({ dataDir: dir });
      try {
        const kvs = (await store.range({ key: Buffer.from('\0'), rangeEnd: Buffer.from('\0') })).kvs;
        const found = new Map(kvs.map((kv) => [kv.key.toString(), kv.modRevision]));
        const lost = [...all].filter(([k, r]) => found.get(k) !== r);
        expect(lost).toEqual([]);
        // The counter never goes back: a new write gets a revision above every acked one.
        const maxAcked = Math.max(...all.values());
        expect(store.revision).toBeGreaterThanOrEqual(maxAcked);
        const { revision } = await store.put({ key: Buffer.from('after-restart'), value: Buffer.from('x') });
        expect(revision).toBe(store.revision);
        expect(revision).toBeGreaterThan(maxAcked);
        // Revisions are dense: one per write, none reused.
        const revs = [...found.values()].sort((a, b) => a - b);
        expect(new Set(revs).size).toBe(revs.length);
      } finally {
        await store.close();
      }
    }
  }, 60_000);
});
