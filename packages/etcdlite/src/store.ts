/**
 * The MVCC store. One writer applies requests in order and commits each group of them as
 * one record in the write-ahead log, synced to disk (group commit): a write is
 * acknowledged only once it is on disk, and concurrent writers share a sync. LevelDB then
 * gets the same operations in the background; records it had not applied before a crash
 * are replayed on open. Reads are served at the last committed revision, so nobody ever
 * sees a write that a crash could still take back.
 *
 * On disk: <dataDir>/db (LevelDB) and <dataDir>/wal (the log).
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Level } from 'level';
import { errors } from './errors.ts';
import { type BinKey, contains, interval, type KeyInterval, overlaps, toBin } from './internal/key-range.ts';
import {
  COMPACT_KEY,
  decodeEvent,
  EVENTS_END,
  EVENTS_START,
  encodeEvent,
  eventKey,
  IDS_KEY,
  LEASES_END,
  LEASES_START,
  leaseKey,
  parseLeaseKey,
  readU64At0,
  u64,
  WALSEQ_KEY,
} from './internal/record.ts';
import { decodeOps, encodeOps, Wal } from './internal/wal.ts';
import { type KeyHistory, KvIndex, type RevisionRef } from './kv-index.ts';
import { type Lease, Lessor, MAX_LEASE_TTL, MIN_LEASE_TTL } from './lessor.ts';
import type {
  Compare,
  DeleteRangeRequest,
  DeleteRangeResponse,
  Event,
  KeyValue,
  LeaseInfo,
  PutRequest,
  PutResponse,
  RangeRequest,
  RangeResponse,
  RequestOp,
  ResponseOp,
  TxnRequest,
  TxnResponse,
} from './types.ts';
import { type CommittedEvent, Watcher, WatchHub, type WatchOptions, type WatchSink } from './watch-hub.ts';

export interface StoreOptions {
  dataDir: string;
  /** Clock in ms; injectable for tests. */
  now?: () => number;
  minLeaseTtl?: number;
  /** How often expired leases are looked for. */
  leaseCheckIntervalMs?: number;
  /** etcd's --max-txn-ops. */
  maxTxnOps?: number;
  /** Most requests a group commit takes at once. */
  maxBatch?: number;
  /** Called once if the disk fails; the store then refuses every request. */
  onFatal?: (err: unknown) => void;
}

export interface WatchRequest {
  key: Buffer;
  rangeEnd?: Buffer | undefined;
  startRevision?: number | undefined;
  prevKv?: boolean | undefined;
  noPut?: boolean | undefined;
  noDelete?: boolean | undefined;
}

export interface WatchHandle {
  readonly synced: boolean;
  cancel(): void;
}

type LevelOp = { type: 'put'; key: Buffer; value: Buffer } | { type: 'del'; key: Buffer };

/** What one request does to the store while the writer runs it. */
interface TxnContext {
  begin: number;
  changed: boolean;
  sub: number;
}

interface Job {
  run(batch: Batch): unknown;
  resolve(v: unknown): void;
  reject(e: unknown): void;
}

interface Batch {
  ops: LevelOp[];
  events: CommittedEvent[];
  /** Records this batch writes, readable from memory until LevelDB has them. */
  refs: string[];
}

/** A committed batch on its way into LevelDB. */
interface Applying {
  seq: number;
  revision: number;
  ops: LevelOp[];
  refs: string[];
}

const EMPTY = Buffer.alloc(0);
/** Most key and value bytes one group commit takes before the rest wait for the next. */
const MAX_BATCH_BYTES = 4 * 1024 * 1024;
/** How long committed batches gather before they are written to LevelDB together. */
const APPLY_DELAY_MS = 5;
const refId = (main: number, sub: number) => `${main}:${sub}`;

interface TxnPath {
  succeeded: boolean;
  nested: TxnPath[];
}

export class Store {
  private readonly index = new KvIndex();
  readonly hub = new WatchHub();
  private readonly lessor: Lessor;
  /** Revision including applied but not yet committed writes. */
  private headRev = 1;
  private committedRev = 1;
  private compactedRev = 0;
  private queue: Job[] = [];
  private writing = false;
  /** How many requests the last group commit took. */
  private lastBatch = 0;
  private wal!: Wal;
  /** Event records committed to the WAL but not yet in LevelDB, by revision. */
  private readonly unapplied = new Map<string, KeyValue>();
  private applyQueue: Applying[] = [];
  private applying: Promise<void> | undefined;
  private appliedSeq = 0;
  private appliedRev = 1;
  private applyWaiters: Array<{ rev: number; resolve: () => void }> = [];
  private fatal: unknown;
  private closed = false;
  private readonly leaseTimer: NodeJS.Timeout;
  private readonly maxTxnOps: number;
  private readonly maxBatch: number;

