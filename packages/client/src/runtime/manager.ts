/**
 * The component runtime (controller-runtime's Manager): one per process. It owns the
 * shared informers, the runnables (started in the order added, stopped in reverse
 * order), optional leader election (leader-only runnables run while this process holds
 * the Lease), named health and readiness checks, and a graceful stop.
 *
 * A runnable's `run(signal)` does its work until `signal` aborts, then cleans up and
 * resolves. Resolving early is fine (a one-shot task); rejecting while not stopping
 * fails the manager: `done` rejects and the component exits 1, as upstream does.
 */
import { setMaxListeners } from 'node:events';
import { type Logger, pino } from 'pino';
import type { IndexFunc, Informer, InformerOptions, KubeObject, LeaseClient, ListerWatcher, ResourceRef } from '../kube/index.ts';
import { type Clock, realClock } from '../kube/index.ts';
import { type Check, type CheckReport, Checks, probeBody } from './health.ts';
import { type LeaderElectionConfig, Leadership } from './leadership.ts';
import { type Selectors, SharedInformers } from './shared-informers.ts';

export interface Runnable {
  readonly name: string;
  /** Runs only while this process holds the Lease (when leader election is on). */
  readonly needLeaderElection?: boolean;
  run(signal: AbortSignal): Promise<void>;
}

export interface ManagerOptions {
  /** A KubeClient; leader election needs one that also reads and writes Leases. */
  client: ListerWatcher | (ListerWatcher & LeaseClient);
  /** Default: a silent logger. */
  log?: Logger;
  clock?: Clock;
  /** Off (the default): leader-only runnables start with the others. */
  leaderElection?: LeaderElectionConfig | false;
  /** Leadership lost. Default: the manager fails (`done` rejects), and the component exits 1. */
  onLost?: () => void;
  /** Options of every shared informer (back-off, page size...). */
  informers?: Omit<InformerOptions, 'labelSelector' | 'fieldSelector'>;
}

interface Started {
  r: Runnable;
  stopper: AbortController;
  done: Promise<void>;
}

export class Manager {
  readonly informers: SharedInformers;
  readonly log: Logger;
  readonly clock: Clock;
  /** Resolves after a graceful stop; rejects when a runnable fails or leadership is lost. */
  readonly done: Promise<void>;
  private readonly runnables: Runnable[] = [];
  private readonly running: Started[] = [];
  private readonly leading: Started[] = [];
  private readonly healthz = new Checks();
  private readonly readyz = new Checks();
  private readonly stopper = new AbortController();
  private readonly leadership: Leadership | undefined;
  private settle!: { resolve: () => void; reject: (e: Error) => void };
  private state: 'new' | 'started' | 'stopping' | 'stopped' = 'new';
  private stopping: Promise<void> | undefined;
  private leadershipSignal: AbortSignal | undefined;

  constructor(o: ManagerOptions) {
    this.log = o.log ?? pino({ level: 'silent' });
    this.clock = o.clock ?? realClock;
    setMaxListeners(0, this.stopper.signal); // every informer and runnable may wait on it
    this.informers = new SharedInformers(o.client, {
      clock: o.clock,
      onError: (err) => this.log.debug({ err }, 'list/watch failed; retrying'),
      ...o.informers,
    });
    this.done = new Promise<void>((resolve, reject) => {
      this.settle = { resolve, reject };
    });
    this.done.catch(() => {});
    this.healthz.add('ping', () => true);
    this.readyz.add('informers-synced', () => this.informers.hasSynced());
    if (o.leaderElection) {
      if (!('update' in o.client)) throw new TypeError('leader election needs a client that can write Leases');
      this.leadership = new Leadership({
        client: o.client,
        config: o.leaderElection,
        log: this.log,
        clock: o.clock,
        onStarted: (signal) => this.startLeading(signal),
        onStopped: () => this.stopAll(this.leading),
        onLost: () => (o.onLost ? o.onLost() : this.fail(new Error('leader election lost'))),
      });
    }
  }

  /** The shared informer for a collection and selectors (created now, started with the manager). */
  informer<T extends KubeObject = KubeObject>(ref: ResourceRef, selectors?: Selectors): Informer<T> {
    return this.informers.for<T>(ref, selectors);
  }

  /** The shared informer with a named index added once. */
  indexedInformer<T extends KubeObject>(ref: ResourceRef, index: string, fn: IndexFunc<T>, selectors?: Selectors): Informer<T> {
    return this.informers.index<T>(ref, index, fn, selectors);
  }

