/**
 * An informer (client-go's reflector + indexer + shared handlers, in one): list, then
 * watch from the list's resourceVersion, keeping a local cache of the objects; re-list
 * when the watch answers 410 (or fails), after a back-off whose delay is injectable.
 *
 * Event handlers should only enqueue keys (`queue.add(objectKey(obj))`): controllers
 * read current state from the cache when they reconcile. The cache hands out the
 * objects it stores: never mutate one, clone it (`structuredClone`) before writing.
 * `freezeObjects: true` makes mutating them throw, which is handy in tests.
 */
import { Cache, type IndexFunc } from './cache.ts';
import { type Clock, realClock, sleep } from './clock.ts';
import { isGone } from './errors.ts';
import type { ListOptions, WatchOptions } from './rest-client.ts';
import { type KubeList, type KubeObject, objectKey, type ResourceRef, type WatchEvent } from './types.ts';

/** What an informer needs from a client (KubeClient fits; tests pass fakes). */
export interface ListerWatcher<T extends KubeObject = KubeObject> {
  list(ref: ResourceRef, o: ListOptions): Promise<KubeList<T>>;
  watch(ref: ResourceRef, o: WatchOptions): AsyncIterable<WatchEvent<T>> & { stop(): void };
}

export interface EventHandler<T> {
  /** `initialList`: the object came with a (re-)list rather than a watch event. */
  onAdd?(obj: T, initialList: boolean): void;
  onUpdate?(oldObj: T, newObj: T): void;
  /** `finalStateUnknown`: a re-list found it gone, so `obj` is the last state seen, not the deleted one. */
  onDelete?(obj: T, finalStateUnknown: boolean): void;
}

export interface InformerOptions {
  labelSelector?: string | Record<string, string>;
  fieldSelector?: string | Record<string, string>;
  /** List page size (0: one unpaged list). Default 500. */
  pageSize?: number;
  /** Delay before the n-th consecutive retry (n ≥ 1). Default 800 ms doubling to 30 s, jittered. */
  backoff?: (attempt: number) => number;
  /** Seconds each watch request lasts before it is renewed. Default 5–10 min, random. */
  watchTimeoutSeconds?: () => number;
  /** Every so often, onUpdate(obj, obj) for every cached object (0: never, the default). */
  resyncPeriodMs?: number;
  /** Deep-freeze cached objects so mutating them throws. */
  freezeObjects?: boolean;
  clock?: Clock;
  /** Failed lists and watches, and handler exceptions. */
  onError?: (err: unknown) => void;
}

export const defaultBackoff = (attempt: number): number => {
  const base = Math.min(800 * 2 ** Math.max(0, attempt - 1), 30_000);
  return Math.round(base * (1 + Math.random() * 0.2));
};

/** A watch that ends this fast with no event counts as a failure (no busy loop). */
const SHORT_WATCH_MS = 1000;

export class Informer<T extends KubeObject = KubeObject> {
  readonly resource: ResourceRef;
  private readonly cache = new Cache<T>();
  private readonly handlers = new Set<EventHandler<T>>();
  private readonly clock: Clock;
  private readonly backoff: (attempt: number) => number;
  private readonly stopper = new AbortController();
  private readonly syncWaiters: Array<{ resolve: () => void; reject: (e: unknown) => void }> = [];
  private current: { stop(): void } | undefined;
  private running: Promise<void> | undefined;
  private resyncTimer: ReturnType<Clock['setTimeout']> | undefined;
  private synced = false;
  private failures = 0;
  private rv = '';

  constructor(
    private readonly client: ListerWatcher<T>,
    resource: ResourceRef,
    private readonly o: InformerOptions = {},
  ) {
    const { name: _n, subresource: _s, ...collection } = resource;
    this.resource = collection;
    this.clock = o.clock ?? realClock;
    this.backoff = o.backoff ?? defaultBackoff;
  }

  // ------------------------------------------------------------------ lifecycle

  /** Starts listing and watching in the background (once). */
  start(): this {
    if (!this.running && !this.stopper.signal.aborted) {
      this.running = this.run();
      this.scheduleResync();
    }
    return this;
  }