  private constructor(
    private readonly db: Level<Buffer, Buffer>,
    private readonly opts: StoreOptions,
  ) {
    const now = opts.now ?? Date.now;
    this.lessor = new Lessor(now, opts.minLeaseTtl ?? MIN_LEASE_TTL);
    this.maxTxnOps = opts.maxTxnOps ?? 128;
    this.maxBatch = opts.maxBatch ?? 2048;
    this.leaseTimer = setInterval(() => this.revokeExpired(), opts.leaseCheckIntervalMs ?? 500);
    this.leaseTimer.unref();
  }

  static async open(opts: StoreOptions): Promise<Store> {
    mkdirSync(join(opts.dataDir, 'wal'), { recursive: true });
    const db = new Level<Buffer, Buffer>(join(opts.dataDir, 'db'), { keyEncoding: 'buffer', valueEncoding: 'buffer' });
    await db.open();
    const store = new Store(db, opts);
    try {
      await store.load();
    } catch (e) {
      await store.close();
      throw e;
    }
    return store;
  }

  /** Rebuilds the index, the revision counter and the leases from disk. */
  private async load(): Promise<void> {
    await this.recoverWal();
    let ids = await this.db.get(IDS_KEY);
    if (!ids) {
      ids = randomBytes(16);
      ids[0]! &= 0x7f;
      ids[8]! &= 0x7f;
      await this.db.put(IDS_KEY, ids, { sync: true });
    }
    this.clusterId = ids.readBigUInt64BE(0);
    this.memberId = ids.readBigUInt64BE(8);
    const compact = await this.db.get(COMPACT_KEY);
    if (compact) this.compactedRev = readU64At0(compact);
    let last = 0;
    for await (const [k, v] of this.db.iterator({ gte: EVENTS_START, lt: EVENTS_END })) {
      const e = decodeEvent(k, v);
      const bin = toBin(e.kv.key);
      // Copy out of the record so the rest of it can be freed.
      if (e.tombstone) this.index.tombstone(bin, e.main, e.sub);
      else this.index.put(bin, e.main, e.sub, { ...e.kv, key: Buffer.from(e.kv.key), value: Buffer.from(e.kv.value) });
      last = e.main;
    }
    this.headRev = this.committedRev = Math.max(1, last, this.compactedRev);
    for await (const [k, v] of this.db.iterator({ gte: LEASES_START, lt: LEASES_END })) {
      this.lessor.add(parseLeaseKey(k), readU64At0(v));
    }
    this.index.scan(interval(Buffer.from([0]), Buffer.from([0])), (k, h) => {
      if (h.latest && h.latest.lease !== 0n) this.lessor.attach(h.latest.lease, k);
      return true;
    });
  }

  /** Stable identities for response headers, made on first open. */
  clusterId = 0n;
  memberId = 0n;

  get usable(): boolean {
    return !this.closed && !this.fatal;
  }

  /** Bytes the database takes on disk. */
  async approximateSize(): Promise<number> {
    let n = 0;
    for (const sub of ['db', 'wal']) {
      const dir = join(this.opts.dataDir, sub);
      if (!existsSync(dir)) continue;
      for (const f of readdirSync(dir)) {
        try {
          n += statSync(join(dir, f)).size;
        } catch {
          // a file removed while we looked
        }
      }
    }
    return n;
  }

  /**
   * Puts every WAL record LevelDB had not applied into LevelDB, syncs it, and starts a
   * fresh log. After this, LevelDB alone holds every acknowledged write.
   */
  private async recoverWal(): Promise<void> {
    const walDir = join(this.opts.dataDir, 'wal');
    const applied = await this.db.get(WALSEQ_KEY);
    let seq = applied ? readU64At0(applied) : 0;
    const ops: LevelOp[] = [];
    for (const r of Wal.read(walDir)) {
      if (r.seq <= seq) continue;
      ops.push(...decodeOps(r.payload));
      seq = r.seq;
    }
    ops.push({ type: 'put', key: WALSEQ_KEY, value: u64(seq) });
    await this.db.batch(ops, { sync: true });
    this.appliedSeq = seq;
    this.wal = Wal.create(walDir, seq + 1);
  }

