import { describe, expect, it } from 'vitest';
import { FakeClock, flushMicrotasks } from './clock.ts';
import { GoneError } from './errors.ts';
import { Informer, type ListerWatcher } from './informer.ts';
import type { ListOptions, WatchOptions } from './rest-client.ts';
import type { KubeList, KubeObject, ResourceRef, WatchEvent } from './types.ts';

const gone = () =>
  new GoneError({ kind: 'Status', apiVersion: 'v1', status: 'Failure', message: 'too old resource version: 1 (5)', reason: 'Expired', code: 410 });

/** A watch the test feeds by hand. */
class FakeWatch implements AsyncIterable<WatchEvent> {
  private readonly queue: Array<WatchEvent | Error | 'end'> = [];
  private wake: (() => void) | undefined;
  stopped = false;
  constructor(readonly opts: WatchOptions) {}

  send(type: WatchEvent['type'], object: KubeObject): void {
    this.put({ type, object });
  }
  fail(e: Error): void {
    this.put(e);
  }
  end(): void {
    this.put('end');
  }
  stop(): void {
    this.stopped = true;
    this.put('end');
  }
  private put(x: WatchEvent | Error | 'end'): void {
    this.queue.push(x);
    this.wake?.();
  }
  async *[Symbol.asyncIterator](): AsyncIterator<WatchEvent> {
    for (;;) {
      while (this.queue.length === 0) await new Promise<void>((r) => (this.wake = r));
      const x = this.queue.shift()!;
      if (x === 'end') return;
      if (x instanceof Error) throw x;
      yield x;
    }
  }
}

class FakeListerWatcher implements ListerWatcher {
  readonly lists: ListOptions[] = [];
  readonly watches: FakeWatch[] = [];
  /** What the next lists answer, in order (the last one repeats). */
  answers: Array<KubeList | Error> = [];

  async list(_ref: ResourceRef, o: ListOptions): Promise<KubeList> {
    this.lists.push(o);
    const a = this.answers.length > 1 ? this.answers.shift()! : this.answers[0]!;
    if (a instanceof Error) throw a;
    return structuredClone(a);
  }

  watch(_ref: ResourceRef, o: WatchOptions): FakeWatch {
    const w = new FakeWatch(o);
    this.watches.push(w);
    return w;
  }

  get lastWatch(): FakeWatch {
    return this.watches[this.watches.length - 1]!;
  }
}

const obj = (ns: string, name: string, rv: string, labels?: Record<string, string>): KubeObject => ({
  metadata: { namespace: ns, name, resourceVersion: rv, ...(labels ? { labels } : {}) },
});
const list = (rv: string, ...items: KubeObject[]): KubeList => ({ metadata: { resourceVersion: rv }, items });

function setup() {
  const clock = new FakeClock();
  const lw = new FakeListerWatcher();
  const delays: number[] = [];
  const errors: unknown[] = [];
  const informer = new Informer(
    lw,
    { version: 'v1', plural: 'pods' },
    {
      clock,
      backoff: (n) => {
        const d = 100 * n;
        delays.push(d);
        return d;
      },
      onError: (e) => errors.push(e),
    },
  );
  const log: string[] = [];
  informer.addEventHandler({
    onAdd: (o, initial) => log.push(`add ${o.metadata.name}${initial ? ' (list)' : ''}`),
    onUpdate: (a, b) => log.push(`update ${a.metadata.name} ${a.metadata.resourceVersion}->${b.metadata.resourceVersion}`),
    onDelete: (o, unknown) => log.push(`delete ${o.metadata.name}${unknown ? ' (final state unknown)' : ''}`),
  });
  return { clock, lw, informer, log, delays, errors };
}

