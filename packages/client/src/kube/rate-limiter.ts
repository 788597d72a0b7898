/**
 * A token bucket (golang.org/x/time/rate semantics): `qps` tokens per second, at most
 * `burst` saved up. Used for client-side request QPS and for the work queue's overall
 * rate limit.
 */
import { type Clock, realClock, sleep } from './clock.ts';

export interface TokenBucketOptions {
  qps: number;
  burst: number;
  clock?: Clock;
}

export class TokenBucket {
  readonly qps: number;
  readonly burst: number;
  private readonly clock: Clock;
  private tokens: number;
  private last: number;

  constructor(o: TokenBucketOptions) {
    if (!(o.qps > 0)) throw new RangeError('qps must be > 0');
    this.qps = o.qps;
    this.burst = Math.max(1, Math.floor(o.burst));
    this.clock = o.clock ?? realClock;
    this.tokens = this.burst;
    this.last = this.clock.now();
  }

  private refill(): void {
    const now = this.clock.now();
    if (now > this.last) {
      this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) * this.qps) / 1000);
      this.last = now;
    }
  }

  /** Takes a token now if one is there. */
  tryAccept(): boolean {
    this.refill();
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }

  /** Takes a token, possibly one not yet earned: returns how long (ms) to wait before using it. */
  reserve(): number {
    this.refill();
    this.tokens -= 1;
    return this.tokens >= 0 ? 0 : Math.ceil((-this.tokens * 1000) / this.qps);
  }

  /** Waits for a token. */
  async wait(signal?: AbortSignal): Promise<void> {
    const ms = this.reserve();
    if (ms > 0) await sleep(this.clock, ms, signal);
  }
}

/** What the client needs from a rate limiter. */
export interface RequestRateLimiter {
  wait(signal?: AbortSignal): Promise<void>;
}
