/**
 * The writer's side of the MVCC store: it decides a transaction's branches, refuses one
 * that would fail, then applies its operations to the key index at the next revision
 * and adds their event records to the batch being committed. Only the store's single
 * writer calls it, so `head` never races.
 */
import { errors } from '../errors.ts';
import type { KvIndex, RevisionRef } from '../kv-index.ts';
import type { Lease, Lessor } from '../lessor.ts';
import type { Compare, DeleteRangeRequest, DeleteRangeResponse, KeyValue, PutRequest, PutResponse, ResponseOp, TxnRequest, TxnResponse } from '../types.ts';
import { type Batch, EMPTY, tombstoneKv } from './batch.ts';
import { type BinKey, interval, toBin } from './key-range.ts';
import { checkReadRevision, rangeAt } from './range.ts';
import { encodeEvent, eventKey, leaseKey } from './record.ts';
import { compareOne } from './txn-check.ts';

export interface TxnWriterDeps {
  index: KvIndex;
  lessor: Lessor;
  /** Keeps a written value readable until LevelDB has it; returns its name for the batch. */
  remember(main: number, sub: number, kv: KeyValue): string;
  /** Turns references to older values into values (ranges inside a transaction). */
  resolve(found: Array<KeyValue | RevisionRef>): Promise<KeyValue[]>;
  compactedRevision(): number;
}

/** What one request does to the store while the writer runs it. */
interface TxnContext {
  begin: number;
  changed: boolean;
  sub: number;
}

/** The branch each compare chose, nested transactions included. */
interface TxnPath {
  succeeded: boolean;
  nested: TxnPath[];
}

export class TxnWriter {
  /** Revision including applied but not yet committed writes. */
  head = 1;

  constructor(private readonly d: TxnWriterDeps) {}

  async run(req: TxnRequest, batch: Batch): Promise<TxnResponse> {
    const ctx: TxnContext = { begin: this.head, changed: false, sub: 0 };
    const path = this.txnPath(req);
    this.checkPath(req, path);
    const res = await this.applyTxn(req, path, ctx, batch);
    return { ...res, revision: this.head };
  }

  /** Deletes a lease's keys in one revision, and the lease. */
  revokeLease(lease: Lease, batch: Batch): void {
    const victims: Array<[BinKey, KeyValue]> = [];
    for (const k of [...lease.keys].sort()) {
      const kv = this.d.index.latest(k);
      if (kv) victims.push([k, kv]);
    }
    this.deleteKeys(victims, { begin: this.head, changed: false, sub: 0 }, batch);
    this.d.lessor.remove(lease.id);
    batch.ops.push({ type: 'del', key: leaseKey(lease.id) });
  }

  /** All compares, nested ones included, are decided before anything is written (as etcd). */
  private txnPath(req: TxnRequest): TxnPath {
    const succeeded = req.compare.every((c) => this.compare(c));
    const ops = succeeded ? req.success : req.failure;
    return { succeeded, nested: ops.flatMap((op) => ('txn' in op ? [this.txnPath(op.txn)] : [])) };
  }

  private compare(c: Compare): boolean {
    const kvs: KeyValue[] = [];
    this.d.index.scan(interval(c.key, c.rangeEnd), (_k, h) => {
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
        if ((p.ignoreValue || p.ignoreLease) && !this.d.index.latest(toBin(p.key))) throw errors.keyNotFound();
        if (p.lease && p.lease !== 0n && !this.d.lessor.lookup(p.lease)) throw errors.leaseNotFound();
      } else if ('range' in op) {
        checkReadRevision(op.range.revision, this.head, this.d.compactedRevision());
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
        const rev = this.head;
        responses.push({ range: await rangeAt(this.d.index, this.d.resolve, op.range, op.range.revision || rev, rev) });
      } else {
        const sub = await this.applyTxn(op.txn, path.nested[nested++]!, ctx, batch);
        responses.push({ txn: { ...sub, revision: this.head } });
      }
    }
    return { revision: this.head, succeeded: path.succeeded, responses };
  }

  private bump(ctx: TxnContext): number {
    if (!ctx.changed) {
      ctx.changed = true;
      this.head = ctx.begin + 1;
    }
    return this.head;
  }

  private record(batch: Batch, main: number, sub: number, kv: KeyValue, tombstone: boolean): void {
    batch.ops.push({ type: 'put', key: eventKey(main, sub), value: encodeEvent(kv, tombstone) });
    if (!tombstone) batch.refs.push(this.d.remember(main, sub, kv));
  }

  private applyPut(p: PutRequest, ctx: TxnContext, batch: Batch): PutResponse {
    const k = toBin(p.key);
    const prev = this.d.index.latest(k);
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
    this.d.index.put(k, main, sub, kv);
    this.record(batch, main, sub, kv, false);
    batch.events.push({ k, event: { type: 'PUT', kv, prevKv: prev ?? undefined } });
    if (prev && prev.lease !== 0n && prev.lease !== lease) this.d.lessor.detach(prev.lease, k);
    if (lease !== 0n) this.d.lessor.attach(lease, k);
    return { revision: main, prevKv: p.prevKv ? (prev ?? undefined) : undefined };
  }

  private applyDelete(d: DeleteRangeRequest, ctx: TxnContext, batch: Batch): DeleteRangeResponse {
    const victims: Array<[BinKey, KeyValue]> = [];
    this.d.index.scan(interval(d.key, d.rangeEnd), (k, h) => {
      if (h.latest) victims.push([k, h.latest]);
      return true;
    });
    this.deleteKeys(victims, ctx, batch);
    return { revision: this.head, deleted: victims.length, prevKvs: d.prevKv ? victims.map((v) => v[1]) : [] };
  }

  private deleteKeys(victims: Array<[BinKey, KeyValue]>, ctx: TxnContext, batch: Batch): void {
    for (const [k, prev] of victims) {
      const main = this.bump(ctx);
      const sub = ctx.sub++;
      const kv = tombstoneKv(prev.key, main);
      this.d.index.tombstone(k, main, sub);
      this.record(batch, main, sub, kv, true);
      batch.events.push({ k, event: { type: 'DELETE', kv, prevKv: prev } });
      if (prev.lease !== 0n) this.d.lessor.detach(prev.lease, k);
    }
  }
}
