/**
 * The queue of Pods waiting for a node, after upstream's PriorityQueue:
 * - active: ready to be tried, highest priority first, then oldest;
 * - backoff: failed recently, tried again after 1 s, 2 s, 4 s ... up to 10 s;
 * - unschedulable: fit nowhere last time; moved back (to backoff or active) when the
 *   cluster changes in a way that might help (a node added or changed, a Pod gone), or
 *   after `maxInUnschedulableMs` in any case.
 * A Pod is handed to one scheduling attempt at a time. If the cluster changed while it
 * was being tried, a failure sends it to backoff rather than to unschedulable, so the
 * change is not missed.
 */
import { type Clock, realClock, type TimerHandle } from '@minik8s/client/kube';

export interface QueuedPod {
  key: string;
  priority: number;
  /** When it was first queued (ms). */
  timestamp: number;
  attempts: number;
  /** The scheduling cycle in which it was last popped. */
  cycle: number;
}

type Where = 'active' | 'backoff' | 'unschedulable' | 'inflight';

interface Entry extends QueuedPod {
  where: Where;
  backoffUntil: number;
  unschedulableSince: number;
  timer?: TimerHandle;
  /** Changed or deleted while being tried. */
  updatedInFlight?: boolean;
  deletedInFlight?: boolean;
}

export interface SchedulingQueueOptions {
  clock?: Clock;
  initialBackoffMs?: number;
  maxBackoffMs?: number;
  /** How long a Pod stays unschedulable before it is retried anyway. Default 5 min (upstream). */
  maxInUnschedulableMs?: number;
  /** How often to look for such Pods. Default 30 s (upstream). */
  flushIntervalMs?: number;
}

export class SchedulingQueue {
  private readonly clock: Clock;
  private readonly initialBackoffMs: number;
  private readonly maxBackoffMs: number;
  private readonly maxInUnschedulableMs: number;
  private readonly flushIntervalMs: number;
  private readonly entries = new Map<string, Entry>();
  private readonly waiters: Array<(e: QueuedPod | undefined) => void> = [];
  private schedulingCycle = 0;
  private moveRequestCycle = -1;
  private closed = false;
  private flushTimer: TimerHandle | undefined;

  constructor(o: SchedulingQueueOptions = {}) {
    this.clock = o.clock ?? realClock;
    this.initialBackoffMs = o.initialBackoffMs ?? 1000;
    this.maxBackoffMs = o.maxBackoffMs ?? 10_000;
    this.maxInUnschedulableMs = o.maxInUnschedulableMs ?? 5 * 60_000;
    this.flushIntervalMs = o.flushIntervalMs ?? 30_000;
    this.scheduleFlush();
  }

  /** A new unscheduled Pod (or one seen again): queued as active unless already queued. */
  add(key: string, priority = 0): void {
    if (this.closed) return;
    const e = this.entries.get(key);
    if (e) {
      e.priority = priority;
      return;
    }
    const now = this.clock.now();
    this.entries.set(key, { key, priority, timestamp: now, attempts: 0, cycle: 0, where: 'active', backoffUntil: 0, unschedulableSince: 0 });
    this.wake();
  }

  /** The Pod's spec or labels changed: if it was unschedulable, try it again. */
  update(key: string, priority = 0): void {
    const e = this.entries.get(key);
    if (!e) {
      this.add(key, priority);
      return;
    }
    e.priority = priority;
    if (e.where === 'inflight') e.updatedInFlight = true;
    else if (e.where === 'unschedulable') this.toActiveOrBackoff(e);
  }

  delete(key: string): void {
    const e = this.entries.get(key);
    if (!e) return;
    if (e.where === 'inflight') {
      e.deletedInFlight = true;
      return;
    }
    this.clearTimer(e);
    this.entries.delete(key);
  }

