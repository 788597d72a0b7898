import { describe, expect, it } from 'vitest';
import { FakeClock, flushMicrotasks } from './clock.ts';
import { TokenBucket } from './rate-limiter.ts';

describe('TokenBucket', () => {
  it('allows a burst, then qps tokens a second', () => {
    const clock = new FakeClock();
    const b = new TokenBucket({ qps: 2, burst: 2, clock });
    expect([b.tryAccept(), b.tryAccept(), b.tryAccept()]).toEqual([true, true, false]);
    clock.advance(499);
    expect(b.tryAccept()).toBe(false);
    clock.advance(1);
    expect(b.tryAccept()).toBe(true);
    clock.advance(10_000);
    expect([b.tryAccept(), b.tryAccept(), b.tryAccept()]).toEqual([true, true, false]);
  });

  it('wait() resolves when the reserved token is due', async () => {
    const clock = new FakeClock();
    const b = new TokenBucket({ qps: 10, burst: 1, clock });
    const order: string[] = [];
    void b.wait().then(() => order.push('first'));
    void b.wait().then(() => order.push('second'));
    void b.wait().then(() => order.push('third'));
    await flushMicrotasks();
    expect(order).toEqual(['first']);
    await clock.tick(100);
    expect(order).toEqual(['first', 'second']);
    await clock.tick(100);
    expect(order).toEqual(['first', 'second', 'third']);
  });

  it('an aborted wait rejects and clears its timer', async () => {
    const clock = new FakeClock();
    const b = new TokenBucket({ qps: 1, burst: 1, clock });
    await b.wait();
    const ac = new AbortController();
    const p = b.wait(ac.signal);
    ac.abort(new Error('cancelled'));
    await expect(p).rejects.toThrow('cancelled');
    expect(clock.pending).toBe(0);
  });
});
