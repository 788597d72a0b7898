/**
 * The watch cache: one store watch for every resource, however many clients watch.
 * It keeps the current objects (so `resourceVersion=0` lists and watches are served from
 * memory) and a window of recent events (so a watch from a recent resourceVersion replays
 * what it missed). A watch from before the window gets 410 Expired, as upstream.
 */
import type { KubeObject } from '@minik8s/api';
import type { KvClient, KvWatch } from '@minik8s/client/etcd';
import type { Logger } from 'pino';
import { decode, REGISTRY_PREFIX } from './object-store.ts';

export type EventType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface CacheEvent {
  type: EventType;
  key: string;
  /** The object after the change; for DELETED, its last state with the delete's resourceVersion. */
  object: KubeObject;
  /** The object before the change, when there was one. */
  prev?: KubeObject;
  revision: number;
}

export interface Subscription {
  close(): void;
}

interface Subscriber {
  prefix: string;
  onEvent(e: CacheEvent): void;
  onEnd(reason: Error): void;
}

export class TooOldError extends Error {
  constructor(
    readonly requested: number,
    readonly oldest: number,
  ) {
    super(`too old resource version: ${requested} (${oldest})`);
  }
}

export interface WatchCacheOptions {
  /** Events kept for replay. */
  capacity?: number;
  /**
   * Encoded bytes of the objects (and previous objects) those events hold, at most; the
   * oldest go first. Without it, 10,000 events of 1.5 MiB objects could pin 30 GB.
   */
  maxBytes?: number;
  logger: Logger;
}

const DEFAULT_MAX_BYTES = 64 * 1024 * 1024;

export class WatchCache {
  private readonly objects = new Map<string, KubeObject>();
  private readonly events: CacheEvent[] = [];
  /** The encoded bytes each event in `events` holds, and their sum. */
  private readonly eventSizes: number[] = [];
  private eventBytes = 0;
  private readonly subscribers = new Set<Subscriber>();
  private readonly waiters: Array<{ rev: number; resolve: () => void }> = [];
  /** Every event after this revision is in `events`. */
  private windowStart = 0;
  /** The cache reflects the store up to this revision. */
  private rev = 0;
  private watch: KvWatch | undefined;
  private stopped = false;
  private readonly capacity: number;
  private readonly maxBytes: number;

  private constructor(
    private readonly etcd: KvClient,
    private readonly o: WatchCacheOptions,
  ) {
    this.capacity = o.capacity ?? 10_000;
    this.maxBytes = o.maxBytes ?? DEFAULT_MAX_BYTES;
  }

  static async start(etcd: KvClient, o: WatchCacheOptions): Promise<WatchCache> {
    const c = new WatchCache(etcd, o);
    await c.fill();
    return c;
  }

  get revision(): number {
    return this.rev;
  }

  /** Loads every object, then follows the store from that revision. */
  private async fill(): Promise<void> {
    const r = await this.etcd.range(REGISTRY_PREFIX, { prefix: true });
    this.objects.clear();
    for (const kv of r.kvs) this.objects.set(kv.key.toString('utf8'), decode(kv));
    this.rev = this.windowStart = r.header.revision;
    this.events.length = 0;
    this.eventSizes.length = 0;
    this.eventBytes = 0;
    void this.follow();
  }

  private async follow(): Promise<void> {
    while (!this.stopped) {
      const w = this.etcd.watch(REGISTRY_PREFIX, { prefix: true, startRevision: this.rev + 1, prevKv: true });
      this.watch = w;
      try {
        for await (const resp of w) {
          if (resp.compactRevision) throw new TooOldError(this.rev + 1, resp.compactRevision);
          for (const e of resp.events) this.apply(e.type, e.kv, e.prevKv);
          if (resp.header.revision > this.rev && resp.events.length === 0) this.advance(resp.header.revision);
        }
      } catch (err) {
        if (this.stopped) return;
        this.o.logger.warn({ err }, 'store watch ended; restarting the watch cache');
        if (err instanceof TooOldError) {
          // Missed events for good: everyone starts over from a fresh list.
          this.endAll(new TooOldError(this.rev, err.oldest));
          await this.fill().catch((e) => this.o.logger.error({ err: e }, 'watch cache refill failed'));
          return;
        }
        await new Promise((r) => setTimeout(r, 200));
      }
    }
  }

