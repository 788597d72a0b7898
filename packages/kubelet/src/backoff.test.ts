import { FakeClock } from '@minik8s/client/kube';
import { describe, expect, it } from 'vitest';
import { Backoff } from './backoff.ts';
import { goDuration } from './internal/go-duration.ts';

describe('Backoff', () => {
  it('starts at the initial delay, doubles, and stops at the maximum', () => {
    const clock = new FakeClock(1_000_000);
    const b = new Backoff({ initialMs: 10_000, maxMs: 300_000, clock });
    expect(b.isInBackOffSince('k', clock.now())).toBe(false);
    const seen: number[] = [];
    for (let i = 0; i < 8; i++) {
      b.next('k');
      seen.push(b.get('k'));
    }
    expect(seen).toEqual([10_000, 20_000, 40_000, 80_000, 160_000, 300_000, 300_000, 300_000]);
  });

  it('is in back-off until the delay has passed since the container finished', () => {
    const clock = new FakeClock(1_000_000);
    const b = new Backoff({ initialMs: 10_000, maxMs: 300_000, clock });
    b.next('k');
    const finished = clock.now();
    clock.advance(9_000);
    expect(b.isInBackOffSince('k', finished)).toBe(true);
    expect(b.remaining('k', finished)).toBe(1_000);
    clock.advance(1_000);
    expect(b.isInBackOffSince('k', finished)).toBe(false);
  });

  it('forgets a key after twice the maximum without failures', () => {
    const clock = new FakeClock(0);
    const b = new Backoff({ initialMs: 10, maxMs: 100, clock });
    b.next('k');
    b.next('k');
    expect(b.get('k')).toBe(20);
    clock.advance(201);
    b.next('k');
    expect(b.get('k')).toBe(10);
  });
});

describe('goDuration', () => {
  it('writes durations as Go does', () => {
    expect(goDuration(10_000)).toBe('10s');
    expect(goDuration(80_000)).toBe('1m20s');
    expect(goDuration(300_000)).toBe('5m0s');
    expect(goDuration(500)).toBe('500ms');
    expect(goDuration(1500)).toBe('1.5s');
  });
});
