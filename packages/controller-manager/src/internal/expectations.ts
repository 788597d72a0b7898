/**
 * client-go's ControllerExpectations (with UID tracking for deletions): after a
 * controller creates or deletes N children it records that it expects to observe them,
 * and does not act on that owner again until the informer has shown them (or the
 * expectations expire after five minutes), so a stale cache never doubles the work.
 */
import type { Clock } from '@minik8s/client/kube';

/** Upstream's ExpectationsTimeout. */
export const EXPECTATIONS_TTL_MS = 5 * 60_000;

interface Expectation {
  add: number;
  del: number;
  /** Keys (`ns/name`) of the children we are waiting to see deleted. */
  deleting: Set<string>;
  at: number;
}

export class Expectations {
  private readonly items = new Map<string, Expectation>();

  constructor(
    private readonly clock: Clock,
    private readonly ttlMs = EXPECTATIONS_TTL_MS,
  ) {}

  /** True when nothing is outstanding for `key` (or what is outstanding has expired). */
  satisfied(key: string): boolean {
    const e = this.items.get(key);
    if (!e) return true;
    if (e.add <= 0 && e.del <= 0) return true;
    return this.clock.now() - e.at > this.ttlMs;
  }

  expectCreations(key: string, n: number): void {
    this.items.set(key, { add: n, del: 0, deleting: new Set(), at: this.clock.now() });
  }

  /** Expects these children (by key) to go away. */
  expectDeletions(key: string, childKeys: string[]): void {
    this.items.set(key, { add: 0, del: childKeys.length, deleting: new Set(childKeys), at: this.clock.now() });
  }

  /** Expects `n` creations and these deletions at once (upstream's SetExpectations). */
  expect(key: string, n: number, childKeys: string[]): void {
    this.items.set(key, { add: n, del: childKeys.length, deleting: new Set(childKeys), at: this.clock.now() });
  }

  /** A child was seen created (or a creation will not happen after all). */
  creationObserved(key: string): void {
    const e = this.items.get(key);
    if (e) e.add--;
  }

  /** A child was seen deleted (or being deleted); counts each child once. */
  deletionObserved(key: string, childKey: string): void {
    const e = this.items.get(key);
    if (e?.deleting.delete(childKey)) e.del--;
  }

  /** Forget `key` (its owner is gone). */
  delete(key: string): void {
    this.items.delete(key);
  }

  /** What is still expected (tests and logs). */
  pending(key: string): { add: number; del: number } | undefined {
    const e = this.items.get(key);
    return e ? { add: e.add, del: e.del } : undefined;
  }
}
