/**
 * The one leader-election wrapper every component uses: campaign for a Lease with
 * @minik8s/client/kube's LeaderElector, call `onStarted` while leading, `onLost` if
 * leadership ends while not stopping, and hand the Lease back on a graceful stop.
 */
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { Logger } from 'pino';
import { type Clock, LeaderElector, type LeaseClient } from '../kube/index.ts';

export interface LeaderElectionConfig {
  /** Default kube-system. */
  namespace?: string;
  name: string;
  /** Default `<hostname>_<uuid>`, as upstream. */
  identity?: string;
  leaseDurationMs?: number;
  renewDeadlineMs?: number;
  retryPeriodMs?: number;
}

export interface LeadershipOptions {
  client: LeaseClient;
  config: LeaderElectionConfig;
  log: Logger;
  clock?: Clock;
  /** Became leader; `signal` aborts when leadership ends. */
  onStarted(signal: AbortSignal): void;
  /** Leadership ended, before `onLost` or at a stop. */
  onStopped(): Promise<void>;
  /** Leadership lost while not stopping. */
  onLost(): void;
}

export class Leadership {
  private readonly elector: LeaderElector;
  private stopping = false;
  private done: Promise<void> | undefined;

  constructor(o: LeadershipOptions) {
    const c = o.config;
    this.elector = new LeaderElector({
      client: o.client,
      namespace: c.namespace ?? 'kube-system',
      name: c.name,
      identity: c.identity ?? `${hostname()}_${randomUUID()}`,
      leaseDurationMs: c.leaseDurationMs,
      renewDeadlineMs: c.renewDeadlineMs,
      retryPeriodMs: c.retryPeriodMs,
      releaseOnCancel: true,
      clock: o.clock,
      onStartedLeading: (signal) => {
        o.log.info({ lease: `${c.namespace ?? 'kube-system'}/${c.name}` }, 'became leader');
        o.onStarted(signal);
      },
      onStoppedLeading: () => {
        void o.onStopped().finally(() => {
          if (this.stopping) return;
          o.log.error('leader election lost');
          o.onLost();
        });
      },
      onNewLeader: (id) => o.log.info({ leader: id }, 'new leader'),
      onError: (err) => o.log.warn({ err }, 'leader election'),
    });
  }

  get identity(): string {
    return this.elector.identity;
  }

  isLeader(): boolean {
    return this.elector.isLeader();
  }

  /** The holder of the Lease last observed ('' if none yet). */
  leader(): string {
    return this.elector.getLeader();
  }

  campaign(): void {
    this.done ??= this.elector.run().catch(() => {});
  }

  /** Stops campaigning or leading; the Lease is released once the leader's work has stopped. */
  async stop(): Promise<void> {
    this.stopping = true;
    await this.elector.stop();
    await this.done;
  }
}
