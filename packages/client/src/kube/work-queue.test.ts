import { describe, expect, it } from 'vitest';
import { FakeClock, flushMicrotasks } from './clock.ts';
import { BucketRateLimiter, ExponentialRateLimiter, MaxOfRateLimiter, runWorkers, WorkQueue } from './work-queue.ts';

/** A queue on a fake clock whose back-off is only per-key exponential (no global bucket). */
function makeQueue(clock = new FakeClock(), baseMs = 5, maxMs = 1_000_000) {
  return { clock, q: new WorkQueue({ clock, rateLimiter: new ExponentialRateLimiter(baseMs, maxMs) }) };
}

describe('WorkQueue', () => {
  it('hands keys out in order and de-duplicates keys that are waiting', async () => {
    const { q } = makeQueue();
    q.add('ns/a');
    q.add('ns/b');
    q.add('ns/a');
    expect(q.len()).toBe(2);
    expect(await q.get()).toBe('ns/a');
    expect(await q.get()).toBe('ns/b');
    expect(q.len()).toBe(0);
  });

  it('never hands one key to two workers; a key re-added while processing comes back after done', async () => {
    const { q } = makeQueue();
    q.add('ns/a');
    const first = await q.get();
    expect(first).toBe('ns/a');
    q.add('ns/a');
    q.add('ns/a');
    // A second worker asks: ns/a is being processed, so it waits.
    let second: string | undefined = 'none yet';
    const p = q.get().then((k) => {
      second = k;
    });
    await flushMicrotasks();
    expect(second).toBe('none yet');
    expect(q.len()).toBe(0);
    q.done('ns/a');
    await p;
    expect(second).toBe('ns/a');
    q.done('ns/a');
    expect(q.len()).toBe(0);
    expect(q.inProgress()).toBe(0);
  });

  it('a waiting get() is woken by add()', async () => {
    const { q } = makeQueue();
    const p = q.get();
    q.add('x');
    expect(await p).toBe('x');
  });

  it('addAfter queues the key when its time comes, and the earliest time wins', async () => {
    const { q, clock } = makeQueue();
    q.addAfter('a', 100);
    q.addAfter('a', 50);
    q.addAfter('a', 500);
    expect(q.len()).toBe(0);
    expect(q.delayed()).toBe(1);
    clock.advance(49);
    expect(q.len()).toBe(0);
    clock.advance(1);
    expect(q.len()).toBe(1);
    expect(q.delayed()).toBe(0);
    // Nothing else fires later.
    clock.advance(1000);
    expect(q.len()).toBe(1);
    expect(await q.get()).toBe('a');
  });

  it('addAfter(0) adds at once', () => {
    const { q } = makeQueue();
    q.addAfter('a', 0);
    expect(q.len()).toBe(1);
  });

  it('addRateLimited backs off exponentially per key, capped, and forget resets it', () => {
    const clock = new FakeClock();
    const limiter = new ExponentialRateLimiter(5, 1000);
    const q = new WorkQueue({ clock, rateLimiter: limiter });
    const delays: number[] = [];
    for (let i = 0; i < 10; i++) {
      const before = clock.now();
      q.addRateLimited('a');
      const at = clock.nextAt()!;
      delays.push(at - before);
      clock.advance(at - before);
      expect(q.len()).toBe(1);
      void q.get();
      q.done('a');
    }
    expect(delays).toEqual([5, 10, 20, 40, 80, 160, 320, 640, 1000, 1000]);
    expect(q.numRequeues('a')).toBe(10);
    expect(q.numRequeues('b')).toBe(0);
    q.forget('a');
    expect(q.numRequeues('a')).toBe(0);
    q.addRateLimited('a');
    expect(clock.nextAt()! - clock.now()).toBe(5);
  });

  it("the default per-key back-off is client-go's: 5 ms doubling up to 1000 s", () => {
    const l = new ExponentialRateLimiter();
    const d = Array.from({ length: 30 }, () => l.when('k'));
    expect(d.slice(0, 4)).toEqual([5, 10, 20, 40]);
    expect(d[27]).toBe(1_000_000);
    expect(Math.max(...d)).toBe(1_000_000);
  });

  it('the overall bucket spaces keys out once the burst is spent', () => {
    const clock = new FakeClock();
    const bucket = new BucketRateLimiter({ qps: 10, burst: 2, clock });
    expect([bucket.when(), bucket.when(), bucket.when(), bucket.when()]).toEqual([0, 0, 100, 200]);
    clock.advance(1000);
    expect(bucket.when()).toBe(0);
    const max = new MaxOfRateLimiter(new ExponentialRateLimiter(5, 1000), new BucketRateLimiter({ qps: 1, burst: 1, clock }));
    expect(max.when('a')).toBe(5);
    expect(max.when('b')).toBe(1000);
  });

  it('shutDown wakes waiting workers with undefined and drops delayed keys', async () => {
    const { q, clock } = makeQueue();
    q.addAfter('later', 10);
    const p = q.get();
    q.shutDown();
    expect(await p).toBeUndefined();
    expect(clock.pending).toBe(0);
    q.add('x');
    expect(q.len()).toBe(0);
    expect(await q.get()).toBeUndefined();
  });

  it('shutDownWithDrain waits for keys in progress', async () => {
    const { q } = makeQueue();
    q.add('a');
    await q.get();
    let drained = false;
    const p = q.shutDownWithDrain().then(() => {
      drained = true;
    });
    await flushMicrotasks();
    expect(drained).toBe(false);
    q.done('a');
    await p;
    expect(drained).toBe(true);
  });
});