  private apply(type: 'PUT' | 'DELETE', kv: { key: Buffer; value: Buffer; modRevision: number; version: number }, prevKv?: unknown): void {
    const key = kv.key.toString('utf8');
    const prev = this.objects.get(key) ?? (prevKv ? decode(prevKv as never) : undefined);
    let event: CacheEvent;
    if (type === 'DELETE') {
      if (!prev) {
        this.advance(kv.modRevision);
        return;
      }
      this.objects.delete(key);
      const object = { ...prev, metadata: { ...prev.metadata, resourceVersion: String(kv.modRevision) } };
      event = { type: 'DELETED', key, object, prev, revision: kv.modRevision };
    } else {
      const object = decode(kv as never);
      this.objects.set(key, object);
      event = { type: kv.version === 1 ? 'ADDED' : 'MODIFIED', key, object, prev, revision: kv.modRevision };
    }
    const bytes = kv.value.length + ((prevKv as { value?: Buffer } | undefined)?.value?.length ?? 0);
    this.events.push(event);
    this.eventSizes.push(bytes);
    this.eventBytes += bytes;
    while (this.events.length > this.capacity || this.eventBytes > this.maxBytes) this.evictOldest();
    this.advance(kv.modRevision);
    for (const s of this.subscribers) if (key.startsWith(s.prefix)) s.onEvent(event);
  }

  /** Drops the oldest revision's events; a watch from before it gets 410 Expired. */
  private evictOldest(): void {
    const dropped = this.events[0]!;
    // Keep whole revisions: a window never starts in the middle of one.
    while (this.events[0] && this.events[0].revision === dropped.revision) {
      this.events.shift();
      this.eventBytes -= this.eventSizes.shift()!;
    }
    this.windowStart = dropped.revision;
  }

  private advance(rev: number): void {
    if (rev <= this.rev) return;
    this.rev = rev;
    for (let i = this.waiters.length - 1; i >= 0; i--) {
      const w = this.waiters[i]!;
      if (w.rev <= rev) {
        this.waiters.splice(i, 1);
        w.resolve();
      }
    }
  }

  /** Resolves once the cache has caught up with `rev` (false after `timeoutMs`). */
  waitFor(rev: number, timeoutMs = 3000): Promise<boolean> {
    if (this.rev >= rev) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        const i = this.waiters.indexOf(waiter);
        if (i >= 0) this.waiters.splice(i, 1);
        resolve(false);
      }, timeoutMs);
      const waiter = {
        rev,
        resolve: () => {
          clearTimeout(timer);
          resolve(true);
        },
      };
      this.waiters.push(waiter);
    });
  }

  /** The current object at a key, from memory. */
  get(key: string): KubeObject | undefined {
    return this.objects.get(key);
  }

  /** Current objects under a prefix, in key order, and the revision they reflect. */
  list(prefix: string): { items: KubeObject[]; revision: number } {
    const items: KubeObject[] = [];
    for (const [k, v] of this.objects) if (k.startsWith(prefix)) items.push(v);
    items.sort((a, b) => (keyOf(a) < keyOf(b) ? -1 : 1));
    return { items, revision: this.rev };
  }

  /**
   * Events under `prefix` after `fromRevision`, replayed from the window, then live.
   * Throws TooOldError when the window no longer reaches back that far.
   */
  subscribe(prefix: string, fromRevision: number, onEvent: (e: CacheEvent) => void, onEnd: (e: Error) => void): Subscription {
    if (fromRevision < this.windowStart) throw new TooOldError(fromRevision, this.windowStart + 1);
    for (const e of this.events) if (e.revision > fromRevision && e.key.startsWith(prefix)) onEvent(e);
    const s: Subscriber = { prefix, onEvent, onEnd };
    this.subscribers.add(s);
    return { close: () => this.subscribers.delete(s) };
  }

  private endAll(reason: Error): void {
    for (const s of this.subscribers) s.onEnd(reason);
    this.subscribers.clear();
  }

  stop(): void {
    this.stopped = true;
    this.watch?.cancel();
    this.endAll(new Error('the API server is shutting down'));
  }
}

function keyOf(o: KubeObject): string {
  return `${o.metadata.namespace ?? ''}/${o.metadata.name ?? ''}`;
}
