import { closeSync, mkdtempSync, openSync, readdirSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Store } from '../store.ts';
import { encodeEvent, eventKey } from './record.ts';
import { decodeOps, encodeOps, Wal } from './wal.ts';

const dirs: string[] = [];
const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), 'etcdlite-wal-'));
  dirs.push(d);
  return d;
};
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('Wal', () => {
  it('reads back what it appended, across segments, and drops released ones', async () => {
    const dir = tmp();
    const wal = Wal.create(dir, 1, 4096);
    const payloads = Array.from({ length: 20 }, (_, i) => Buffer.alloc(300 + i, i));
    const seqs = payloads.map((p) => wal.append(p));
    expect(seqs).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    // A record bigger than a segment gets a segment of its own.
    expect(wal.append(Buffer.alloc(10_000, 7))).toBe(21);
    const segments = readdirSync(dir).filter((n) => n.endsWith('.wal'));
    expect(segments.length).toBeGreaterThan(2);
    expect(Wal.read(dir).map((r) => r.seq)).toEqual(Array.from({ length: 21 }, (_, i) => i + 1));
    expect(Wal.read(dir)[3]!.payload).toEqual(payloads[3]);
    expect(wal.hasReleasable(1)).toBe(false);
    expect(wal.hasReleasable(20)).toBe(true);
    await wal.release(20);
    expect(readdirSync(dir).filter((n) => n.endsWith('.wal')).length).toBeLessThan(segments.length);
    expect(Wal.read(dir).at(-1)!.seq).toBe(21);
    wal.close();
  });

  it('stops at a torn record', () => {
    const dir = tmp();
    const wal = Wal.create(dir, 1, 1 << 16);
    wal.append(Buffer.from('one'));
    wal.append(Buffer.from('two'));
    wal.close();
    const [name] = readdirSync(dir).filter((n) => n.endsWith('.wal'));
    // Corrupt one byte of the second record's payload: its checksum no longer matches.
    const fd = openSync(join(dir, name!), 'r+');
    writeSync(fd, Buffer.from('X'), 0, 1, 16 + 3 + 16);
    closeSync(fd);
    expect(Wal.read(dir).map((r) => r.payload.toString())).toEqual(['one']);
  });

  it('encodes LevelDB operations losslessly', () => {
    const ops = [
      { type: 'put' as const, key: Buffer.from('a'), value: Buffer.from('1') },
      { type: 'del' as const, key: Buffer.from('b') },
      { type: 'put' as const, key: Buffer.from([0, 255]), value: Buffer.alloc(0) },
    ];
    expect(decodeOps(encodeOps(ops))).toEqual(ops);
  });
});

describe('Store recovery from the WAL', () => {
  it('replays a committed record that LevelDB never got', async () => {
    const dir = tmp();
    const store = await Store.open({ dataDir: dir });
    await store.put({ key: Buffer.from('before'), value: Buffer.from('1') }); // revision 2
    await store.close();
    // As if the process died right after the WAL sync, before LevelDB applied revision 3.
    const kv = { key: Buffer.from('after'), value: Buffer.from('2'), createRevision: 3, modRevision: 3, version: 1, lease: 0n };
    const walDir = join(dir, 'wal');
    const last = Wal.read(walDir).at(-1)?.seq ?? 0;
    const wal = Wal.create(walDir, last + 100);
    wal.append(encodeOps([{ type: 'put', key: eventKey(3, 0), value: encodeEvent(kv, false) }]));
    wal.close();
    const again = await Store.open({ dataDir: dir });
    try {
      expect(again.revision).toBe(3);
      const got = await again.range({ key: Buffer.from('after') });
      expect(got.kvs[0]).toMatchObject({ modRevision: 3, value: Buffer.from('2') });
      expect((await again.put({ key: Buffer.from('next'), value: Buffer.alloc(0) })).revision).toBe(4);
    } finally {
      await again.close();
    }
    // Replayed once: a second open finds the same state.
    const third = await Store.open({ dataDir: dir });
    expect(third.revision).toBe(4);
    await third.close();
  });
});