  /** Stops watching; resolves when the loop has ended. The cache keeps its last state. */
  async stop(): Promise<void> {
    if (!this.stopper.signal.aborted) this.stopper.abort(new Error('informer stopped'));
    this.current?.stop();
    if (this.resyncTimer !== undefined) this.clock.clearTimeout(this.resyncTimer);
    for (const w of this.syncWaiters.splice(0)) w.reject(new Error('informer stopped before it synced'));
    await this.running;
  }

  get stopped(): boolean {
    return this.stopper.signal.aborted;
  }

  /** True once the first list has been stored (and stays true). */
  hasSynced(): boolean {
    return this.synced;
  }

  /** Resolves once synced; rejects if the informer is stopped (or `signal` aborts) first. */
  waitForSync(signal?: AbortSignal): Promise<void> {
    if (this.synced) return Promise.resolve();
    if (this.stopped) return Promise.reject(new Error('informer stopped before it synced'));
    return new Promise((resolve, reject) => {
      const w = { resolve, reject };
      this.syncWaiters.push(w);
      signal?.addEventListener(
        'abort',
        () => {
          const i = this.syncWaiters.indexOf(w);
          if (i >= 0) this.syncWaiters.splice(i, 1);
          reject(signal.reason);
        },
        { once: true },
      );
    });
  }

  /** The resourceVersion of the last list or event seen. */
  get lastSyncResourceVersion(): string {
    return this.rv;
  }

  // ------------------------------------------------------------------ handlers

  /**
   * Adds handlers; if the cache is already filled, `onAdd` is called for what it holds.
   * Returns a function that removes them.
   */
  addEventHandler(h: EventHandler<T>): () => void {
    this.handlers.add(h);
    if (this.synced && h.onAdd) for (const obj of this.cache.list()) this.call(() => h.onAdd!(obj, true));
    return () => this.handlers.delete(h);
  }

  onAdd(fn: (obj: T, initialList: boolean) => void): () => void {
    return this.addEventHandler({ onAdd: fn });
  }

  onUpdate(fn: (oldObj: T, newObj: T) => void): () => void {
    return this.addEventHandler({ onUpdate: fn });
  }

  onDelete(fn: (obj: T, finalStateUnknown: boolean) => void): () => void {
    return this.addEventHandler({ onDelete: fn });
  }

  // ------------------------------------------------------------------ cache

  /** By key: `namespace/name` or, cluster-scoped, `name`. Do not mutate the result. */
  get(key: string): T | undefined {
    return this.cache.get(key);
  }

  /** By namespace and name (namespace undefined for cluster-scoped objects). */
  getByName(namespace: string | undefined, name: string): T | undefined {
    return this.cache.get(namespace ? `${namespace}/${name}` : name);
  }

  /** Everything cached (optionally one namespace's). Do not mutate the results. */
  list(namespace?: string): T[] {
    const all = this.cache.list();
    return namespace === undefined ? all : all.filter((o) => o.metadata.namespace === namespace);
  }

  keys(): string[] {
    return this.cache.keys();
  }

  addIndex(name: string, fn: IndexFunc<T>): this {
    this.cache.addIndex(name, fn);
    return this;
  }

  byIndex(name: string, value: string): T[] {
    return this.cache.byIndex(name, value);
  }

  indexKeys(name: string, value: string): string[] {
    return this.cache.indexKeys(name, value);
  }

  // ------------------------------------------------------------------ the loop

  private async run(): Promise<void> {
    const signal = this.stopper.signal;
    while (!signal.aborted) {
      try {
        await this.listAndReplace();
        await this.watchUntilBroken();
      } catch (e) {
        if (signal.aborted) break;
        this.failures++;
        this.o.onError?.(e);
        try {
          await sleep(this.clock, this.backoff(this.failures), signal);
        } catch {
          break;
        }
      }
    }
  }

  private async listAndReplace(): Promise<void> {
    const list = await this.listAll();
    const seen = new Set<string>();
    for (const item of list.items) {
      const obj = this.prepare(item);
      const key = objectKey(obj);
      seen.add(key);
      const old = this.cache.set(key, obj);
      if (old === undefined) this.emit((h) => h.onAdd?.(obj, true));
      else if (old.metadata.resourceVersion !== obj.metadata.resourceVersion) this.emit((h) => h.onUpdate?.(old, obj));
    }
    for (const key of this.cache.keys()) {
      if (seen.has(key)) continue;
      const old = this.cache.delete(key)!;
      this.emit((h) => h.onDelete?.(old, true));
    }
    this.rv = list.metadata.resourceVersion ?? '';
    if (!this.synced) {
      this.synced = true;
      for (const w of this.syncWaiters.splice(0)) w.resolve();
    }
  }

