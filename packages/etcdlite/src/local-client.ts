/**
 * The storage client's interface (KvClient) served straight from a Store in the same
 * process: what an API server with an embedded etcdlite uses, so its reads and writes
 * skip HTTP, JSON and base64 while keeping exactly the semantics of the wire API.
 */
import {
  type Bytes,
  type Compare as ClientCompare,
  type KeyValue as ClientKv,
  type RangeResponse as ClientRange,
  type TxnRequest as ClientTxn,
  type TxnResponse as ClientTxnResponse,
  type KvClient,
  type KvWatch,
  type RangeOptions,
  resolveKeyRange,
  type TxnOp,
  type TxnOpResponse,
  toBuffer,
  type WatchOptions,
  type WatchResponse,
} from '@minik8s/client/etcd';
import type { Store } from './store.ts';
import type { Compare, Event, KeyValue, RangeRequest, RequestOp, ResponseOp, TxnRequest } from './types.ts';

export class LocalKvClient implements KvClient {
  private readonly header: () => ClientRange['header'];

  constructor(private readonly store: Store) {
    const clusterId = String(store.clusterId);
    const memberId = String(store.memberId);
    this.header = () => ({ clusterId, memberId, revision: store.revision, raftTerm: 1 });
  }

  async get(key: Bytes, opts: { revision?: number } = {}): Promise<ClientKv | undefined> {
    const r = await this.store.range({ key: toBuffer(key), revision: opts.revision });
    const kv = r.kvs[0];
    return kv && toClientKv(kv);
  }

  async range(key: Bytes, opts: RangeOptions = {}): Promise<ClientRange> {
    const r = await this.store.range(rangeRequest(key, opts));
    return { header: { ...this.header(), revision: r.revision }, kvs: r.kvs.map(toClientKv), more: r.more, count: r.count };
  }

  async txn(req: ClientTxn): Promise<ClientTxnResponse> {
    const r = await this.store.txn(txnRequest(req));
    return { header: { ...this.header(), revision: r.revision }, succeeded: r.succeeded, responses: r.responses.map(toClientOp) };
  }

  watch(key: Bytes, opts: WatchOptions = {}): KvWatch {
    const { key: k, rangeEnd } = resolveKeyRange(key, opts);
    return new LocalWatch(this.store, this.header, {
      key: k,
      rangeEnd,
      startRevision: opts.startRevision,
      prevKv: opts.prevKv,
      noPut: opts.filters?.includes('NOPUT'),
      noDelete: opts.filters?.includes('NODELETE'),
    });
  }

  async close(): Promise<void> {}
}

/** Events pushed by the store, pulled by the consumer's `for await`. */
class LocalWatch implements KvWatch {
  readonly created: Promise<WatchResponse>;
  private readonly queue: WatchResponse[] = [];
  private wake: (() => void) | undefined;
  private ended = false;
  private readonly handle: { cancel(): void };

  constructor(store: Store, header: () => ClientRange['header'], req: Parameters<Store['watch']>[0]) {
    const base = { watchId: 0, created: false, canceled: false, compactRevision: 0, cancelReason: '', fragment: false, events: [] };
    const created: WatchResponse = { ...base, header: header(), created: true };
    this.created = Promise.resolve(created);
    this.handle = store.watch(req, {
      events: (events, revision) => this.push({ ...base, header: { ...header(), revision }, events: events.map((e) => toClientEvent(e, !!req.prevKv)) }),
      compacted: (compactRevision) => {
        this.push({ ...base, header: { ...header(), revision: 0 }, canceled: true, compactRevision });
        this.end();
      },
    });
  }

  private push(r: WatchResponse): void {
    if (this.ended) return;
    this.queue.push(r);
    this.wake?.();
  }

  private end(): void {
    this.ended = true;
    this.wake?.();
  }

