/**
 * One watch = one streaming HTTP request to `/v3/watch` whose body is a single
 * `create_request`. The response is read in the background into a bounded queue
 * (reading pauses when the consumer falls behind) and handed out by async iteration.
 *
 * Why not several watches or progress requests on one stream: etcd 3.4's HTTP/1.1
 * server drains the request body before it sends response headers, so a request body
 * kept open for later messages would stall the watch. Use `progressNotify` instead.
 */
import type { Dispatcher } from 'undici';
import { decodeWatch } from './codec.ts';
import { EtcdError, GrpcCode, unavailable } from './errors.ts';
import { StreamParser } from './stream-parser.ts';
import type { WatchResponse } from './types.ts';

export type WatchStarter = (signal: AbortSignal) => Promise<Dispatcher.ResponseData>;

interface Waiter {
  resolve(r: IteratorResult<WatchResponse>): void;
  reject(e: unknown): void;
}

export class Watch implements AsyncIterable<WatchResponse> {
  /**
   * Resolves with the server's first response (normally `created: true`; a watch the
   * server refuses at once may arrive as `created` and `canceled` together). Rejects
   * when the stream fails first, or with a CANCELLED error when `cancel()` came first.
   */
  readonly created: Promise<WatchResponse>;

  private readonly abort = new AbortController();
  private readonly queue: WatchResponse[] = [];
  private readonly highWaterMark: number;
  private waiter: Waiter | undefined;
  private spaceWaiter: (() => void) | undefined;
  private failure: unknown;
  /** No more responses will be queued. */
  private ended = false;
  private iterating = false;
  private resolveCreated!: (r: WatchResponse) => void;
  private rejectCreated!: (e: unknown) => void;
  private createdSettled = false;
  private readonly onClose: (w: Watch) => void;

  constructor(start: WatchStarter, opts: { highWaterMark?: number; signal?: AbortSignal; onClose?: (w: Watch) => void } = {}) {
    this.highWaterMark = Math.max(1, opts.highWaterMark ?? 1024);
    this.onClose = opts.onClose ?? (() => {});
    this.created = new Promise<WatchResponse>((resolve, reject) => {
      this.resolveCreated = resolve;
      this.rejectCreated = reject;
    });
    this.created.catch(() => {}); // observed through iteration too; never an unhandled rejection
    if (opts.signal) {
      if (opts.signal.aborted) queueMicrotask(() => this.cancel());
      else opts.signal.addEventListener('abort', () => this.cancel(), { once: true });
    }
    void this.pump(start);
  }

  /** True once the watch has ended (canceled by either side, or failed). */
  get closed(): boolean {
    return this.ended;
  }

  /** Stops the watch: aborts the HTTP request. Queued responses can still be read. */
  cancel(): void {
    if (this.ended) return;
    this.finish();
  }

  /** Same as {@link cancel}. */
  close(): void {
    this.cancel();
  }

  [Symbol.asyncIterator](): AsyncIterator<WatchResponse> {
    if (this.iterating) throw new Error('a Watch can be iterated only once');
    this.iterating = true;
    return {
      next: () => this.next(),
      return: async () => {
        this.cancel();
        this.queue.length = 0;
        return { done: true, value: undefined };
      },
    };
  }

  private next(): Promise<IteratorResult<WatchResponse>> {
    const item = this.queue.shift();
    if (item) {
      if (this.queue.length < this.highWaterMark) this.wakeProducer();
      return Promise.resolve({ done: false, value: item });
    }
    if (this.failure !== undefined) {
      const e = this.failure;
      this.failure = undefined;
      return Promise.reject(e);
    }
    if (this.ended) return Promise.resolve({ done: true, value: undefined });
    if (this.waiter) return Promise.reject(new Error('concurrent next() on a Watch'));
    return new Promise((resolve, reject) => {
      this.waiter = { resolve, reject };
    });
  }

  private deliver(r: WatchResponse): void {
    const w = this.waiter;
    if (w) {
      this.waiter = undefined;
      w.resolve({ done: false, value: r });
    } else {
      this.queue.push(r);
    }
  }

  private wakeProducer(): void {
    const s = this.spaceWaiter;
    this.spaceWaiter = undefined;
    s?.();
  }

  /** Ends the watch; `error` is surfaced to the consumer after the queued responses. */
  private finish(error?: unknown): void {
    if (this.ended) return;
    this.ended = true;
    this.abort.abort();
    this.wakeProducer();
    this.onClose(this);
    if (!this.createdSettled) {
      this.createdSettled = true;
      this.rejectCreated(error ?? new EtcdError('watch canceled before it was created', { code: GrpcCode.CANCELLED, httpStatus: 0 }));
    }
    const w = this.waiter;
    if (error !== undefined) {
      if (w) {
        this.waiter = undefined;
        w.reject(error);
      } else {
        this.failure = error;
      }
    } else if (w) {
      this.waiter = undefined;
      w.resolve({ done: true, value: undefined });
    }
  }

  private async pump(start: WatchStarter): Promise<void> {
    let res: Dispatcher.ResponseData | undefined;
    try {
      res = await start(this.abort.signal);
      if (res.statusCode < 200 || res.statusCode >= 300) {
        const text = await res.body.text();
        throw EtcdError.fromHttp(res.statusCode, text);
      }
      const parser = new StreamParser();
      for await (const chunk of res.body) {
        for (const frame of parser.push(chunk as Buffer)) {
          if (frame.type === 'error') throw frame.error;
          const resp = decodeWatch(frame.result);
          if (this.ended) return;
          if (!this.createdSettled) {
            this.createdSettled = true;
            this.resolveCreated(resp);
          }
          this.deliver(resp);
          if (resp.canceled) {
            // The server ended this watch (e.g. compacted start revision); the HTTP
            // stream itself stays open on etcd, so close it.
            this.finish();
            return;
          }
        }
        while (!this.ended && this.queue.length >= this.highWaterMark) {
          await new Promise<void>((r) => {
            this.spaceWaiter = r;
          });
        }
        if (this.ended) return;
      }
      parser.end();
      throw new EtcdError('watch stream closed by the server', { code: GrpcCode.UNAVAILABLE, httpStatus: 0 });
    } catch (e) {
      if (this.ended) return; // we aborted it: not an error
      this.finish(e instanceof EtcdError ? e : unavailable(e, 'watch stream failed'));
    } finally {
      if (this.ended && res) res.body.destroy();
    }
  }
}