  /** Adds a runnable; after `start()` it starts at once (if it may). */
  add(r: Runnable): this {
    this.runnables.push(r);
    if (this.state === 'started') {
      if (!r.needLeaderElection || !this.leadership) this.launch(r, this.stopper.signal, this.running);
      else if (this.leadership.isLeader() && this.leadershipSignal) this.launch(r, this.leadershipSignal, this.leading);
    }
    return this;
  }

  addHealthzCheck(name: string, check: Check): this {
    this.healthz.add(name, check);
    return this;
  }

  addReadyzCheck(name: string, check: Check): this {
    this.readyz.add(name, check);
    return this;
  }

  health(): Promise<CheckReport> {
    return this.healthz.run();
  }

  /** Ready: every informer synced and every readiness check passing. */
  readiness(): Promise<CheckReport> {
    return this.readyz.run();
  }

  /** Answers `/healthz` and `/readyz` (and `?verbose`) for a server the component already runs; undefined for other paths. */
  async probe(path: string): Promise<{ status: number; body: string } | undefined> {
    const url = new URL(path, 'http://localhost');
    const kind = url.pathname === '/healthz' ? 'healthz' : url.pathname === '/readyz' ? 'readyz' : undefined;
    if (!kind) return undefined;
    const r = await (kind === 'healthz' ? this.health() : this.readiness());
    return { status: r.ok ? 200 : 500, body: probeBody(kind, r, url.searchParams.has('verbose')) };
  }

  isLeader(): boolean {
    return this.leadership ? this.leadership.isLeader() : true;
  }

  /** With leader election: the holder of the Lease last observed ('' if none yet). */
  leader(): string | undefined {
    return this.leadership?.leader();
  }

  /** Resolves once every shared informer has listed; rejects if `signal` aborts or the manager stops first. */
  waitForCacheSync(signal?: AbortSignal): Promise<void> {
    return this.informers.waitForSync(signal ? AbortSignal.any([signal, this.stopper.signal]) : this.stopper.signal);
  }

  /** Starts the informers, then the runnables in order; with leader election, campaigns for the leader-only ones. */
  start(): this {
    if (this.state !== 'new') throw new Error('the manager was already started');
    this.state = 'started';
    this.informers.start();
    for (const r of this.runnables) {
      if (r.needLeaderElection && this.leadership) continue;
      this.launch(r, this.stopper.signal, this.running);
    }
    this.leadership?.campaign();
    return this;
  }

  /**
   * Stops leader-only runnables (reverse order), hands the Lease back, stops the other
   * runnables (reverse order), then the informers.
   */
  stop(): Promise<void> {
    this.stopping ??= this.stopInOrder();
    return this.stopping;
  }

  private async stopInOrder(): Promise<void> {
    this.state = 'stopping';
    await this.stopAll(this.leading);
    await this.leadership?.stop();
    await this.stopAll(this.running);
    this.stopper.abort(new Error('manager stopped'));
    await this.informers.stop();
    this.state = 'stopped';
    this.settle.resolve();
  }

  private startLeading(leadership: AbortSignal): void {
    if (this.state !== 'started') return;
    this.leadershipSignal = AbortSignal.any([leadership, this.stopper.signal]);
    for (const r of this.runnables) if (r.needLeaderElection) this.launch(r, this.leadershipSignal, this.leading);
  }

  private launch(r: Runnable, parent: AbortSignal, into: Started[]): void {
    const stopper = new AbortController();
    setMaxListeners(0, stopper.signal);
    const onParent = () => stopper.abort(parent.reason);
    parent.addEventListener('abort', onParent, { once: true });
    const started: Started = { r, stopper, done: Promise.resolve() };
    started.done = Promise.resolve()
      .then(() => r.run(stopper.signal))
      .catch((err: unknown) => {
        if (stopper.signal.aborted) return;
        this.log.error({ err, runnable: r.name }, 'runnable failed');
        this.fail(new Error(`${r.name}: ${(err as Error)?.message ?? String(err)}`, { cause: err }));
      })
      .finally(() => parent.removeEventListener('abort', onParent));
    into.push(started);
  }

  private async stopAll(list: Started[]): Promise<void> {
    for (const s of list.splice(0).reverse()) {
      s.stopper.abort(new Error(`${s.r.name} stopping`));
      await s.done;
    }
  }

  private fail(err: Error): void {
    if (this.state !== 'started') return;
    this.settle.reject(err);
  }
}
