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
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ensureStateDir } from '@minik8s/client/state-dir';
import { Level } from 'level';
import { errors } from './errors.ts';
import { LevelApplier } from './internal/applier.ts';
import type { Batch, Job } from './internal/batch.ts';
import { interval } from './internal/key-range.ts';
import { checkReadRevision, rangeAt } from './internal/range.ts';
import { COMPACT_KEY, eventKey, leaseKey, u64 } from './internal/record.ts';
import { loadState, recoverWal } from './internal/recovery.ts';
import { checkTxnShape } from './internal/txn-check.ts';
import { TxnWriter } from './internal/txn-writer.ts';
import { encodeOps, type Wal } from './internal/wal.ts';
import { replayHistory } from './internal/watch-replay.ts';
import { KvIndex } from './kv-index.ts';
import { Lessor, MAX_LEASE_TTL, MIN_LEASE_TTL } from './lessor.ts';
import type {
  DeleteRangeRequest,
  DeleteRangeResponse,
  LeaseInfo,
  PutRequest,
  PutResponse,
  RangeRequest,
  RangeResponse,
  RequestOp,
  TxnRequest,
  TxnResponse,
} from './types.ts';
import { Watcher, WatchHub, type WatchOptions, type WatchSink } from './watch-hub.ts';

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

/** Most key and value bytes one group commit takes before the rest wait for the next. */
const MAX_BATCH_BYTES = 4 * 1024 * 1024;

export class Store {
  private readonly index = new KvIndex();
  readonly hub = new WatchHub();
  private readonly lessor: Lessor;
  private readonly writer: TxnWriter;
  private committedRev = 1;
  private compactedRev = 0;
  private queue: Job[] = [];
  private writing = false;
  /** How many requests the last group commit took. */
  private lastBatch = 0;
  private wal!: Wal;
  /** Made with the WAL, as the store opens. */
  private applier!: LevelApplier;
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
    this.writer = new TxnWriter({
      index: this.index,
      lessor: this.lessor,
      remember: (main, sub, kv) => this.applier.remember(main, sub, kv),
      resolve: (found) => this.applier.resolve(found),
      compactedRevision: () => this.compactedRev,
    });
    this.leaseTimer = setInterval(() => this.revokeExpired(), opts.leaseCheckIntervalMs ?? 500);
    this.leaseTimer.unref();
  }

  static async open(opts: StoreOptions): Promise<Store> {
    // Private, as etcd keeps its data directory: 0700 for the directory and its two parts.
    for (const dir of [opts.dataDir, join(opts.dataDir, 'wal'), join(opts.dataDir, 'db')]) ensureStateDir(dir);
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

  /** Recovers the WAL, then rebuilds the index, the revision counter and the leases from disk. */
  private async load(): Promise<void> {
    const { wal, appliedSeq } = await recoverWal(this.db, join(this.opts.dataDir, 'wal'));
    this.wal = wal;
    this.applier = new LevelApplier(this.db, wal, appliedSeq, (e) => this.fail(e, []));
    const loaded = await loadState(this.db, this.index, this.lessor);
    this.clusterId = loaded.clusterId;
    this.memberId = loaded.memberId;
    this.compactedRev = loaded.compactedRev;
    this.writer.head = this.committedRev = loaded.revision;
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
    await this.applier?.close();
    await this.db.close();
  }

  private checkUsable(): void {
    if (this.closed || this.fatal) throw errors.stopped();
  }

  // ---------------------------------------------------------------- reads

  async range(req: RangeRequest): Promise<RangeResponse> {
    this.checkUsable();
    if (req.key.length === 0) throw errors.emptyKey();
    checkReadRevision(req.revision, this.committedRev, this.compactedRev);
    return rangeAt(this.index, (found) => this.applier.resolve(found), req, req.revision || this.committedRev, this.committedRev);
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
    return this.enqueue((batch) => this.writer.run(req, batch));
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
        this.applier.apply({ seq, revision: this.writer.head, ops: batch.ops, refs: batch.refs });
      } catch (e) {
        this.fail(e, jobs);
        this.writing = false;
        return;
      }
    }
    this.committedRev = this.writer.head;
    jobs.forEach((job, i) => {
      const r = results[i]!;
      if (r.ok) job.resolve(r.value);
      else job.reject(r.value);
    });
    this.hub.publish(batch.events, this.committedRev);
    setImmediate(() => void this.pump());
  }

  /** A failed disk write leaves memory ahead of disk: stop, and let a restart recover. */
  private fail(err: unknown, jobs: Job[]): void {
    this.fatal = err;
    this.applier.stop();
    const stopped = errors.stopped();
    for (const j of [...jobs, ...this.queue.splice(0)]) j.reject(stopped);
    this.hub.closeAll();
    this.opts.onFatal?.(err);
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
      this.writer.revokeLease(lease, batch);
      return { revision: this.writer.head };
    });
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
        if (lease && lease.expiresAt <= (this.opts.now ?? Date.now)()) this.writer.revokeLease(lease, batch);
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
      const deps = { db: this.db, index: this.index, applier: this.applier, revision: () => this.committedRev };
      replayHistory(deps, watcher, iv, start, upTo, prevKv).then(
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
}
