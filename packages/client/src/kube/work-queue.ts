/**
 * client-go's rate-limited work queue. Keys (`ns/name`) are de-duplicated while they
 * wait; a key being processed is never handed to a second worker, and if it is added
 * again meanwhile it goes back in the queue when the first worker calls `done(key)`.
 * `addRateLimited` delays a key by per-key exponential back-off (5 ms doubling to
 * 1000 s) and an overall token bucket (10 qps, burst 100), as client-go's default
 * controller rate limiter; both and the clock are injectable.
 */
import { type Clock, realClock, type TimerHandle } from './clock.ts';
import { TokenBucket } from './rate-limiter.ts';

/** How long a key waits before it is retried (client-go's workqueue.RateLimiter). */
export interface RateLimiter {
  /** The delay for this retry of `key` (counts the retry). */
  when(key: string): number;
  /** Stop tracking `key` (it succeeded). */
  forget(key: string): void;
  /** How many times `key` has been retried since it was last forgotten. */
  numRequeues(key: string): number;
}

/** base·2^n ms for the n-th retry of a key, capped at max. */
export class ExponentialRateLimiter implements RateLimiter {
  private readonly failures = new Map<string, number>();
  constructor(
    readonly baseMs = 5,
    readonly maxMs = 1000 * 1000,
  ) {}

  when(key: string): number {
    const n = this.failures.get(key) ?? 0;
    this.failures.set(key, n + 1);
    const d = this.baseMs * 2 ** n;
    return Number.isFinite(d) && d < this.maxMs ? d : this.maxMs;
  }

  forget(key: string): void {
    this.failures.delete(key);
  }

  numRequeues(key: string): number {
    return this.failures.get(key) ?? 0;
  }
}

/** An overall limit shared by all keys: the delay until the next token. */
export class BucketRateLimiter implements RateLimiter {
  private readonly bucket: TokenBucket;
  constructor(o: { qps: number; burst: number; clock?: Clock }) {
    this.bucket = new TokenBucket(o);
  }
  when(): number {
    return this.bucket.reserve();
  }
  forget(): void {}
  numRequeues(): number {
    return 0;
  }
}

/** The longest delay any of the limiters asks for. */
export class MaxOfRateLimiter implements RateLimiter {
  private readonly limiters: RateLimiter[];
  constructor(...limiters: RateLimiter[]) {
    this.limiters = limiters;
  }
  when(key: string): number {
    return Math.max(0, ...this.limiters.map((l) => l.when(key)));
  }
  forget(key: string): void {
    for (const l of this.limiters) l.forget(key);
  }
  numRequeues(key: string): number {
    return Math.max(0, ...this.limiters.map((l) => l.numRequeues(key)));
  }
}

/** client-go's DefaultControllerRateLimiter: per-key 5 ms → 1000 s, overall 10 qps burst 100. */
export function defaultControllerRateLimiter(clock: Clock = realClock): RateLimiter {
  return new MaxOfRateLimiter(new ExponentialRateLimiter(5, 1000 * 1000), new BucketRateLimiter({ qps: 10, burst: 100, clock }));
}

export interface WorkQueueOptions {
  /** Used by addRateLimited; default: defaultControllerRateLimiter(clock). */
  rateLimiter?: RateLimiter;
  clock?: Clock;
  /** For logs and metrics. */
  name?: string;
}

export class WorkQueue {
  readonly name: string | undefined;
  private readonly clock: Clock;
  private readonly rateLimiter: RateLimiter;
  /** Waiting to be handed out, in order. */
  private readonly queue: string[] = [];
  /** Needs processing (queued, or re-added while being processed). */
  private readonly dirty = new Set<string>();
  /** Handed to a worker, not yet done. */
  private readonly processing = new Set<string>();
  /** addAfter: the earliest time each key is due, and its timer. */
  private readonly waiting = new Map<string, { at: number; timer: TimerHandle }>();
  private readonly getters: Array<(key: string | undefined) => void> = [];
  private readonly drainWaiters: Array<() => void> = [];
  private shutdown = false;

  constructor(o: WorkQueueOptions = {}) {
    this.name = o.name;
    this.clock = o.clock ?? realClock;
    this.rateLimiter = o.rateLimiter ?? defaultControllerRateLimiter(this.clock);
  }

  /** Queue `key` unless it is already waiting. */
  add(key: string): void {
    if (this.shutdown || this.dirty.has(key)) return;
    this.dirty.add(key);
    if (this.processing.has(key)) return; // re-queued by done()
    this.push(key);
  }

