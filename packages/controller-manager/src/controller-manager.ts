/**
 * One process, many controllers: `startControllerManager` builds the shared informers,
 * starts the controllers asked for and stops them together. `runControllerManager`
 * adds leader election on the Lease kube-system/kube-controller-manager, as
 * kube-controller-manager does, so only one replica acts at a time.
 */
import { randomUUID } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import { hostname } from 'node:os';
import { type Clock, type KubeClient, LeaderElector, realClock } from '@minik8s/client/kube';
import { type Logger, pino } from 'pino';
import { DeploymentController } from './deployment/deployment-controller.ts';
import { EndpointsController } from './endpointslice/endpoints-controller.ts';
import { EndpointSliceController } from './endpointslice/endpointslice-controller.ts';
import { GarbageCollector, type GarbageCollectorOptions } from './garbage-collector/garbage-collector.ts';
import type { ControllerContext } from './internal/context.ts';
import type { Controller } from './internal/controller.ts';
import { SharedInformers } from './internal/shared-informers.ts';
import { ReplicaSetController } from './replicaset/replicaset-controller.ts';
import { ServiceLBController } from './service-lb/service-lb-controller.ts';

/** Controller names as kube-controller-manager's --controllers knows them, with their short aliases. */
export const CONTROLLERS: Record<string, { aliases: string[]; make: (ctx: ControllerContext, o: ControllerManagerOptions) => Controller }> = {
  'replicaset-controller': { aliases: ['replicaset'], make: (ctx) => new ReplicaSetController(ctx) },
  'deployment-controller': { aliases: ['deployment'], make: (ctx) => new DeploymentController(ctx) },
  'garbage-collector-controller': { aliases: ['garbagecollector'], make: (ctx, o) => new GarbageCollector(ctx, o.garbageCollector) },
  'endpointslice-controller': { aliases: ['endpointslice'], make: (ctx) => new EndpointSliceController(ctx) },
  'endpoint-controller': { aliases: ['endpoint'], make: (ctx) => new EndpointsController(ctx) },
  'service-lb-controller': { aliases: ['servicelb'], make: (ctx) => new ServiceLBController(ctx) },
};

export interface ControllerManagerOptions {
  client: KubeClient;
  /** kube-controller-manager's --controllers: `*`, names, `-name` to leave one out. Default `['*']`. */
  controllers?: string[];
  /** Default: a silent logger. */
  log?: Logger;
  clock?: Clock;
  /** Workers per controller. Default 5 (upstream's --concurrent-*-syncs). */
  workers?: number;
  garbageCollector?: GarbageCollectorOptions;
}

export interface RunningControllerManager {
  /** The controllers that run, by name. */
  readonly controllers: string[];
  /** Resolves once every informer has listed what exists. */
  synced: Promise<void>;
  stop(): Promise<void>;
}

/** Which controllers `--controllers` selects, validated. */
export function selectControllers(spec: string[] = ['*']): string[] {
  const byAlias = new Map<string, string>();
  for (const [name, c] of Object.entries(CONTROLLERS)) for (const a of [name, ...c.aliases]) byAlias.set(a, name);
  const on = new Set<string>();
  const off = new Set<string>();
  let all = false;
  for (const raw of spec
    .flatMap((s) => s.split(','))
    .map((s) => s.trim())
    .filter(Boolean)) {
    if (raw === '*') {
      all = true;
      continue;
    }
    const neg = raw.startsWith('-');
    const name = byAlias.get(neg ? raw.slice(1) : raw);
    if (!name) throw new Error(`"${raw}" is not in the list of known controllers (${Object.keys(CONTROLLERS).join(', ')})`);
    (neg ? off : on).add(name);
  }
  return Object.keys(CONTROLLERS).filter((n) => !off.has(n) && (all || on.has(n)));
}

export function startControllerManager(o: ControllerManagerOptions): RunningControllerManager {
  const names = selectControllers(o.controllers);
  const log = o.log ?? pino({ level: 'silent' });
  const clock = o.clock ?? realClock;
  const informers = new SharedInformers(o.client, { onError: (err) => log.debug({ err }, 'informer list/watch failed; retrying') });
  const ctx: ControllerContext = { client: o.client, informers, clock, log, workers: o.workers ?? 5 };
  const controllers = names.map((n) => CONTROLLERS[n]!.make(ctx, o));
  const stopper = new AbortController();
  setMaxListeners(0, stopper.signal); // every informer and controller waits on it
  informers.start();
  const synced = informers.waitForSync(stopper.signal);
  synced.catch(() => {});
  const running = controllers.map((c) =>
    c.run(stopper.signal).catch((err) => {
      if (!stopper.signal.aborted) log.error({ err, controller: c.name }, 'controller stopped');
    }),
  );
  log.info({ controllers: names }, 'controllers started');
  return {
    controllers: names,
    synced,
    async stop() {
      stopper.abort();
      await informers.stop();
      await Promise.all(running);
    },
  };
}

export interface LeaderElectionConfig {
  namespace?: string;
  name?: string;
  identity?: string;
  leaseDurationMs?: number;
  renewDeadlineMs?: number;
  retryPeriodMs?: number;
}

/**
 * With leader election: campaign for the Lease, run the controllers while leading.
 * Losing the Lease ends the process's work (`onLost`, by default a log line), as upstream
 * exits so that a fresh start re-lists everything.
 */
export function runControllerManager(o: ControllerManagerOptions & { leaderElection?: LeaderElectionConfig | false; onLost?: () => void }): {
  stop(): Promise<void>;
} {
  const log = o.log ?? pino({ level: 'silent' });
  if (o.leaderElection === false) return startControllerManager(o);
  const le = o.leaderElection ?? {};
  let running: RunningControllerManager | undefined;
  let stopping = false;
  const elector = new LeaderElector({
    client: o.client,
    namespace: le.namespace ?? 'kube-system',
    name: le.name ?? 'kube-controller-manager',
    identity: le.identity ?? `${hostname()}_${randomUUID()}`,
    leaseDurationMs: le.leaseDurationMs,
    renewDeadlineMs: le.renewDeadlineMs,
    retryPeriodMs: le.retryPeriodMs,
    releaseOnCancel: true,
    clock: o.clock,
    onStartedLeading: () => {
      log.info('became leader');
      running = startControllerManager({ ...o, log });
    },
    onStoppedLeading: () => {
      void running?.stop();
      running = undefined;
      if (!stopping) {
        log.error('leader election lost');
        o.onLost?.();
      }
    },
    onNewLeader: (id) => log.info({ leader: id }, 'new leader'),
    onError: (err) => log.warn({ err }, 'leader election'),
  });
  const done = elector.run();
  return {
    async stop() {
      stopping = true;
      await elector.stop();
      await done.catch(() => {});
      await running?.stop();
    },
  };
}