  /** Pages through a consistent list; if a continue token expires, one unpaged list. */
  private async listAll(): Promise<KubeList<T>> {
    const signal = this.stopper.signal;
    const base: ListOptions = { labelSelector: this.o.labelSelector, fieldSelector: this.o.fieldSelector, signal };
    const pageSize = this.o.pageSize ?? 500;
    if (pageSize <= 0) return this.client.list(this.resource, base);
    const first = await this.client.list(this.resource, { ...base, limit: pageSize });
    const items = [...first.items];
    let meta = first.metadata;
    while (meta.continue) {
      try {
        const page = await this.client.list(this.resource, { ...base, limit: pageSize, continue: meta.continue });
        items.push(...page.items);
        meta = page.metadata;
      } catch (e) {
        if (isGone(e)) return this.client.list(this.resource, base);
        throw e;
      }
    }
    return { ...first, metadata: { resourceVersion: meta.resourceVersion }, items };
  }

  /** Watches from the last resourceVersion, renewing the watch when the server ends it; throws to re-list. */
  private async watchUntilBroken(): Promise<void> {
    const signal = this.stopper.signal;
    while (!signal.aborted) {
      const started = this.clock.now();
      let events = 0;
      const w = this.client.watch(this.resource, {
        resourceVersion: this.rv,
        allowWatchBookmarks: true,
        timeoutSeconds: Math.max(1, Math.round(this.o.watchTimeoutSeconds?.() ?? 300 + Math.random() * 300)),
        labelSelector: this.o.labelSelector,
        fieldSelector: this.o.fieldSelector,
      });
      this.current = w;
      if (signal.aborted) w.stop();
      try {
        for await (const ev of w) {
          events++;
          this.failures = 0;
          this.apply(ev);
        }
      } finally {
        this.current = undefined;
      }
      if (signal.aborted) return;
      if (events === 0 && this.clock.now() - started < SHORT_WATCH_MS) {
        // Ended at once without a word: back off before asking again.
        this.failures++;
        await sleep(this.clock, this.backoff(this.failures), signal).catch(() => {});
      }
    }
  }

  private apply(ev: WatchEvent<T>): void {
    const rv = ev.object.metadata?.resourceVersion;
    if (ev.type === 'BOOKMARK') {
      if (rv) this.rv = rv;
      return;
    }
    const obj = this.prepare(ev.object);
    const key = objectKey(obj);
    if (ev.type === 'DELETED') {
      this.cache.delete(key);
      this.emit((h) => h.onDelete?.(obj, false));
    } else {
      const old = this.cache.set(key, obj);
      if (old === undefined) this.emit((h) => h.onAdd?.(obj, false));
      else this.emit((h) => h.onUpdate?.(old, obj));
    }
    if (rv) this.rv = rv;
  }

  private scheduleResync(): void {
    const period = this.o.resyncPeriodMs ?? 0;
    if (period <= 0 || this.stopped) return;
    this.resyncTimer = this.clock.setTimeout(() => {
      if (this.stopped) return;
      if (this.synced) for (const obj of this.cache.list()) this.emit((h) => h.onUpdate?.(obj, obj));
      this.scheduleResync();
    }, period);
  }

  private prepare(obj: T): T {
    return this.o.freezeObjects ? deepFreeze(obj) : obj;
  }

  private emit(f: (h: EventHandler<T>) => void): void {
    for (const h of this.handlers) this.call(() => f(h));
  }

  private call(f: () => void): void {
    try {
      f();
    } catch (e) {
      this.o.onError?.(e);
    }
  }
}

/** Resolves when every informer has synced. */
export async function waitForCacheSync(informers: Array<{ waitForSync(signal?: AbortSignal): Promise<void> }>, signal?: AbortSignal): Promise<void> {
  await Promise.all(informers.map((i) => i.waitForSync(signal)));
}

function deepFreeze<V>(v: V): V {
  if (typeof v === 'object' && v !== null && !Object.isFrozen(v)) {
    Object.freeze(v);
    for (const x of Object.values(v)) deepFreeze(x);
  }
  return v;
}
