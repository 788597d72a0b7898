/**
 * The delay before a Job's failed Pods are replaced (upstream's backoff_utils.go): after
 * N failures since the last success the next Pod waits base·2^(N-1), at most
 * MAX_POD_FAILURE_BACKOFF_MS, counted from the last failure.
 */
import type { Clock } from '@minik8s/client/kube';

/** Upstream's DefaultJobPodFailureBackOff and MaxJobPodFailureBackOff. */
export const DEFAULT_POD_FAILURE_BACKOFF_MS = 10_000;
export const MAX_POD_FAILURE_BACKOFF_MS = 10 * 60_000;

export interface BackoffRecord {
  failuresAfterLastSuccess: number;
  lastFailureTime?: number;
}

export class PodFailureBackoff {
  private readonly records = new Map<string, BackoffRecord>();

  constructor(
    private readonly clock: Clock,
    private readonly baseMs = DEFAULT_POD_FAILURE_BACKOFF_MS,
    private readonly maxMs = MAX_POD_FAILURE_BACKOFF_MS,
  ) {}

  /** The record after these newly seen finished Pods (not stored: `save` it once they are counted). */
  next(key: string, newSucceeded: number, newFailed: number): BackoffRecord {
    const cur = this.records.get(key) ?? { failuresAfterLastSuccess: 0 };
    if (newSucceeded > 0 && newFailed === 0) return { failuresAfterLastSuccess: 0 };
    if (newFailed === 0) return cur;
    return { failuresAfterLastSuccess: cur.failuresAfterLastSuccess + newFailed, lastFailureTime: this.clock.now() };
  }

  save(key: string, r: BackoffRecord): void {
    this.records.set(key, r);
  }

  forget(key: string): void {
    this.records.delete(key);
  }

  /** Milliseconds until a Pod may be created again (0: now). */
  remaining(r: BackoffRecord): number {
    if (r.failuresAfterLastSuccess === 0 || r.lastFailureTime === undefined) return 0;
    const delay = Math.min(this.baseMs * 2 ** (r.failuresAfterLastSuccess - 1), this.maxMs);
    return Math.max(0, delay - (this.clock.now() - r.lastFailureTime));
  }
}