  /** Queue `key` after `ms`; if it is already scheduled later, the earlier time wins. */
  addAfter(key: string, ms: number): void {
    if (this.shutdown) return;
    if (ms <= 0) {
      this.add(key);
      return;
    }
    const at = this.clock.now() + ms;
    const w = this.waiting.get(key);
    if (w && w.at <= at) return;
    if (w) this.clock.clearTimeout(w.timer);
    const timer = this.clock.setTimeout(() => {
      this.waiting.delete(key);
      this.add(key);
    }, ms);
    this.waiting.set(key, { at, timer });
  }

  /** Queue `key` after the rate limiter's delay (back-off for a failed attempt). */
  addRateLimited(key: string): void {
    this.addAfter(key, this.rateLimiter.when(key));
  }

  /** Reset `key`'s back-off (call it after a success). */
  forget(key: string): void {
    this.rateLimiter.forget(key);
  }

  numRequeues(key: string): number {
    return this.rateLimiter.numRequeues(key);
  }

  /**
   * The next key to process, waiting for one if need be; undefined once the queue is
   * shut down. Call `done(key)` when finished with it.
   */
  get(): Promise<string | undefined> {
    const key = this.queue.shift();
    if (key !== undefined) return Promise.resolve(this.take(key));
    if (this.shutdown) return Promise.resolve(undefined);
    return new Promise((resolve) => this.getters.push(resolve));
  }

  /** Finished with `key`: if it was added again meanwhile, it is queued again now. */
  done(key: string): void {
    if (!this.processing.delete(key)) return;
    if (this.dirty.has(key)) {
      if (this.shutdown) this.dirty.delete(key);
      else this.push(key);
    }
    if (this.processing.size === 0) for (const w of this.drainWaiters.splice(0)) w();
  }

  /** Keys waiting to be handed out (not the ones in addAfter, nor those in progress). */
  len(): number {
    return this.queue.length;
  }

  /** Keys scheduled by addAfter / addRateLimited and not yet due. */
  delayed(): number {
    return this.waiting.size;
  }

  /** Keys handed out and not done. */
  inProgress(): number {
    return this.processing.size;
  }

  get shuttingDown(): boolean {
    return this.shutdown;
  }

  /** Stop: waiting `get()`s resolve undefined, nothing new is accepted, delayed keys are dropped. */
  shutDown(): void {
    if (this.shutdown) return;
    this.shutdown = true;
    for (const w of this.waiting.values()) this.clock.clearTimeout(w.timer);
    this.waiting.clear();
    this.queue.length = 0;
    for (const k of [...this.dirty]) if (!this.processing.has(k)) this.dirty.delete(k);
    for (const g of this.getters.splice(0)) g(undefined);
    if (this.processing.size === 0) for (const w of this.drainWaiters.splice(0)) w();
  }

  /** shutDown, then wait until every key handed out is done. */
  async shutDownWithDrain(): Promise<void> {
    this.shutDown();
    if (this.processing.size === 0) return;
    await new Promise<void>((resolve) => this.drainWaiters.push(resolve));
  }

  private push(key: string): void {
    const g = this.getters.shift();
    if (g) g(this.take(key));
    else this.queue.push(key);
  }

  private take(key: string): string {
    this.dirty.delete(key);
    this.processing.add(key);
    return key;
  }
}

export interface ReconcileResult {
  /** Look again after this long, even if nothing changes. */
  requeueAfter?: number;
}

export interface RunWorkersOptions {
  /** Concurrent workers. Default 1. */
  workers?: number;
  /** Called with each failure (the key is retried with back-off). */
  onError?: (key: string, err: unknown) => void;
}

/**
 * The controller loop: `workers` loops each take a key, run `reconcile(key)`, and then
 * forget it (success), add it after `requeueAfter`, or add it rate-limited (it threw).
 * Resolves once the queue is shut down and the workers have finished.
 */
export async function runWorkers(
  queue: WorkQueue,
  // biome-ignore lint/suspicious/noConfusingVoidType: a reconciler may simply return nothing
  reconcile: (key: string) => Promise<ReconcileResult | undefined | void> | ReconcileResult | undefined | void,
  o: RunWorkersOptions = {},
): Promise<void> {
  const worker = async () => {
    for (;;) {
      const key = await queue.get();
      if (key === undefined) return;
      try {
        const r = await reconcile(key);
        queue.forget(key);
        if (r && r.requeueAfter !== undefined && r.requeueAfter >= 0) queue.addAfter(key, r.requeueAfter);
      } catch (err) {
        o.onError?.(key, err);
        queue.addRateLimited(key);
      } finally {
        queue.done(key);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, o.workers ?? 1) }, worker));
}
