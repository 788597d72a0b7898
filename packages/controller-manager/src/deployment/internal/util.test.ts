import type { Deployment } from '@minik8s/api';
import { describe, expect, it } from 'vitest';
import { computeHash, equalIgnoreHash, fnv32a, maxSurge, maxUnavailable, resolveFenceposts, safeEncodeString } from './util.ts';

const rolling = (replicas: number, surge: number | string, unavailable: number | string): Deployment => ({
  metadata: {},
  spec: { replicas, selector: {}, template: {}, strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: surge, maxUnavailable: unavailable } } },
});

describe('deployment util', () => {
  it('fnv32a and safe encoding match Go', () => {
    expect(fnv32a(new TextEncoder().encode('hello'))).toBe(0x4f9f2cab);
    // Decimal digits map to 4-9 and b, c, d, f: hence hashes like 5d4f8b9c7.
    expect(safeEncodeString('0123456789')).toBe('456789bcdf');
  });

  it('hashes templates stably, and the collision count changes the hash', () => {
    const t = { metadata: { labels: { app: 'a' } }, spec: { containers: [{ name: 'c', image: 'x' }] } };
    const same = { spec: { containers: [{ image: 'x', name: 'c' }] }, metadata: { labels: { app: 'a' } } };
    expect(computeHash(t)).toBe(computeHash(same));
    expect(computeHash(t, 1)).not.toBe(computeHash(t));
    expect(computeHash(t)).toMatch(/^[4-9bcdf]{6,10}$/);
  });

  it('compares templates ignoring pod-template-hash and empty fields', () => {
    expect(equalIgnoreHash({ metadata: { labels: { app: 'a', 'pod-template-hash': 'x' } } }, { metadata: { labels: { app: 'a' } }, spec: {} })).toBe(true);
    expect(equalIgnoreHash({ metadata: { labels: { app: 'a' } } }, { metadata: { labels: { app: 'b' } } })).toBe(false);
  });

  it.each([
    // replicas, maxSurge, maxUnavailable → surge (rounded up), unavailable (rounded down)
    [10, '25%', '25%', 3, 2],
    [4, '25%', '25%', 1, 1],
    [3, '25%', '25%', 1, 0],
    [1, 0, '25%', 0, 1], // both zero: unavailable becomes 1
    [5, 2, 1, 2, 1],
    [2, '10%', 5, 1, 2], // unavailable capped at replicas
  ])('replicas %i, surge %s, unavailable %s → %i, %i', (replicas, s, u, surge, unavailable) => {
    const d = rolling(replicas, s, u);
    expect(maxSurge(d)).toBe(surge);
    expect(maxUnavailable(d)).toBe(unavailable);
  });

  it('Recreate has no surge and no unavailability budget', () => {
    const d: Deployment = { metadata: {}, spec: { replicas: 3, selector: {}, template: {}, strategy: { type: 'Recreate' } } };
    expect([maxSurge(d), maxUnavailable(d)]).toEqual([0, 0]);
    expect(resolveFenceposts(undefined, undefined, 3)).toEqual([0, 1]);
  });
});