  cancel(): void {
    this.handle.cancel();
    this.end();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<WatchResponse> {
    try {
      for (;;) {
        const next = this.queue.shift();
        if (next) {
          yield next;
          continue;
        }
        if (this.ended) return;
        await new Promise<void>((r) => {
          this.wake = r;
        });
        this.wake = undefined;
      }
    } finally {
      this.cancel();
    }
  }
}

function rangeRequest(key: Bytes, o: RangeOptions): RangeRequest {
  const { key: k, rangeEnd } = resolveKeyRange(key, o);
  return {
    key: k,
    rangeEnd,
    limit: o.limit,
    revision: o.revision,
    sortOrder: o.sortOrder,
    sortTarget: o.sortTarget,
    keysOnly: o.keysOnly,
    countOnly: o.countOnly,
    minModRevision: o.minModRevision,
    maxModRevision: o.maxModRevision,
    minCreateRevision: o.minCreateRevision,
    maxCreateRevision: o.maxCreateRevision,
  };
}

function compare(c: ClientCompare): Compare {
  const base = { key: toBuffer(c.key), rangeEnd: c.rangeEnd === undefined ? undefined : toBuffer(c.rangeEnd), result: c.result };
  switch (c.target) {
    case 'VERSION':
      return { ...base, target: 'VERSION', version: c.version };
    case 'CREATE':
      return { ...base, target: 'CREATE', createRevision: c.createRevision };
    case 'MOD':
      return { ...base, target: 'MOD', modRevision: c.modRevision };
    case 'VALUE':
      return { ...base, target: 'VALUE', value: toBuffer(c.value) };
    case 'LEASE':
      return { ...base, target: 'LEASE', lease: BigInt(c.lease) };
  }
}

function op(o: TxnOp): RequestOp {
  switch (o.type) {
    case 'range':
      return { range: rangeRequest(o.key, o) };
    case 'put':
      return {
        put: {
          key: toBuffer(o.key),
          value: toBuffer(o.value),
          lease: o.lease === undefined ? undefined : BigInt(o.lease),
          prevKv: o.prevKv,
          ignoreValue: o.ignoreValue,
          ignoreLease: o.ignoreLease,
        },
      };
    case 'delete': {
      const { key, rangeEnd } = resolveKeyRange(o.key, o);
      return { deleteRange: { key, rangeEnd, prevKv: o.prevKv } };
    }
    case 'txn':
      return { txn: txnRequest(o) };
  }
}

function txnRequest(t: ClientTxn): TxnRequest {
  return { compare: (t.compare ?? []).map(compare), success: (t.success ?? []).map(op), failure: (t.failure ?? []).map(op) };
}

const nested = (revision: number) => ({ clusterId: '', memberId: '', revision, raftTerm: 0 });

function toClientOp(r: ResponseOp): TxnOpResponse {
  if ('range' in r) return { type: 'range', header: nested(r.range.revision), kvs: r.range.kvs.map(toClientKv), more: r.range.more, count: r.range.count };
  if ('put' in r) return { type: 'put', header: nested(r.put.revision), prevKv: r.put.prevKv && toClientKv(r.put.prevKv) };
  if ('deleteRange' in r) {
    return { type: 'delete', header: nested(r.deleteRange.revision), deleted: r.deleteRange.deleted, prevKvs: r.deleteRange.prevKvs.map(toClientKv) };
  }
  return { type: 'txn', header: nested(r.txn.revision), succeeded: r.txn.succeeded, responses: r.txn.responses.map(toClientOp) };
}

/** The client's KeyValue: the same buffers (the store never changes them), lease as a string. */
function toClientKv(kv: KeyValue): ClientKv {
  return { key: kv.key, value: kv.value, createRevision: kv.createRevision, modRevision: kv.modRevision, version: kv.version, lease: String(kv.lease) };
}

function toClientEvent(e: Event, withPrev: boolean) {
  return { type: e.type, kv: toClientKv(e.kv), prevKv: withPrev && e.prevKv ? toClientKv(e.prevKv) : undefined };
}
