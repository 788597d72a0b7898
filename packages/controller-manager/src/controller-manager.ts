/**
 * One process, many controllers, on the component runtime's Manager: the controllers
 * asked for share its informers and run as leader-only runnables; with leader election
 * (the Lease kube-system/kube-controller-manager, as kube-controller-manager) only one
 * replica acts at a time. Adding a controller: its folder, and one line in CONTROLLERS.
 */
import type { Clock, KubeClient } from '@minik8s/client/kube';
import { Manager, type Runnable, type LeaderElectionConfig as RuntimeLeaderElection } from '@minik8s/client/runtime';
import { type Logger, pino } from 'pino';
import { CronJobController } from './cronjob/cronjob-controller.ts';
import { DaemonSetController } from './daemonset/daemonset-controller.ts';
import { DeploymentController } from './deployment/deployment-controller.ts';
import { DisruptionController } from './disruption/disruption-controller.ts';
import { EndpointsController } from './endpointslice/endpoints-controller.ts';
import { EndpointSliceController } from './endpointslice/endpointslice-controller.ts';
import { GarbageCollector, type GarbageCollectorOptions } from './garbage-collector/garbage-collector.ts';
import type { ControllerContext } from './internal/context.ts';
import { JobController, type JobControllerOptions } from './job/job-controller.ts';
import { NodeLifecycleController, type NodeLifecycleOptions } from './node-lifecycle/node-lifecycle-controller.ts';
import { TaintEvictionController } from './node-lifecycle/taint-eviction-controller.ts';
import { PodGCController, type PodGCOptions } from './podgc/podgc-controller.ts';
import { ReplicaSetController } from './replicaset/replicaset-controller.ts';
import { ServiceLBController } from './service-lb/service-lb-controller.ts';
import { StatefulSetController } from './statefulset/statefulset-controller.ts';
import { TTLAfterFinishedController } from './ttl-after-finished/ttl-after-finished-controller.ts';

/** Controller names as kube-controller-manager's --controllers knows them, with their short aliases. */
export const CONTROLLERS: Record<string, { aliases: string[]; make: (ctx: ControllerContext, o: ControllerManagerOptions) => Runnable }> = {
  'replicaset-controller': { aliases: ['replicaset'], make: (ctx) => new ReplicaSetController(ctx) },
  'deployment-controller': { aliases: ['deployment'], make: (ctx) => new DeploymentController(ctx) },
  'garbage-collector-controller': { aliases: ['garbagecollector'], make: (ctx, o) => new GarbageCollector(ctx, o.garbageCollector) },
  'endpointslice-controller': { aliases: ['endpointslice'], make: (ctx) => new EndpointSliceController(ctx) },
  'endpoint-controller': { aliases: ['endpoint'], make: (ctx) => new EndpointsController(ctx) },
  'service-lb-controller': { aliases: ['servicelb'], make: (ctx) => new ServiceLBController(ctx) },
  'disruption-controller': { aliases: ['disruption'], make: (ctx) => new DisruptionController(ctx) },
  'cronjob-controller': { aliases: ['cronjob'], make: (ctx) => new CronJobController(ctx) },
  'job-controller': { aliases: ['job'], make: (ctx, o) => new JobController(ctx, o.job) },
  'ttl-after-finished-controller': { aliases: ['ttl-after-finished'], make: (ctx) => new TTLAfterFinishedController(ctx) },
  'daemonset-controller': { aliases: ['daemonset'], make: (ctx) => new DaemonSetController(ctx) },
  'statefulset-controller': { aliases: ['statefulset'], make: (ctx) => new StatefulSetController(ctx) },
  'node-lifecycle-controller': { aliases: ['nodelifecycle'], make: (ctx, o) => new NodeLifecycleController(ctx, o.nodeLifecycle) },
  'taint-eviction-controller': { aliases: ['tainteviction'], make: (ctx) => new TaintEvictionController(ctx) },
  'pod-garbage-collector-controller': { aliases: ['podgc'], make: (ctx, o) => new PodGCController(ctx, o.podGC) },
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
  /** The Job controller's pod-failure back-off (`--job-backoff-initial-delay`). */
  job?: JobControllerOptions;
  /** `--node-monitor-period`, `--node-monitor-grace-period`, `--node-startup-grace-period`. */
  nodeLifecycle?: NodeLifecycleOptions;
  /** `--terminated-pod-gc-threshold` (and, for tests, the pass period and quarantine). */
  podGC?: PodGCOptions;
  /** Off (startControllerManager's default) or the Lease to campaign for (runControllerManager's default). */
  leaderElection?: LeaderElectionConfig | false;
  /** Leadership lost. Default: the manager's `done` rejects (the command exits 1, as upstream). */
  onLost?: () => void;
}

/** The Lease: kube-system/kube-controller-manager unless told otherwise. */
export type LeaderElectionConfig = Partial<RuntimeLeaderElection>;

export interface RunningControllerManager {
  /** The controllers that run, by name. */
  readonly controllers: string[];
  /** Resolves once every informer has listed what exists. */
  synced: Promise<void>;
  readonly manager: Manager;
  /** Rejects when a controller fails or leadership is lost (unless `onLost` is given). */
  readonly done: Promise<void>;
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

/** The manager with every selected controller added as a leader-only runnable; not started. */
export function newControllerManager(o: ControllerManagerOptions): { manager: Manager; controllers: string[] } {
  const names = selectControllers(o.controllers);
  const log = o.log ?? pino({ level: 'silent' });
  const le = o.leaderElection;
  const manager = new Manager({
    client: o.client,
    log,
    clock: o.clock,
    leaderElection: le ? { ...le, name: le.name ?? 'kube-controller-manager' } : false,
    onLost: o.onLost,
  });
  const ctx: ControllerContext = { client: o.client, informers: manager.informers, clock: manager.clock, log, workers: o.workers ?? 5 };
  for (const name of names) {
    const c = CONTROLLERS[name]!.make(ctx, o);
    manager.add({ name: c.name, needLeaderElection: true, run: (signal) => c.run(signal) });
  }
  return { manager, controllers: names };
}

/** Starts the controllers (without leader election unless `o.leaderElection` asks for it). */
export function startControllerManager(o: ControllerManagerOptions): RunningControllerManager {
  const { manager, controllers } = newControllerManager(o);
  manager.start();
  const synced = manager.waitForCacheSync();
  synced.catch(() => {});
  manager.log.info({ controllers }, 'controllers started');
  return { controllers, synced, manager, done: manager.done, stop: () => manager.stop() };
}

/**
 * With leader election (by default on kube-system/kube-controller-manager): campaign for
 * the Lease, run the controllers while leading, hand the Lease back on stop.
 */
export function runControllerManager(o: ControllerManagerOptions): RunningControllerManager {
  return startControllerManager({ ...o, leaderElection: o.leaderElection ?? {} });
}
