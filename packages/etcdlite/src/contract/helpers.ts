/** Small helpers for the store contract suite. */
import { EtcdClient, EtcdError, type KeyValue, type Watch, type WatchEvent, type WatchResponse } from '@minik8s/client/etcd';
import { afterAll, beforeAll, expect } from 'vitest';
import type { RunningStore, StoreTarget } from './targets.ts';

export interface StoreContext {
  client: EtcdClient;
  url: string;
}

/** A fresh server (and client) for the enclosing describe block. */
export function useStore(target: StoreTarget): StoreContext {
  const ctx = {} as StoreContext;
  let running: RunningStore | undefined;
  beforeAll(async () => {
    running = await target.start();
    ctx.url = running.url;
    ctx.client = new EtcdClient({ endpoint: running.url, connections: 8, requestTimeoutMs: 10_000 });
  });
  afterAll(async () => {
    try {
      await ctx.client?.close();
    } finally {
      await running?.close();
    }
  });
  return ctx;
}

/** A KeyValue with strings instead of Buffers, for readable exact assertions. */
export interface PlainKv {
  key: string;
  value: string;
  createRevision: number;
  modRevision: number;
  version: number;
  lease: string;
}

export function plain(kv: KeyValue): PlainKv;
export function plain(kv: KeyValue | undefined): PlainKv | undefined;
export function plain(kv: KeyValue | undefined): PlainKv | undefined {
  if (!kv) return undefined;
  return {
    key: kv.key.toString('utf8'),
    value: kv.value.toString('utf8'),
    createRevision: kv.createRevision,
    modRevision: kv.modRevision,
    version: kv.version,
    lease: kv.lease,
  };
}

export const keysOf = (kvs: KeyValue[]): string[] => kvs.map((kv) => kv.key.toString('utf8'));

export interface PlainEvent {
  type: 'PUT' | 'DELETE';
  kv: PlainKv;
  prevKv?: PlainKv;
}

export function plainEvent(e: WatchEvent): PlainEvent {
  const out: PlainEvent = { type: e.type, kv: plain(e.kv) };
  if (e.prevKv) out.prevKv = plain(e.prevKv);
  return out;
}

/** `TYPE key@modRevision[=value]` for compact event-sequence assertions. */
export function eventLine(e: WatchEvent): string {
  const v = e.type === 'PUT' ? `=${e.kv.value.toString('utf8')}` : '';
  return `${e.type} ${e.kv.key.toString('utf8')}@${e.kv.modRevision}${v}`;
}

/** The store's current revision. */
export async function currentRevision(client: EtcdClient): Promise<number> {
  return (await client.range('\0contract-probe')).header.revision;
}

/** Asserts that `p` rejects with an EtcdError of exactly this code, HTTP status and message. */
export async function expectEtcdError(p: Promise<unknown>, want: { code: number; httpStatus: number; message: string }): Promise<EtcdError> {
  const e = await p.then(
    (v) => {
      throw new Error(`expected ${want.message}, got success: ${JSON.stringify(v)}`);
    },
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(EtcdError);
  const err = e as EtcdError;
  expect({ code: err.code, httpStatus: err.httpStatus, message: err.message }).toEqual(want);
  return err;
}

/** Pull-style reading of a Watch with timeouts. */
export class WatchReader {
  private readonly it: AsyncIterator<WatchResponse>;
  private pending: Promise<IteratorResult<WatchResponse>> | undefined;
  /** Events received but not yet taken by `events()`. */
  private buffered: WatchEvent[] = [];
  readonly responses: WatchResponse[] = [];

  constructor(readonly watch: Watch) {
    this.it = watch[Symbol.asyncIterator]();
  }

  /** The next response, or undefined when the watch ended; throws after `ms`. */
  async next(ms = 5000): Promise<WatchResponse | undefined> {
    this.pending ??= this.it.next();
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((r) => {
      timer = setTimeout(() => r('timeout'), ms);
    });
    try {
      const r = await Promise.race([this.pending, timeout]);
      if (r === 'timeout') throw new Error(`no watch response within ${ms} ms`);
      this.pending = undefined;
      if (r.done) return undefined;
      this.responses.push(r.value);
      return r.value;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Waits for the `created` response and returns it. */
  async created(): Promise<WatchResponse> {
    const r = await this.next();
    expect(r?.created).toBe(true);
    return r!;
  }

  /** Exactly the next `n` events (across responses). */
  async events(n: number, ms = 5000): Promise<WatchEvent[]> {
    const deadline = Date.now() + ms;
    while (this.buffered.length < n) {
      const r = await this.next(Math.max(1, deadline - Date.now()));
      if (!r) throw new Error(`watch ended after ${this.buffered.length} of ${n} events`);
      expect(r.canceled).toBe(false);
      this.buffered.push(...r.events);
    }
    return this.buffered.splice(0, n);
  }

  /** Asserts that no event arrives within `ms`. */
  async noEvents(ms = 300): Promise<void> {
    if (this.buffered.length > 0) throw new Error(`unexpected event ${eventLine(this.buffered[0]!)}`);
    const deadline = Date.now() + ms;
    for (;;) {
      const left = deadline - Date.now();
      if (left <= 0) return;
      const r = await this.next(left).catch((e: Error) => {
        if (e.message.startsWith('no watch response')) return 'quiet' as const;
        throw e;
      });
      if (r === 'quiet') return;
      if (r === undefined) throw new Error('watch ended');
      if (r.events.length > 0) throw new Error(`unexpected event ${eventLine(r.events[0]!)}`);
    }
  }

  cancel(): void {
    this.watch.cancel();
  }
}
