/**
 * client-go's flowcontrol.Backoff, as the kubelet uses it for crash loops and image
 * pulls: per key, a delay that starts at `initialMs` and doubles up to `maxMs`; an entry
 * untouched for twice the maximum is forgotten (the container ran fine long enough).
 */
import { type Clock, realClock } from '@minik8s/client/kube';

interface Entry {
  backoffMs: number;
  lastUpdate: number;
}

export interface BackoffOptions {
  initialMs: number;
  maxMs: number;
  clock?: Clock;
}

export class Backoff {
  private readonly entries = new Map<string, Entry>();
  private readonly clock: Clock;

  constructor(private readonly o: BackoffOptions) {
    this.clock = o.clock ?? realClock;
  }

  /** Keys with a delay (a growing count means a leak). */
  get size(): number {
    return this.entries.size;
  }

  /** The current delay for `key` (0 if none). */
  get(key: string): number {
    return this.entries.get(key)?.backoffMs ?? 0;
  }

  /** Records another failure: the first sets the initial delay, later ones double it. */
  next(key: string, eventTime = this.clock.now()): void {
    const e = this.entries.get(key);
    if (!e || this.expired(eventTime, e.lastUpdate)) {
      this.entries.set(key, { backoffMs: this.o.initialMs, lastUpdate: this.clock.now() });
      return;
    }
    e.backoffMs = Math.min(e.backoffMs * 2, this.o.maxMs);
    e.lastUpdate = this.clock.now();
  }

  /** True while less than the current delay has passed since `eventTime` (when the container finished). */
  isInBackOffSince(key: string, eventTime: number): boolean {
    const e = this.entries.get(key);
    if (!e || this.expired(eventTime, e.lastUpdate)) return false;
    return this.clock.now() - eventTime < e.backoffMs;
  }

  /** True while less than the current delay has passed since the last failure (image pulls). */
  isInBackOffSinceUpdate(key: string, eventTime = this.clock.now()): boolean {
    const e = this.entries.get(key);
    if (!e || this.expired(eventTime, e.lastUpdate)) return false;
    return eventTime - e.lastUpdate < e.backoffMs;
  }

  /** How long until `key` may be tried again, counted from `since`. */
  remaining(key: string, since: number): number {
    const e = this.entries.get(key);
    if (!e) return 0;
    return Math.max(0, since + e.backoffMs - this.clock.now());
  }

  reset(key: string): void {
    this.entries.delete(key);
  }

  /** Forgets every key starting with `prefix` (a Pod's, when it goes). */
  resetPrefix(prefix: string): void {
    for (const k of this.entries.keys()) if (k.startsWith(prefix)) this.entries.delete(k);
  }

  private expired(eventTime: number, lastUpdate: number): boolean {
    return eventTime - lastUpdate > this.o.maxMs * 2;
  }
}
