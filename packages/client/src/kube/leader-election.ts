/**
 * Leader election on a `coordination.k8s.io/v1` Lease, with client-go's semantics:
 * a candidate takes the Lease when it is free or its holder has not renewed it for
 * `leaseDuration` (measured on this process's own clock, from when it last saw the
 * record change, so clock skew between processes does not matter); the leader renews it
 * every `retryPeriod` and steps down when it cannot renew for `renewDeadline`. Every
 * write is a compare-and-swap on resourceVersion: a 409 just means "someone else won".
 */
import { type Clock, realClock, sleep } from './clock.ts';
import { isAlreadyExists, isConflict, isNotFound } from './errors.ts';
import type { GetOptions, WriteOptions } from './rest-client.ts';
import type { KubeObject, ResourceRef } from './types.ts';

export interface LeaseSpec {
  holderIdentity?: string;
  leaseDurationSeconds?: number;
  /** MicroTime: `2024-05-01T10:00:00.123456Z`. */
  acquireTime?: string;
  renewTime?: string;
  leaseTransitions?: number;
}

export interface Lease extends KubeObject {
  spec?: LeaseSpec;
}

/** What leader election needs from a client (KubeClient fits). */
export interface LeaseClient {
  get(ref: ResourceRef, o?: GetOptions): Promise<Lease>;
  create(ref: ResourceRef, body: Lease, o?: WriteOptions): Promise<Lease>;
  update(ref: ResourceRef, body: Lease, o?: WriteOptions): Promise<Lease>;
}

export interface LeaderElectionOptions {
  client: LeaseClient;
  /** The Lease: namespace and name. */
  namespace: string;
  name: string;
  /** This candidate (usually hostname plus a random suffix). */
  identity: string;
  /** How long a Lease is good for without renewal. Default 15 s. */
  leaseDurationMs?: number;
  /** How long the leader keeps trying to renew before it gives up. Default 10 s. */
  renewDeadlineMs?: number;
  /** How often to try to acquire or renew. Default 2 s. */
  retryPeriodMs?: number;
  /** On stop(), hand the Lease back (holder cleared) so another candidate need not wait it out. */
  releaseOnCancel?: boolean;
  /** Became leader: start working; `signal` aborts when leadership ends. */
  onStartedLeading?: (signal: AbortSignal) => unknown;
  /** Leadership ended (lost or stopped). Not called if this candidate never led. */
  onStoppedLeading?: () => void;
  /** The holder this candidate observes changed (including to itself). */
  onNewLeader?: (identity: string) => void;
  /** Failed API calls other than the expected conflicts. */
  onError?: (err: unknown) => void;
  clock?: Clock;
}

const LEASES = { group: 'coordination.k8s.io', version: 'v1', plural: 'leases' } as const;

/** metav1.MicroTime as the API server writes it. */
export function microTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

export class LeaderElector {
  readonly identity: string;
  private readonly o: LeaderElectionOptions;
  private readonly clock: Clock;
  private readonly leaseDurationMs: number;
  private readonly renewDeadlineMs: number;
  private readonly retryPeriodMs: number;
  private readonly stopper = new AbortController();
  private readonly ref: ResourceRef;
  private observed: { spec: LeaseSpec; raw: string; at: number; rv?: string } | undefined;
  private leader = '';
  private leading = false;
  private running: Promise<void> | undefined;

  constructor(o: LeaderElectionOptions) {
    this.o = o;
    this.identity = o.identity;
    if (!o.identity) throw new TypeError('leader election needs an identity');
    this.clock = o.clock ?? realClock;
    this.leaseDurationMs = o.leaseDurationMs ?? 15_000;
    this.renewDeadlineMs = o.renewDeadlineMs ?? 10_000;
    this.retryPeriodMs = o.retryPeriodMs ?? 2_000;
    if (this.leaseDurationMs <= this.renewDeadlineMs) throw new RangeError('leaseDuration must be greater than renewDeadline');
    if (this.renewDeadlineMs <= this.retryPeriodMs * 1.2) throw new RangeError('renewDeadline must be greater than retryPeriod*1.2');
    this.ref = { ...LEASES, namespace: o.namespace, name: o.name };
  }

  /** True while this candidate holds the Lease (as far as it knows). */
  isLeader(): boolean {
    return this.leading;
  }

  /** The holder last observed ('' if none). */
  getLeader(): string {
    return this.leader;
  }

  /**
   * Campaigns until it leads, then renews until leadership is lost or `stop()` is called.
   * Resolves when it is over (like client-go's Run, it does not campaign again).
   */
  run(): Promise<void> {
    this.running ??= this.campaign();
    return this.running;
  }

  /** Stops campaigning or leading (releasing the Lease if `releaseOnCancel`), and waits for it. */
  async stop(): Promise<void> {
    if (!this.stopper.signal.aborted) this.stopper.abort(new Error('leader election stopped'));
    await this.running;
  }