describe('Informer (fake lister/watcher, fake clock)', () => {
  it('lists, then watches from the list resourceVersion; the cache follows events', async () => {
    const { lw, informer, log } = setup();
    lw.answers = [list('10', obj('a', 'p1', '5'), obj('b', 'p2', '7'))];
    expect(informer.hasSynced()).toBe(false);
    informer.start();
    await informer.waitForSync();
    expect(informer.hasSynced()).toBe(true);
    expect(informer.keys().sort()).toEqual(['a/p1', 'b/p2']);
    await flushMicrotasks();
    expect(lw.lastWatch.opts.resourceVersion).toBe('10');
    expect(lw.lastWatch.opts.allowWatchBookmarks).toBe(true);

    lw.lastWatch.send('ADDED', obj('a', 'p3', '11'));
    lw.lastWatch.send('MODIFIED', obj('a', 'p1', '12'));
    lw.lastWatch.send('DELETED', obj('b', 'p2', '13'));
    lw.lastWatch.send('BOOKMARK', { metadata: { resourceVersion: '20' } });
    await flushMicrotasks();
    expect(informer.get('a/p1')?.metadata.resourceVersion).toBe('12');
    expect(informer.getByName('a', 'p3')).toBeDefined();
    expect(informer.get('b/p2')).toBeUndefined();
    expect(informer.lastSyncResourceVersion).toBe('20');
    expect(log).toEqual(['add p1 (list)', 'add p2 (list)', 'add p3', 'update p1 5->12', 'delete p2']);
    await informer.stop();
  });

  it('re-watches from the last resourceVersion when the server ends a watch cleanly', async () => {
    const { lw, informer } = setup();
    lw.answers = [list('10')];
    informer.start();
    await informer.waitForSync();
    await flushMicrotasks();
    lw.lastWatch.send('ADDED', obj('a', 'x', '15'));
    lw.lastWatch.end();
    await flushMicrotasks();
    expect(lw.watches).toHaveLength(2);
    expect(lw.lastWatch.opts.resourceVersion).toBe('15');
    expect(lw.lists).toHaveLength(1);
    await informer.stop();
  });

  it('on 410 Gone it backs off (injected delay), re-lists and reconciles the cache with the new list', async () => {
    const { lw, informer, log, clock, delays, errors } = setup();
    lw.answers = [
      list('10', obj('a', 'keep', '1'), obj('a', 'change', '2'), obj('a', 'vanish', '3')),
      list('50', obj('a', 'keep', '1'), obj('a', 'change', '40'), obj('a', 'new', '45')),
    ];
    informer.start();
    await informer.waitForSync();
    await flushMicrotasks();
    log.length = 0;
    lw.lastWatch.fail(gone());
    await flushMicrotasks();
    expect(errors[0]).toBeInstanceOf(GoneError);
    expect(delays).toEqual([100]);
    expect(lw.lists).toHaveLength(1); // still waiting out the back-off
    await clock.tick(99);
    expect(lw.lists).toHaveLength(1);
    await clock.tick(1);
    expect(lw.lists).toHaveLength(2);
    expect(log).toEqual(['update change 2->40', 'add new (list)', 'delete vanish (final state unknown)']);
    expect(informer.keys().sort()).toEqual(['a/change', 'a/keep', 'a/new']);
    expect(lw.lastWatch.opts.resourceVersion).toBe('50');
    await informer.stop();
  });

  it('failing lists back off longer each time; a working watch resets the count', async () => {
    const { lw, informer, clock, delays } = setup();
    const boom = new Error('connection refused');
    lw.answers = [boom, boom, boom, list('7')];
    informer.start();
    await flushMicrotasks();
    expect(delays).toEqual([100]);
    await clock.tick(100);
    expect(delays).toEqual([100, 200]);
    await clock.tick(200);
    expect(delays).toEqual([100, 200, 300]);
    expect(informer.hasSynced()).toBe(false);
    await clock.tick(300);
    expect(informer.hasSynced()).toBe(true);
    lw.lastWatch.send('ADDED', obj('a', 'x', '8'));
    lw.lastWatch.fail(new Error('stream reset'));
    await flushMicrotasks();
    expect(delays).toEqual([100, 200, 300, 100]);
    await informer.stop();
  });

  it('a watch that ends at once without events is retried after a back-off, not in a busy loop', async () => {
    const { lw, informer, clock, delays } = setup();
    lw.answers = [list('7')];
    informer.start();
    await informer.waitForSync();
    await flushMicrotasks();
    lw.lastWatch.end();
    await flushMicrotasks();
    expect(lw.watches).toHaveLength(1);
    expect(delays).toEqual([100]);
    await clock.tick(100);
    expect(lw.watches).toHaveLength(2);
    await informer.stop();
  });

  it('named indexes, handlers added late get the cache as adds, and frozen objects', async () => {
    const clock = new FakeClock();
    const lw = new FakeListerWatcher();
    lw.answers = [list('3', obj('a', 'p1', '1', { app: 'web' }), obj('b', 'p2', '2', { app: 'web' }), obj('b', 'p3', '3', { app: 'db' }))];
    const informer = new Informer(lw, { version: 'v1', plural: 'pods' }, { clock, freezeObjects: true });
    informer.addIndex('app', (o) => (o.metadata.labels?.app ? [o.metadata.labels.app] : []));
    informer.start();
    await informer.waitForSync();
    expect(
      informer
        .byIndex('app', 'web')
        .map((o) => o.metadata.name)
        .sort(),
    ).toEqual(['p1', 'p2']);
    expect(
      informer
        .list('b')
        .map((o) => o.metadata.name)
        .sort(),
    ).toEqual(['p2', 'p3']);
    await flushMicrotasks();
    lw.lastWatch.send('MODIFIED', obj('b', 'p2', '4', { app: 'db' }));
    await flushMicrotasks();
    expect(informer.indexKeys('app', 'web')).toEqual(['a/p1']);
    expect(informer.indexKeys('app', 'db').sort()).toEqual(['b/p2', 'b/p3']);

    const late: string[] = [];
    informer.onAdd((o, initial) => late.push(`${o.metadata.name}:${initial}`));
    expect(late.sort()).toEqual(['p1:true', 'p2:true', 'p3:true']);

    const cached = informer.get('a/p1')!;
    expect(() => {
      cached.metadata.labels!.app = 'changed';
    }).toThrow(TypeError);
    await informer.stop();
  });

  it('stop() ends the loop, stops the watch and rejects waiters that never synced', async () => {
    const { lw, informer } = setup();
    lw.answers = [new Error('down')];
    informer.start();
    const waiting = informer.waitForSync();
    await flushMicrotasks();
    await informer.stop();
    await expect(waiting).rejects.toThrow('informer stopped before it synced');

    const s = setup();
    s.lw.answers = [list('1')];
    s.informer.start();
    await s.informer.waitForSync();
    await flushMicrotasks();
    await s.informer.stop();
    expect(s.lw.lastWatch.stopped).toBe(true);
  });

  it('resync replays every cached object as an update', async () => {
    const clock = new FakeClock();
    const lw = new FakeListerWatcher();
    lw.answers = [list('3', obj('a', 'p1', '1'))];
    const informer = new Informer(lw, { version: 'v1', plural: 'pods' }, { clock, resyncPeriodMs: 1000 });
    const updates: string[] = [];
    informer.onUpdate((a, b) => updates.push(`${a.metadata.name}:${a === b}`));
    informer.start();
    await informer.waitForSync();
    clock.advance(1000);
    clock.advance(1000);
    expect(updates).toEqual(['p1:true', 'p1:true']);
    await informer.stop();
    expect(clock.pending).toBe(0);
  });
});