describe('runWorkers', () => {
  it('processes each key once at a time, retries failures with back-off, and honours requeueAfter', async () => {
    const clock = new FakeClock();
    const q = new WorkQueue({ clock, rateLimiter: new ExponentialRateLimiter(5, 1000) });
    const calls: string[] = [];
    let active = 0;
    let maxActiveForA = 0;
    let failuresLeft = 2;
    const errors: string[] = [];
    const done = runWorkers(
      q,
      async (key) => {
        calls.push(`${key}@${clock.now()}`);
        if (key === 'a') {
          active++;
          maxActiveForA = Math.max(maxActiveForA, active);
          await flushMicrotasks(3);
          active--;
          if (failuresLeft-- > 0) throw new Error('boom');
          return { requeueAfter: 1000 };
        }
        return undefined;
      },
      { workers: 3, onError: (k, e) => errors.push(`${k}: ${(e as Error).message}`) },
    );
    q.add('a');
    q.add('b');
    await flushMicrotasks(50);
    // Fails at t=0, retried after 5 ms, fails, retried after 10 ms, succeeds, requeued after 1000 ms.
    await clock.tick(5);
    await clock.tick(10);
    expect(q.numRequeues('a')).toBe(0); // forgotten after success
    await clock.tick(1000);
    await flushMicrotasks(50);
    q.shutDown();
    await done;
    expect(maxActiveForA).toBe(1);
    expect(errors).toEqual(['a: boom', 'a: boom']);
    expect(calls.filter((c) => c.startsWith('a@'))).toEqual(['a@0', 'a@5', 'a@15', 'a@1015']);
    expect(calls.filter((c) => c.startsWith('b@'))).toEqual(['b@0']);
  });

  it('a key added again while a worker has it is processed again afterwards, never concurrently', async () => {
    const clock = new FakeClock();
    const q = new WorkQueue({ clock, rateLimiter: new ExponentialRateLimiter(5, 1000) });
    let active = 0;
    let maxActive = 0;
    let runs = 0;
    let release!: () => void;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const done = runWorkers(
      q,
      async () => {
        runs++;
        active++;
        maxActive = Math.max(maxActive, active);
        if (runs === 1) await gate;
        active--;
        return undefined;
      },
      { workers: 4 },
    );
    q.add('a');
    await flushMicrotasks();
    q.add('a');
    q.add('a');
    await flushMicrotasks(50);
    expect(runs).toBe(1);
    release();
    await flushMicrotasks(50);
    expect(runs).toBe(2);
    q.shutDown();
    await done;
    expect(maxActive).toBe(1);
  });
});