  private async campaign(): Promise<void> {
    const stop = this.stopper.signal;
    // Acquire.
    for (;;) {
      if (stop.aborted) return;
      if (await this.tryAcquireOrRenew(stop)) break;
      try {
        await sleep(this.clock, this.retryPeriodMs * (1 + Math.random() * 0.2), stop);
      } catch {
        return;
      }
    }
    // Lead.
    const leadership = new AbortController();
    this.leading = true;
    void Promise.resolve()
      .then(() => this.o.onStartedLeading?.(leadership.signal))
      .catch((e) => this.o.onError?.(e));
    try {
      await this.renewLoop(stop);
    } finally {
      this.leading = false;
      leadership.abort(new Error('leadership lost'));
      if (stop.aborted && this.o.releaseOnCancel) await this.release();
      try {
        this.o.onStoppedLeading?.();
      } catch (e) {
        this.o.onError?.(e);
      }
    }
  }

  /** Renews every retryPeriod; returns when a round could not renew within renewDeadline, or on stop. */
  private async renewLoop(stop: AbortSignal): Promise<void> {
    for (;;) {
      try {
        await sleep(this.clock, this.retryPeriodMs, stop);
      } catch {
        return;
      }
      const roundStart = this.clock.now();
      const deadline = new AbortController();
      const timer = this.clock.setTimeout(() => deadline.abort(new Error('renew deadline exceeded')), this.renewDeadlineMs);
      const signal = AbortSignal.any([stop, deadline.signal]);
      try {
        for (;;) {
          if (await this.tryAcquireOrRenew(signal)) break;
          if (stop.aborted) return;
          if (deadline.signal.aborted || this.clock.now() - roundStart >= this.renewDeadlineMs) return;
          try {
            await sleep(this.clock, this.retryPeriodMs, signal);
          } catch {
            return;
          }
        }
      } finally {
        this.clock.clearTimeout(timer);
      }
    }
  }

  /** One attempt: create the Lease, renew it, or take it over if it expired. */
  private async tryAcquireOrRenew(signal: AbortSignal): Promise<boolean> {
    const now = this.clock.now();
    const mine: LeaseSpec = {
      holderIdentity: this.identity,
      leaseDurationSeconds: Math.ceil(this.leaseDurationMs / 1000),
      acquireTime: microTime(now),
      renewTime: microTime(now),
      leaseTransitions: 0,
    };
    let lease: Lease;
    try {
      lease = await this.o.client.get(this.ref, { signal });
    } catch (e) {
      if (!isNotFound(e)) {
        if (!signal.aborted) this.o.onError?.(e);
        return false;
      }
      try {
        const created = await this.o.client.create(
          this.ref,
          {
            apiVersion: 'coordination.k8s.io/v1',
            kind: 'Lease',
            metadata: { name: this.o.name, namespace: this.o.namespace },
            spec: mine,
          },
          { signal },
        );
        this.observe(created.spec ?? mine, this.clock.now());
        return true;
      } catch (err) {
        if (!isAlreadyExists(err) && !signal.aborted) this.o.onError?.(err);
        return false;
      }
    }

    const spec = lease.spec ?? {};
    this.observe(spec, now);
    const holder = spec.holderIdentity ?? '';
    const durationMs = (spec.leaseDurationSeconds ?? 0) * 1000;
    if (holder !== '' && holder !== this.identity && this.observed!.at + durationMs > now) return false;

    const next: LeaseSpec =
      holder === this.identity
        ? { ...mine, acquireTime: spec.acquireTime ?? mine.acquireTime, leaseTransitions: spec.leaseTransitions ?? 0 }
        : { ...mine, leaseTransitions: (spec.leaseTransitions ?? 0) + 1 };
    try {
      const updated = await this.o.client.update(this.ref, { ...lease, spec: next }, { signal });
      this.observe(updated.spec ?? next, this.clock.now());
      return true;
    } catch (e) {
      if (!isConflict(e) && !isNotFound(e) && !signal.aborted) this.o.onError?.(e);
      return false;
    }
  }

  /** Remembers the record and, if it changed, when this process saw it change. */
  private observe(spec: LeaseSpec, at: number): void {
    const raw = JSON.stringify(spec);
    if (this.observed?.raw !== raw) this.observed = { spec, raw, at };
    const holder = spec.holderIdentity ?? '';
    if (holder !== this.leader) {
      this.leader = holder;
      if (holder) {
        try {
          this.o.onNewLeader?.(holder);
        } catch (e) {
          this.o.onError?.(e);
        }
      }
    }
  }

  /** Gives the Lease up (holder cleared), if this candidate still holds it. */
  private async release(): Promise<void> {
    try {
      const lease = await this.o.client.get(this.ref);
      if (lease.spec?.holderIdentity !== this.identity) return;
      const now = microTime(this.clock.now());
      const spec: LeaseSpec = { ...lease.spec, holderIdentity: '', leaseDurationSeconds: 1, renewTime: now, acquireTime: now };
      const updated = await this.o.client.update(this.ref, { ...lease, spec });
      this.observe(updated.spec ?? spec, this.clock.now());
    } catch (e) {
      if (!isConflict(e) && !isNotFound(e)) this.o.onError?.(e);
    }
  }
}
