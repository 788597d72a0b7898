import { FakeClock } from '@minik8s/client/kube';
import { describe, expect, it } from 'vitest';
import { MAX_POD_FAILURE_BACKOFF_MS, PodFailureBackoff } from './backoff.ts';

describe('pod failure back-off', () => {
  it('waits base·2^(n-1) from the last failure, at most 10 minutes, and resets on a success', () => {
    const clock = new FakeClock(0);
    const b = new PodFailureBackoff(clock, 10_000);
    let r = b.next('ns/j', 0, 1);
    b.save('ns/j', r);
    expect(b.remaining(r)).toBe(10_000);
    clock.advance(4_000);
    expect(b.remaining(r)).toBe(6_000);
    r = b.next('ns/j', 0, 1);
    b.save('ns/j', r);
    expect(b.remaining(r)).toBe(20_000);
    for (let i = 0; i < 10; i++) {
      r = b.next('ns/j', 0, 1);
      b.save('ns/j', r);
    }
    expect(b.remaining(r)).toBe(MAX_POD_FAILURE_BACKOFF_MS);
    r = b.next('ns/j', 1, 0);
    expect(b.remaining(r)).toBe(0);
  });
});