  /** Waits for the next Pod to try; undefined once closed. */
  pop(): Promise<QueuedPod | undefined> {
    if (this.closed) return Promise.resolve(undefined);
    const e = this.takeActive();
    if (e) return Promise.resolve(e);
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** The attempt succeeded (or the Pod no longer needs scheduling): forget the Pod. */
  done(key: string): void {
    const e = this.entries.get(key);
    if (e?.where === 'inflight') this.entries.delete(key);
  }

  /** The Pod fits nowhere: hold it until the cluster changes (or back off, if it already did). */
  unschedulable(key: string): void {
    const e = this.finishAttempt(key);
    if (!e) return;
    e.backoffUntil = this.clock.now() + this.backoffDuration(e.attempts);
    if (e.updatedInFlight || this.moveRequestCycle >= e.cycle) {
      this.toBackoff(e);
    } else {
      e.where = 'unschedulable';
      e.unschedulableSince = this.clock.now();
    }
    e.updatedInFlight = false;
  }

  /** The attempt failed for another reason (an API error): try again after the back-off. */
  backoff(key: string): void {
    const e = this.finishAttempt(key);
    if (!e) return;
    e.updatedInFlight = false;
    e.backoffUntil = this.clock.now() + this.backoffDuration(e.attempts);
    this.toBackoff(e);
  }

  /** Something changed that may let unschedulable Pods fit: move them all back. */
  moveAllToActiveOrBackoff(): void {
    for (const e of this.entries.values()) if (e.where === 'unschedulable') this.toActiveOrBackoff(e);
    this.moveRequestCycle = this.schedulingCycle;
  }

  /** Counts by state (tests, logs). */
  stats(): Record<Where, number> {
    const s: Record<Where, number> = { active: 0, backoff: 0, unschedulable: 0, inflight: 0 };
    for (const e of this.entries.values()) s[e.where]++;
    return s;
  }

  where(key: string): Where | undefined {
    return this.entries.get(key)?.where;
  }

  close(): void {
    this.closed = true;
    if (this.flushTimer !== undefined) this.clock.clearTimeout(this.flushTimer);
    for (const e of this.entries.values()) this.clearTimer(e);
    for (const w of this.waiters.splice(0)) w(undefined);
  }

  backoffDuration(attempts: number): number {
    return Math.min(this.maxBackoffMs, this.initialBackoffMs * 2 ** Math.max(0, attempts - 1));
  }

  // ------------------------------------------------------------------ internals

  private finishAttempt(key: string): Entry | undefined {
    const e = this.entries.get(key);
    if (e?.where !== 'inflight') return undefined;
    if (e.deletedInFlight || this.closed) {
      this.entries.delete(key);
      return undefined;
    }
    return e;
  }

  private takeActive(): Entry | undefined {
    let best: Entry | undefined;
    for (const e of this.entries.values()) {
      if (e.where !== 'active') continue;
      if (!best || e.priority > best.priority || (e.priority === best.priority && e.timestamp < best.timestamp)) best = e;
    }
    if (!best) return undefined;
    best.where = 'inflight';
    best.attempts++;
    best.cycle = ++this.schedulingCycle;
    return best;
  }

  private wake(): void {
    while (this.waiters.length) {
      const e = this.takeActive();
      if (!e) return;
      this.waiters.shift()!(e);
    }
  }

  private toActiveOrBackoff(e: Entry): void {
    if (e.backoffUntil > this.clock.now()) this.toBackoff(e);
    else this.toActive(e);
  }

  private toActive(e: Entry): void {
    this.clearTimer(e);
    e.where = 'active';
    this.wake();
  }

  private toBackoff(e: Entry): void {
    this.clearTimer(e);
    const wait = e.backoffUntil - this.clock.now();
    if (wait <= 0) {
      this.toActive(e);
      return;
    }
    e.where = 'backoff';
    e.timer = this.clock.setTimeout(() => {
      e.timer = undefined;
      if (this.entries.get(e.key) === e && e.where === 'backoff') this.toActive(e);
    }, wait);
  }

  private clearTimer(e: Entry): void {
    if (e.timer !== undefined) this.clock.clearTimeout(e.timer);
    e.timer = undefined;
  }

  private scheduleFlush(): void {
    if (this.closed) return;
    this.flushTimer = this.clock.setTimeout(() => {
      const now = this.clock.now();
      for (const e of this.entries.values()) {
        if (e.where === 'unschedulable' && now - e.unschedulableSince >= this.maxInUnschedulableMs) this.toActiveOrBackoff(e);
      }
      this.scheduleFlush();
    }, this.flushIntervalMs);
  }
}