  get revision(): number {
    return this.committedRev;
  }

  get compactRevision(): number {
    return this.compactedRev;
  }

  get keyCount(): number {
    return this.index.keyCount;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.leaseTimer);
    this.hub.closeAll();
    while (this.writing) await new Promise((r) => setTimeout(r, 1));
    for (const j of this.queue.splice(0)) j.reject(errors.stopped());
    if (this.wal) {
      while (this.applying) await this.applying;
      // Everything is in LevelDB now: sync it, and the next open has nothing to replay.
      if (!this.fatal) await this.db.put(WALSEQ_KEY, u64(this.appliedSeq), { sync: true }).catch(() => {});
      this.wal.close();
    }
    await this.db.close();
  }

  private checkUsable(): void {
    if (this.closed || this.fatal) throw errors.stopped();
  }

  // ---------------------------------------------------------------- reads

  async range(req: RangeRequest): Promise<RangeResponse> {
    this.checkUsable();
    if (req.key.length === 0) throw errors.emptyKey();
    this.checkReadRevision(req.revision, this.committedRev);
    return this.rangeAt(req, req.revision || this.committedRev, this.committedRev);
  }

  private checkReadRevision(rev: number | undefined, current: number): void {
    if (rev === undefined || rev === 0) return;
    if (rev < 0) throw errors.negativeRevision();
    if (rev > current) throw errors.futureRevision();
    if (rev < this.compactedRev) throw errors.compacted();
  }

  /** etcd's range: fetch, filter by revision bounds, sort, then cut to the limit. */
  private async rangeAt(req: RangeRequest, rev: number, headerRev: number): Promise<RangeResponse> {
    const sortOrder = req.sortOrder ?? 'NONE';
    const sortTarget = req.sortTarget ?? 'KEY';
    const filtered = !!req.minModRevision || !!req.maxModRevision || !!req.minCreateRevision || !!req.maxCreateRevision;
    const reqLimit = req.limit ?? 0;
    const fetchLimit = sortOrder !== 'NONE' || filtered || reqLimit <= 0 ? 0 : reqLimit + 1;
    const found: Array<KeyValue | RevisionRef> = [];
    let count = 0;
    this.index.scan(interval(req.key, req.rangeEnd), (_k, h) => {
      const at = this.index.at(h, rev);
      if (!at) return true;
      count++;
      if (!req.countOnly && (fetchLimit === 0 || found.length < fetchLimit)) {
        found.push('kv' in at ? at.kv : at.ref);
      }
      return true;
    });
    let kvs = await this.resolve(found);
    if (filtered) {
      kvs = kvs.filter(
        (kv) =>
          (!req.minModRevision || kv.modRevision >= req.minModRevision) &&
          (!req.maxModRevision || kv.modRevision <= req.maxModRevision) &&
          (!req.minCreateRevision || kv.createRevision >= req.minCreateRevision) &&
          (!req.maxCreateRevision || kv.createRevision <= req.maxCreateRevision),
      );
    }
    const order = sortTarget !== 'KEY' && sortOrder === 'NONE' ? 'ASCEND' : sortOrder;
    if (order !== 'NONE' && !(order === 'ASCEND' && sortTarget === 'KEY')) {
      const cmp = comparator(sortTarget);
      kvs.sort(order === 'ASCEND' ? cmp : (a, b) => cmp(b, a));
    }
    let more = false;
    if (reqLimit > 0 && kvs.length > reqLimit) {
      kvs = kvs.slice(0, reqLimit);
      more = true;
    }
    if (req.keysOnly) kvs = kvs.map((kv) => ({ ...kv, value: EMPTY }));
    return { revision: headerRev, kvs, more, count };
  }

  /** Turns revision references into values, from this batch's records or from disk. */
  private async resolve(found: Array<KeyValue | RevisionRef>): Promise<KeyValue[]> {
    const missing: number[] = [];
    const out = found.map((f, i) => {
      if ('key' in f) return f;
      const p = this.unapplied.get(refId(f.main, f.sub));
      if (p) return p;
      missing.push(i);
      return undefined;
    });
    if (missing.length > 0) {
      const recs = await this.db.getMany(
        missing.map((i) => {
          const r = found[i] as RevisionRef;
          return eventKey(r.main, r.sub);
        }),
      );
      missing.forEach((i, j) => {
        const rec = recs[j];
        // Compacted away while we were reading: the reader asked for an old revision.
        if (!rec) throw errors.compacted();
        const r = found[i] as RevisionRef;
        out[i] = decodeEvent(eventKey(r.main, r.sub), rec).kv;
      });
    }
    return out as KeyValue[];
  }

  // ---------------------------------------------------------------- writes

  put(req: PutRequest): Promise<PutResponse> {
    return this.txnOne({ put: req }) as Promise<PutResponse>;
  }

  deleteRange(req: DeleteRangeRequest): Promise<DeleteRangeResponse> {
    return this.txnOne({ deleteRange: req }) as Promise<DeleteRangeResponse>;
  }

  private async txnOne(op: RequestOp): Promise<unknown> {
    const res = await this.txn({ compare: [], success: [op], failure: [] });
    const r = res.responses[0]!;
    return 'put' in r ? r.put : 'deleteRange' in r ? r.deleteRange : r;
  }

  txn(req: TxnRequest): Promise<TxnResponse> {
    this.checkUsable();
    checkTxnShape(req, this.maxTxnOps);
    return this.enqueue((batch) => this.runTxn(req, batch));
  }

  private enqueue<T>(run: (batch: Batch) => T): Promise<Awaited<T>> {
    return new Promise((resolve, reject) => {
      this.queue.push({ run, resolve: resolve as (v: unknown) => void, reject });
      // Start the writer after this turn of the event loop has read every request that
      // arrived, so they all share one sync (the sync blocks the loop while it runs).
      if (!this.writing) {
        this.writing = true;
        setImmediate(() => void this.pump());
      }
    });
  }

  /** The single writer: apply queued requests in order, commit them with one sync. */
  /** The single writer: one group commit per call, then again after the next I/O turn. */
  private async pump(): Promise<void> {
    if (this.queue.length === 0 || this.fatal) {
      this.writing = false;
      return;
    }
    // When the last sync was shared by many writers, give those still sending a few more
    // turns of the event loop to arrive, so they share this sync too.
    for (let turn = 0; turn < 4 && this.queue.length < this.lastBatch / 2; turn++) {
      await new Promise((r) => setImmediate(r));
    }
    this.lastBatch = this.queue.length;
    const jobs: Job[] = [];
    const batch: Batch = { ops: [], events: [], refs: [] };
    const results: Array<{ ok: boolean; value: unknown }> = [];
    // Take requests until the batch is big enough; later ones wait for the next sync.
    let bytes = 0;
    while (this.queue.length > 0 && jobs.length < this.maxBatch && bytes < MAX_BATCH_BYTES) {
      const job = this.queue.shift()!;
      jobs.push(job);
      const before = batch.ops.length;
      try {
        results.push({ ok: true, value: await job.run(batch) });
      } catch (e) {
        results.push({ ok: false, value: e });
      }
      for (let i = before; i < batch.ops.length; i++) {
        const op = batch.ops[i]!;
        bytes += op.key.length + (op.type === 'put' ? op.value.length : 0);
      }
    }
    if (batch.ops.length > 0) {
      try {
        const seq = this.wal.append(encodeOps(batch.ops));
        this.apply({ seq, revision: this.headRev, ops: batch.ops, refs: batch.refs });
      } catch (e) {
        this.fail(e, jobs);
        this.writing = false;
        return;
      }
    }
    this.committedRev = this.headRev;
    jobs.forEach((job, i) => {
      const r = results[i]!;
      if (r.ok) job.resolve(r.value);
      else job.reject(r.value);
    });
    this.hub.publish(batch.events, this.committedRev);
    setImmediate(() => void this.pump());
  }

  /**
   * Hands a committed batch to LevelDB, in commit order, without waiting for it. Batches
   * are gathered for a few milliseconds first: fewer, larger LevelDB writes leave the CPU
   * and the disk to the synced WAL writes that clients wait for.
   */
  private apply(a: Applying): void {
    this.applyQueue.push(a);
    this.scheduleApply();
  }

  private scheduleApply(): void {
    this.applying ??= new Promise<void>((r) => setTimeout(r, APPLY_DELAY_MS))
      .then(() => this.drainApply())
      .finally(() => {
        this.applying = undefined;
        if (this.applyQueue.length > 0 && !this.fatal) this.scheduleApply();
      });
  }

  private async drainApply(): Promise<void> {
    while (this.applyQueue.length > 0 && !this.fatal) {
      const items = this.applyQueue.splice(0);
      const last = items[items.length - 1]!;
      const ops = items.flatMap((a) => a.ops);
      ops.push({ type: 'put', key: WALSEQ_KEY, value: u64(last.seq) });
      try {
        await this.db.batch(ops);
        // A full WAL segment can go once LevelDB has its records on disk.
        if (this.wal.hasReleasable(last.seq)) {
          await this.db.put(WALSEQ_KEY, u64(last.seq), { sync: true });
          await this.wal.release(last.seq);
        }
      } catch (e) {
        this.fail(e, []);
        return;
      }
      this.appliedSeq = last.seq;
      this.appliedRev = last.revision;
      for (const a of items) for (const r of a.refs) this.unapplied.delete(r);
      const ready = this.applyWaiters.filter((w) => w.rev <= this.appliedRev);
      this.applyWaiters = this.applyWaiters.filter((w) => w.rev > this.appliedRev);
      for (const w of ready) w.resolve();
    }
  }

  /** Resolves once LevelDB holds every write up to `rev`. */
  private whenApplied(rev: number): Promise<void> {
    if (this.appliedRev >= rev || this.applyQueue.length + (this.applying ? 1 : 0) === 0) return Promise.resolve();
    return new Promise((resolve) => this.applyWaiters.push({ rev, resolve }));
  }

  /** A failed disk write leaves memory ahead of disk: stop, and let a restart recover. */
  private fail(err: unknown, jobs: Job[]): void {
    this.fatal = err;
    for (const w of this.applyWaiters.splice(0)) w.resolve();
    const stopped = errors.stopped();
    for (const j of [...jobs, ...this.queue.splice(0)]) j.reject(stopped);
    this.hub.closeAll();
    this.opts.onFatal?.(err);
  }

  private async runTxn(req: TxnRequest, batch: Batch): Promise<TxnResponse> {
    const ctx: TxnContext = { begin: this.headRev, changed: false, sub: 0 };
    const path = this.txnPath(req);
    this.checkPath(req, path);
    const res = await this.applyTxn(req, path, ctx, batch);
    return { ...res, revision: this.headRev };
  }

  /** All compares, nested ones included, are decided before anything is written (as etcd). */
  private txnPath(req: TxnRequest): TxnPath {
    const succeeded = req.compare.every((c) => this.compare(c));
    const ops = succeeded ? req.success : req.failure;
    return { succeeded, nested: ops.flatMap((op) => ('txn' in op ? [this.txnPath(op.txn)] : [])) };
  }

  private compare(c: Compare): boolean {
    const kvs: KeyValue[] = [];
    this.index.scan(interval(c.key, c.rangeEnd), (_k, h) => {
      if (h.latest) kvs.push(h.latest);
      return true;
    });
    if (kvs.length === 0) {
      if (c.target === 'VALUE') return false;
      return compareOne(c, { key: c.key, value: EMPTY, createRevision: 0, modRevision: 0, version: 0, lease: 0n });
    }
    return kvs.every((kv) => compareOne(c, kv));
  }

  /** Requests that would fail are refused before any of the transaction is applied. */
  private checkPath(req: TxnRequest, path: TxnPath): void {
    let nested = 0;
    for (const op of path.succeeded ? req.success : req.failure) {
      if ('put' in op) {
        const p = op.put;
        if ((p.ignoreValue || p.ignoreLease) && !this.index.latest(toBin(p.key))) throw errors.keyNotFound();
        if (p.lease && p.lease !== 0n && !this.lessor.lookup(p.lease)) throw errors.leaseNotFound();
      } else if ('range' in op) {
        this.checkReadRevision(op.range.revision, this.headRev);
      } else if ('txn' in op) {
        this.checkPath(op.txn, path.nested[nested++]!);
      }
    }
  }

  private async applyTxn(req: TxnRequest, path: TxnPath, ctx: TxnContext, batch: Batch): Promise<TxnResponse> {
    const responses: ResponseOp[] = [];
    let nested = 0;
    for (const op of path.succeeded ? req.success : req.failure) {
      if ('put' in op) responses.push({ put: this.applyPut(op.put, ctx, batch) });
      else if ('deleteRange' in op) responses.push({ deleteRange: this.applyDelete(op.deleteRange, ctx, batch) });
      else if ('range' in op) {
        const rev = this.headRev;
        responses.push({ range: await this.rangeAt(op.range, op.range.revision || rev, rev) });
      } else {
        const sub = await this.applyTxn(op.txn, path.nested[nested++]!, ctx, batch);
        responses.push({ txn: { ...sub, revision: this.headRev } });
      }
    }
    return { revision: this.headRev, succeeded: path.succeeded, responses };
  }

  private bump(ctx: TxnContext): number {
    if (!ctx.changed) {
      ctx.changed = true;
      this.headRev = ctx.begin + 1;
    }
    return this.headRev;
  }

  private record(batch: Batch, main: number, sub: number, kv: KeyValue, tombstone: boolean): void {
    batch.ops.push({ type: 'put', key: eventKey(main, sub), value: encodeEvent(kv, tombstone) });
    if (!tombstone) {
      const id = refId(main, sub);
      this.unapplied.set(id, kv);
      batch.refs.push(id);
    }
  }

  private applyPut(p: PutRequest, ctx: TxnContext, batch: Batch): PutResponse {
    const k = toBin(p.key);
    const prev = this.index.latest(k);
    const main = this.bump(ctx);
    const sub = ctx.sub++;
    const lease = p.ignoreLease ? prev!.lease : (p.lease ?? 0n);
    const kv: KeyValue = {
      key: p.key,
      value: p.ignoreValue ? prev!.value : (p.value ?? EMPTY),
      createRevision: prev ? prev.createRevision : main,
      modRevision: main,
      version: prev ? prev.version + 1 : 1,
      lease,
    };
    this.index.put(k, main, sub, kv);
    this.record(batch, main, sub, kv, false);
    batch.events.push({ k, event: { type: 'PUT', kv, prevKv: prev ?? undefined } });
    if (prev && prev.lease !== 0n && prev.lease !== lease) this.lessor.detach(prev.lease, k);
    if (lease !== 0n) this.lessor.attach(lease, k);
    return { revision: main, prevKv: p.prevKv ? (prev ?? undefined) : undefined };
  }

  private applyDelete(d: DeleteRangeRequest, ctx: TxnContext, batch: Batch): DeleteRangeResponse {
    const victims: Array<[BinKey, KeyValue]> = [];
    this.index.scan(interval(d.key, d.rangeEnd), (k, h) => {
      if (h.latest) victims.push([k, h.latest]);
      return true;
    });
    this.deleteKeys(victims, ctx, batch);
    return { revision: this.headRev, deleted: victims.length, prevKvs: d.prevKv ? victims.map((v) => v[1]) : [] };
  }

  private deleteKeys(victims: Array<[BinKey, KeyValue]>, ctx: TxnContext, batch: Batch): void {
    for (const [k, prev] of victims) {
      const main = this.bump(ctx);
      const sub = ctx.sub++;
      const kv: KeyValue = { key: prev.key, value: EMPTY, createRevision: 0, modRevision: main, version: 0, lease: 0n };
      this.index.tombstone(k, main, sub);
      this.record(batch, main, sub, kv, true);
      batch.events.push({ k, event: { type: 'DELETE', kv, prevKv: prev } });
      if (prev.lease !== 0n) this.lessor.detach(prev.lease, k);
    }
  }

  // ---------------------------------------------------------------- compaction

  /** Forgets every revision below `rev` (keeping each key's value as of `rev`). */
  compact(rev: number): Promise<void> {
    this.checkUsable();
    return this.enqueue((batch) => {
      if (rev > this.committedRev) throw errors.futureRevision();
      if (rev <= this.compactedRev) throw errors.compacted();
      this.compactedRev = rev;
      for (const r of this.index.compact(rev)) batch.ops.push({ type: 'del', key: eventKey(r.main, r.sub) });
      batch.ops.push({ type: 'put', key: COMPACT_KEY, value: u64(rev) });
    });
  }

  // ---------------------------------------------------------------- leases

  leaseGrant(ttl: number, id = 0n): Promise<{ id: bigint; ttl: number }> {
    this.checkUsable();
    if (ttl > MAX_LEASE_TTL) return Promise.reject(errors.leaseTTLTooLarge());
    return this.enqueue((batch) => {
      if (id !== 0n && this.lessor.raw(id)) throw errors.leaseExists();
      const lease = this.lessor.add(id === 0n ? this.lessor.freeId() : id, this.lessor.effectiveTtl(ttl));
      batch.ops.push({ type: 'put', key: leaseKey(lease.id), value: u64(lease.ttl) });
      return { id: lease.id, ttl: lease.ttl };
    });
  }

  /** Revokes a lease and deletes its keys, in one revision. */
  leaseRevoke(id: bigint): Promise<{ revision: number }> {
    this.checkUsable();
    return this.enqueue((batch) => {
      const lease = this.lessor.raw(id);
      if (!lease) throw errors.leaseNotFound();
      this.revokeNow(lease, batch);
      return { revision: this.headRev };
    });
  }

  private revokeNow(lease: Lease, batch: Batch): void {
    const victims: Array<[BinKey, KeyValue]> = [];
    for (const k of [...lease.keys].sort()) {
      const kv = this.index.latest(k);
      if (kv) victims.push([k, kv]);
    }
    this.deleteKeys(victims, { begin: this.headRev, changed: false, sub: 0 }, batch);
    this.lessor.remove(lease.id);
    batch.ops.push({ type: 'del', key: leaseKey(lease.id) });
  }

  /** Renews a lease; returns its TTL, or throws leaseNotFound when it is gone or expired. */
  leaseKeepAlive(id: bigint): number {
    this.checkUsable();
    const lease = this.lessor.lookup(id);
    if (!lease) throw errors.leaseNotFound();
    this.lessor.renew(lease);
    return lease.ttl;
  }

  leaseTimeToLive(id: bigint, withKeys: boolean): LeaseInfo | undefined {
    this.checkUsable();
    const lease = this.lessor.lookup(id);
    if (!lease) return undefined;
    return {
      id,
      ttl: this.lessor.remainingSeconds(lease),
      grantedTtl: lease.ttl,
      keys: withKeys ? [...lease.keys].sort().map((k) => Buffer.from(k, 'latin1')) : [],
    };
  }

  leases(): bigint[] {
    return [...this.lessor.all()].map((l) => l.id);
  }

  private revokeExpired(): void {
    if (this.closed || this.fatal) return;
    for (const id of this.lessor.expired()) {
      this.enqueue((batch) => {
        const lease = this.lessor.raw(id);
        if (lease && lease.expiresAt <= (this.opts.now ?? Date.now)()) this.revokeNow(lease, batch);
      }).catch(() => {});
    }
  }

  // ---------------------------------------------------------------- watch

  /**
   * Starts a watch. With a start revision at or below the current one, history is
   * replayed from disk first; live events that commit meanwhile are held back and
   * delivered right after, so the sink sees every event exactly once, in order.
   */
  watch(req: WatchRequest, sink: WatchSink, prevKv = !!req.prevKv): WatchHandle {
    this.checkUsable();
    const start = req.startRevision ?? 0;
    if (start < 0) throw errors.negativeRevision();
    if (start > 0 && start < this.compactedRev) {
      sink.compacted(this.compactedRev);
      return { synced: true, cancel() {} };
    }
    const iv = interval(req.key, req.rangeEnd);
    const options: WatchOptions = {
      interval: iv,
      minRevision: Math.max(start, this.committedRev + 1),
      noPut: req.noPut,
      noDelete: req.noDelete,
    };
    const watcher = new Watcher(options, sink, (w) => this.hub.remove(w));
    this.hub.add(watcher);
    const upTo = this.committedRev;
    if (start === 0 || start > upTo) watcher.markSynced(upTo);
    else {
      this.replay(watcher, iv, start, upTo, prevKv).then(
        () => watcher.markSynced(this.committedRev),
        () => this.hub.remove(watcher),
      );
    }
    const hub = this.hub;
    return {
      get synced() {
        return watcher.synced;
      },
      cancel() {
        hub.remove(watcher);
      },
    };
  }

  private async replay(w: Watcher, iv: KeyInterval, from: number, upTo: number, prevKv: boolean): Promise<void> {
    const o = w.options;
    let chunk: Event[] = [];
    let lastMain = 0;
    await this.whenApplied(upTo);
    const it = this.db.iterator({ gte: eventKey(from, 0), lt: eventKey(upTo + 1, 0) });
    try {
      for await (const [k, v] of it) {
        if (w.closed) return;
        const e = decodeEvent(k, v);
        const bin = toBin(e.kv.key);
        const type = e.tombstone ? 'DELETE' : 'PUT';
        if (type === 'PUT' ? o.noPut : o.noDelete) continue;
        if (!contains(iv, bin)) continue;
        // Never split one revision's events across two responses.
        if (chunk.length >= 1000 && e.main !== lastMain) {
          w.sink.events(chunk, this.committedRev);
          chunk = [];
        }
        lastMain = e.main;
        const kv: KeyValue = e.tombstone
          ? { key: Buffer.from(e.kv.key), value: EMPTY, createRevision: 0, modRevision: e.main, version: 0, lease: 0n }
          : { ...e.kv, key: Buffer.from(e.kv.key), value: Buffer.from(e.kv.value) };
        chunk.push({ type, kv, prevKv: prevKv ? await this.previous(bin, e.main, e.sub) : undefined });
      }
    } finally {
      await it.close();
    }
    if (chunk.length > 0 && !w.closed) w.sink.events(chunk, this.committedRev);
  }

  private async previous(k: BinKey, main: number, sub: number): Promise<KeyValue | undefined> {
    const h: KeyHistory | undefined = this.index.history(k);
    const r = h && this.index.before(h, main, sub);
    if (!r || r.tombstone) return undefined;
    try {
      return (await this.resolve([r]))[0];
    } catch {
      return undefined;
    }
  }
}

