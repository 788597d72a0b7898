/**
 * Opening the store from disk: first the WAL records LevelDB had not applied before a
 * crash, then the key index, the revision counter and the leases from LevelDB.
 */
import { randomBytes } from 'node:crypto';
import type { Level } from 'level';
import type { KvIndex } from '../kv-index.ts';
import type { Lessor } from '../lessor.ts';
import type { LevelOp } from './batch.ts';
import { interval, toBin } from './key-range.ts';
import { COMPACT_KEY, decodeEvent, EVENTS_END, EVENTS_START, IDS_KEY, LEASES_END, LEASES_START, parseLeaseKey, readU64At0, u64, WALSEQ_KEY } from './record.ts';
import { decodeOps, Wal } from './wal.ts';

/**
 * Puts every WAL record LevelDB had not applied into LevelDB, syncs it, and starts a
 * fresh log. After this, LevelDB alone holds every acknowledged write.
 */
export async function recoverWal(db: Level<Buffer, Buffer>, walDir: string): Promise<{ wal: Wal; appliedSeq: number }> {
  const applied = await db.get(WALSEQ_KEY);
  let seq = applied ? readU64At0(applied) : 0;
  const ops: LevelOp[] = [];
  for (const r of Wal.read(walDir)) {
    if (r.seq <= seq) continue;
    ops.push(...decodeOps(r.payload));
    seq = r.seq;
  }
  ops.push({ type: 'put', key: WALSEQ_KEY, value: u64(seq) });
  await db.batch(ops, { sync: true });
  return { wal: Wal.create(walDir, seq + 1), appliedSeq: seq };
}

export interface LoadedState {
  clusterId: bigint;
  memberId: bigint;
  compactedRev: number;
  /** The last revision on disk (at least 1). */
  revision: number;
}

/** Rebuilds `index` and `lessor` from LevelDB; makes the cluster and member ids on first open. */
export async function loadState(db: Level<Buffer, Buffer>, index: KvIndex, lessor: Lessor): Promise<LoadedState> {
  let ids = await db.get(IDS_KEY);
  if (!ids) {
    ids = randomBytes(16);
    ids[0]! &= 0x7f;
    ids[8]! &= 0x7f;
    await db.put(IDS_KEY, ids, { sync: true });
  }
  const compact = await db.get(COMPACT_KEY);
  const compactedRev = compact ? readU64At0(compact) : 0;
  let last = 0;
  for await (const [k, v] of db.iterator({ gte: EVENTS_START, lt: EVENTS_END })) {
    const e = decodeEvent(k, v);
    const bin = toBin(e.kv.key);
    // Copy out of the record so the rest of it can be freed.
    if (e.tombstone) index.tombstone(bin, e.main, e.sub);
    else index.put(bin, e.main, e.sub, { ...e.kv, key: Buffer.from(e.kv.key), value: Buffer.from(e.kv.value) });
    last = e.main;
  }
  for await (const [k, v] of db.iterator({ gte: LEASES_START, lt: LEASES_END })) {
    lessor.add(parseLeaseKey(k), readU64At0(v));
  }
  index.scan(interval(Buffer.from([0]), Buffer.from([0])), (k, h) => {
    if (h.latest && h.latest.lease !== 0n) lessor.attach(h.latest.lease, k);
    return true;
  });
  return { clusterId: ids.readBigUInt64BE(0), memberId: ids.readBigUInt64BE(8), compactedRev, revision: Math.max(1, last, compactedRev) };
}
