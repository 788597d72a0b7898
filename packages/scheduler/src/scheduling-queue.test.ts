import { FakeClock } from '@minik8s/client/kube';
import { describe, expect, it } from 'vitest';
import { SchedulingQueue } from './scheduling-queue.ts';

function queue(clock = new FakeClock(1_000_000)) {
  return { clock, q: new SchedulingQueue({ clock, initialBackoffMs: 1000, maxBackoffMs: 10_000, maxInUnschedulableMs: 60_000, flushIntervalMs: 30_000 }) };
}

describe('SchedulingQueue', () => {
  it('pops by priority, then oldest first', async () => {
    const { clock, q } = queue();
    q.add('ns/a', 0);
    clock.advance(1);
    q.add('ns/b', 10);
    clock.advance(1);
    q.add('ns/c', 0);
    expect((await q.pop())?.key).toBe('ns/b');
    expect((await q.pop())?.key).toBe('ns/a');
    expect((await q.pop())?.key).toBe('ns/c');
    q.close();
  });

  it('a Pod is handed out once at a time', async () => {
    const { q } = queue();
    q.add('ns/a');
    const first = await q.pop();
    q.add('ns/a');
    let second: unknown;
    void q.pop().then((v) => {
      second = v;
    });
    await Promise.resolve();
    expect(first?.key).toBe('ns/a');
    expect(second).toBeUndefined();
    q.close();
  });

  it('unschedulable Pods wait for a cluster change, then back off', async () => {
    const { clock, q } = queue();
    q.add('ns/a');
    await q.pop();
    q.unschedulable('ns/a');
    expect(q.where('ns/a')).toBe('unschedulable');
    q.moveAllToActiveOrBackoff();
    expect(q.where('ns/a')).toBe('backoff'); // 1 s back-off after the first attempt
    clock.advance(1000);
    expect(q.where('ns/a')).toBe('active');
    const again = await q.pop();
    expect(again?.attempts).toBe(2);
    q.close();
  });

  it('back-off doubles up to the maximum', () => {
    const { q } = queue();
    expect([1, 2, 3, 4, 5, 6].map((n) => q.backoffDuration(n))).toEqual([1000, 2000, 4000, 8000, 10_000, 10_000]);
    q.close();
  });

  it('a change during the attempt sends the Pod to back-off, not unschedulable', async () => {
    const { q } = queue();
    q.add('ns/a');
    await q.pop();
    q.moveAllToActiveOrBackoff(); // a node was added while we were filtering
    q.unschedulable('ns/a');
    expect(q.where('ns/a')).toBe('backoff');
    q.close();
  });

  it('an unschedulable Pod that changes is tried again', async () => {
    const { clock, q } = queue();
    q.add('ns/a');
    await q.pop();
    q.unschedulable('ns/a');
    clock.advance(5000);
    q.update('ns/a');
    expect(q.where('ns/a')).toBe('active');
    q.close();
  });

  it('unschedulable Pods are flushed after maxInUnschedulable', async () => {
    const { clock, q } = queue();
    q.add('ns/a');
    await q.pop();
    q.unschedulable('ns/a');
    clock.advance(30_000);
    expect(q.where('ns/a')).toBe('unschedulable');
    clock.advance(30_000);
    expect(q.where('ns/a')).toBe('active');
    q.close();
  });

  it('a Pod deleted during its attempt is dropped', async () => {
    const { q } = queue();
    q.add('ns/a');
    await q.pop();
    q.delete('ns/a');
    q.unschedulable('ns/a');
    expect(q.where('ns/a')).toBeUndefined();
    q.close();
  });

  it('errors back off', async () => {
    const { clock, q } = queue();
    q.add('ns/a');
    await q.pop();
    q.backoff('ns/a');
    expect(q.where('ns/a')).toBe('backoff');
    clock.advance(999);
    expect(q.where('ns/a')).toBe('backoff');
    clock.advance(1);
    expect(q.where('ns/a')).toBe('active');
    q.close();
  });

  it('close wakes a waiting pop', async () => {
    const { q } = queue();
    const p = q.pop();
    q.close();
    expect(await p).toBeUndefined();
  });
});