function compareOne(c: Compare, kv: KeyValue): boolean {
  let cmp: number;
  switch (c.target) {
    case 'VALUE':
      cmp = Buffer.compare(kv.value, c.value ?? EMPTY);
      break;
    case 'VERSION':
      cmp = kv.version - (c.version ?? 0);
      break;
    case 'CREATE':
      cmp = kv.createRevision - (c.createRevision ?? 0);
      break;
    case 'MOD':
      cmp = kv.modRevision - (c.modRevision ?? 0);
      break;
    case 'LEASE': {
      const want = c.lease ?? 0n;
      cmp = kv.lease === want ? 0 : kv.lease > want ? 1 : -1;
      break;
    }
  }
  switch (c.result) {
    case 'EQUAL':
      return cmp === 0;
    case 'NOT_EQUAL':
      return cmp !== 0;
    case 'GREATER':
      return cmp > 0;
    case 'LESS':
      return cmp < 0;
  }
}

function comparator(target: string): (a: KeyValue, b: KeyValue) => number {
  switch (target) {
    case 'VERSION':
      return (a, b) => a.version - b.version;
    case 'CREATE':
      return (a, b) => a.createRevision - b.createRevision;
    case 'MOD':
      return (a, b) => a.modRevision - b.modRevision;
    case 'VALUE':
      return (a, b) => Buffer.compare(a.value, b.value);
    default:
      return (a, b) => Buffer.compare(a.key, b.key);
  }
}

