/**
 * Watch fan-out: one source (the commit of each write batch), many watchers. A watcher
 * that is still replaying history buffers live events and delivers them once caught up,
 * so a watcher never sees a gap or a duplicate.
 */
import { type BinKey, contains, type KeyInterval } from './internal/key-range.ts';
import type { Event } from './types.ts';

export interface WatchSink {
  /** Events in revision order; `revision` is the store revision when they are sent. */
  events(events: Event[], revision: number): void;
  /** The watch cannot start: its start revision was compacted. The watch is over. */
  compacted(compactRevision: number): void;
}

export interface WatchOptions {
  interval: KeyInterval;
  /** Deliver only events at or after this revision. */
  minRevision: number;
  noPut?: boolean | undefined;
  noDelete?: boolean | undefined;
}

/** Events of one committed batch with their binary keys, computed once for all watchers. */
export interface CommittedEvent {
  k: BinKey;
  event: Event;
}

/** Live events a watcher may buffer while replaying, before it is cut off as too slow. */
const MAX_BUFFERED = 100_000;

export class Watcher {
  synced = false;
  closed = false;
  private buffered: Event[] = [];

  constructor(
    readonly options: WatchOptions,
    readonly sink: WatchSink,
    private readonly onOverflow: (w: Watcher) => void,
  ) {}

  matches(ce: CommittedEvent): boolean {
    const o = this.options;
    if (ce.event.kv.modRevision < o.minRevision) return false;
    if (ce.event.type === 'PUT' ? o.noPut : o.noDelete) return false;
    return contains(o.interval, ce.k);
  }

  offer(events: Event[], revision: number): void {
    if (this.closed) return;
    if (this.synced) {
      this.sink.events(events, revision);
      return;
    }
    this.buffered.push(...events);
    if (this.buffered.length > MAX_BUFFERED) this.onOverflow(this);
  }

  /** Replay is done: deliver what arrived meanwhile and go live. */
  markSynced(revision: number): void {
    const pending = this.buffered;
    this.buffered = [];
    this.synced = true;
    if (pending.length > 0 && !this.closed) this.sink.events(pending, revision);
  }
}

export class WatchHub {
  private readonly watchers = new Set<Watcher>();

  get size(): number {
    return this.watchers.size;
  }

  add(w: Watcher): void {
    this.watchers.add(w);
  }

  remove(w: Watcher): void {
    w.closed = true;
    this.watchers.delete(w);
  }

  publish(committed: CommittedEvent[], revision: number): void {
    if (committed.length === 0) return;
    for (const w of this.watchers) {
      let matched: Event[] | undefined;
      for (const ce of committed) {
        if (!w.matches(ce)) continue;
        if (matched) matched.push(ce.event);
        else matched = [ce.event];
      }
      if (matched) w.offer(matched, revision);
    }
  }

  closeAll(): void {
    for (const w of this.watchers) w.closed = true;
    this.watchers.clear();
  }
}