/**
 * etcd's static txn checks: at most maxOps operations per branch, no empty keys, and in
 * each branch no key put twice or both put and deleted.
 */
function checkTxnShape(req: TxnRequest, maxOps: number): void {
  if (req.compare.length > maxOps || req.success.length > maxOps || req.failure.length > maxOps) {
    throw errors.tooManyOps();
  }
  for (const c of req.compare) if (c.key.length === 0) throw errors.emptyKey();
  for (const branch of [req.success, req.failure]) {
    const puts = new Set<BinKey>();
    const deletes: KeyInterval[] = [];
    collectWrites(branch, puts, deletes, maxOps);
    for (const p of puts) {
      const iv: KeyInterval = { start: p, end: null };
      if (deletes.some((d) => overlaps(d, iv))) throw errors.duplicateKey();
    }
  }
}

function collectWrites(ops: RequestOp[], puts: Set<BinKey>, deletes: KeyInterval[], maxOps: number): void {
  for (const op of ops) {
    if ('put' in op) {
      if (op.put.key.length === 0) throw errors.emptyKey();
      if (op.put.ignoreValue && op.put.value && op.put.value.length > 0) throw errors.valueProvided();
      if (op.put.ignoreLease && op.put.lease && op.put.lease !== 0n) throw errors.leaseProvided();
      const k = toBin(op.put.key);
      if (puts.has(k)) throw errors.duplicateKey();
      puts.add(k);
    } else if ('deleteRange' in op) {
      if (op.deleteRange.key.length === 0) throw errors.emptyKey();
      deletes.push(interval(op.deleteRange.key, op.deleteRange.rangeEnd));
    } else if ('range' in op) {
      if (op.range.key.length === 0) throw errors.emptyKey();
    } else {
      checkTxnShape(op.txn, maxOps);
      // A nested branch writes in its parent's revision: check it against the parent's
      // writes so far, then count both branches' writes for the operations after it.
      const failurePuts = new Set(puts);
      const failureDeletes = [...deletes];
      collectWrites(op.txn.success, puts, deletes, maxOps);
      collectWrites(op.txn.failure, failurePuts, failureDeletes, maxOps);
      for (const p of failurePuts) puts.add(p);
      deletes.push(...failureDeletes);
    }
  }
}
