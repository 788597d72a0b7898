/**
 * The scheduler: informers on Pods and Nodes feed the cache (bound Pods, nodes) and the
 * queue (unscheduled Pods whose spec.schedulerName is ours). One loop takes a Pod at a
 * time, runs the profile's filters and scores against the cache, counts the Pod on the
 * chosen node at once ("assumes" it), and binds it through `pods/binding` in the
 * background, so the next Pod is scheduled while the binding is written. A Pod that fits
 * nowhere gets PodScheduled=False/Unschedulable with upstream's message and a
 * FailedScheduling event, and waits until the cluster changes. The scheduling loop is a
 * leader-only runnable of the component runtime's Manager, which owns the informers.
 */
import { isPodTerminal, type Node, type Pod, rfc3339, setCondition } from '@minik8s/api';
import { type Clock, EventRecorder, type Informer, isConflict, isNotFound, type KubeClient, objectKey, realClock, resourcePath } from '@minik8s/client/kube';
import { type LeaderElectionConfig, Manager, type Runnable, withComponent } from '@minik8s/client/runtime';
import { type Logger, pino } from 'pino';
import { FitError } from './fit-error.ts';
import { nodeSchedulingInputsChanged, podSchedulingInputsChanged } from './internal/pod-changes.ts';
import { Profile } from './profile.ts';
import { DEFAULT_PROFILE, defaultRegistry, type PluginFactory, type ProfileConfig } from './registry.ts';
import { NoNodesAvailableError, schedulePod } from './schedule-pod.ts';
import { SchedulerCache } from './scheduler-cache.ts';
import { SchedulingQueue } from './scheduling-queue.ts';

export const DEFAULT_SCHEDULER_NAME = 'default-scheduler';

export interface SchedulerOptions {
  client: KubeClient;
  /** Pods whose spec.schedulerName is this are ours. Default `default-scheduler`. */
  schedulerName?: string;
  logger?: Logger;
  profile?: ProfileConfig;
  registry?: Readonly<Record<string, PluginFactory>>;
  clock?: Clock;
  /** Breaks ties between equally good nodes. Default Math.random. */
  random?: () => number;
  /** Back-off after a failed attempt: 1 s doubling to 10 s by default (upstream). */
  podInitialBackoffMs?: number;
  podMaxBackoffMs?: number;
  /** An unschedulable Pod is retried after this long even if nothing changed. Default 5 min (upstream). */
  podMaxInUnschedulablePodsDurationMs?: number;
  /** How often to look for such Pods. Default 30 s. */
  flushIntervalMs?: number;
  /** Campaign for this Lease and schedule only while holding it. Default: off. */
  leaderElection?: LeaderElectionConfig | false;
}

export interface RunningScheduler {
  /** Stops the informers, the queue and the loop; waits for bindings in flight. */
  stop(): Promise<void>;
  readonly cache: SchedulerCache;
  readonly queue: SchedulingQueue;
  readonly manager: Manager;
  /** Rejects if the loop fails or leadership is lost. */
  readonly done: Promise<void>;
}

const PODS = { version: 'v1', plural: 'pods' } as const;
const NODES = { version: 'v1', plural: 'nodes' } as const;

/** Starts scheduling; resolves once the Pod and Node caches have synced. */
export async function startScheduler(o: SchedulerOptions): Promise<RunningScheduler> {
  const log = o.logger ?? pino({ level: 'silent' });
  const manager = new Manager({ client: o.client, log, clock: o.clock, leaderElection: o.leaderElection });
  const scheduler = new Scheduler(manager, o);
  manager.add(scheduler).start();
  await manager.waitForCacheSync();
  log.info({ schedulerName: scheduler.schedulerName }, 'scheduler caches synced');
  return { cache: scheduler.cache, queue: scheduler.queue, manager, done: manager.done, stop: () => manager.stop() };
}

/**
 * The scheduler on a Manager: informer handlers feed the cache and the queue; `run`
 * (leader-only) pops Pods one at a time until stopped, then waits for bindings in flight.
 */
export class Scheduler implements Runnable {
  readonly name = 'scheduler';
  readonly needLeaderElection = true;
  readonly schedulerName: string;
  readonly cache = new SchedulerCache();
  readonly queue: SchedulingQueue;
  private readonly log: Logger;
  private readonly clock: Clock;
  private readonly random: () => number;
  private readonly client: KubeClient;
  private readonly profile: Profile;
  private readonly recorder: EventRecorder;
  private readonly pods: Informer<Pod>;
  private readonly nodes: Informer<Node>;
  private readonly inFlight = new Set<Promise<void>>();

  constructor(manager: Manager, o: SchedulerOptions) {
    this.schedulerName = o.schedulerName ?? DEFAULT_SCHEDULER_NAME;
    this.log = withComponent(manager.log, 'scheduler');
    this.clock = o.clock ?? realClock;
    this.random = o.random ?? Math.random;
    this.client = o.client;
    this.profile = new Profile(o.profile ?? DEFAULT_PROFILE, o.registry ?? defaultRegistry);
    this.queue = new SchedulingQueue({
      clock: this.clock,
      initialBackoffMs: o.podInitialBackoffMs,
      maxBackoffMs: o.podMaxBackoffMs,
      maxInUnschedulableMs: o.podMaxInUnschedulablePodsDurationMs,
      flushIntervalMs: o.flushIntervalMs,
    });
    this.recorder = new EventRecorder(this.client, { component: this.schedulerName }, { clock: this.clock, log: this.log });
    this.pods = manager.informer<Pod>(PODS);
    this.nodes = manager.informer<Node>(NODES);
    this.pods.addEventHandler({ onAdd: (p) => this.podAdded(p), onUpdate: (old, p) => this.podUpdated(old, p), onDelete: (p) => this.podDeleted(p) });
    this.nodes.addEventHandler({
      onAdd: (n) => {
        this.cache.setNode(n);
        this.queue.moveAllToActiveOrBackoff();
      },
      onUpdate: (old, n) => {
        this.cache.setNode(n);
        if (nodeSchedulingInputsChanged(old, n)) this.queue.moveAllToActiveOrBackoff();
      },
      onDelete: (n) => this.cache.removeNode(n.metadata?.name ?? ''),
    });
  }

  async run(signal: AbortSignal): Promise<void> {
    signal.addEventListener('abort', () => this.queue.close(), { once: true });
    await Promise.all([this.pods.waitForSync(signal), this.nodes.waitForSync(signal)]).catch(() => undefined);
    if (!signal.aborted) this.log.info({ schedulerName: this.schedulerName }, 'scheduling');
    let n = 0;
    for (;;) {
      const qp = await this.queue.pop();
      if (!qp) break;
      try {
        this.scheduleOne(qp.key);
      } catch (err) {
        this.log.error({ err, pod: qp.key }, 'scheduling failed');
        this.queue.backoff(qp.key);
      }
      // Let watch events and binding responses in between Pods of a burst.
      if (++n % 8 === 0) await new Promise((r) => setImmediate(r));
    }
    await Promise.all([...this.inFlight]);
    await this.recorder.flush();
  }

  // ------------------------------------------------------------------ handlers

  private responsible(p: Pod): boolean {
    return !p.spec?.nodeName && (p.spec?.schedulerName || DEFAULT_SCHEDULER_NAME) === this.schedulerName && !p.metadata?.deletionTimestamp && !isPodTerminal(p);
  }

  private podAdded(p: Pod): void {
    const key = objectKey(p);
    if (p.spec?.nodeName) {
      this.cache.setPod(p);
      this.queue.delete(key);
    } else if (this.responsible(p)) this.queue.add(key, priority(p));
  }

  private podUpdated(old: Pod, p: Pod): void {
    const key = objectKey(p);
    if (p.spec?.nodeName) {
      this.cache.setPod(p);
      this.queue.delete(key);
      // A finished Pod frees what it held.
      if (isPodTerminal(p) && !isPodTerminal(old)) this.queue.moveAllToActiveOrBackoff();
    } else if (this.responsible(p)) {
      if (podSchedulingInputsChanged(old, p)) this.queue.update(key, priority(p));
      else this.queue.add(key, priority(p));
    } else this.queue.delete(key);
  }

  private podDeleted(p: Pod): void {
    const key = objectKey(p);
    if (this.cache.has(key)) {
      this.cache.removePod(key);
      this.queue.moveAllToActiveOrBackoff();
    }
    this.queue.delete(key);
  }

  // ------------------------------------------------------------------ scheduling

  private track(p: Promise<void>): void {
    this.inFlight.add(p);
    void p.finally(() => this.inFlight.delete(p));
  }

  private scheduleOne(key: string): void {
    const pod = this.pods.get(key);
    if (!pod || !this.responsible(pod) || this.cache.has(key)) {
      this.queue.done(key);
      return;
    }
    let node: string;
    try {
      node = schedulePod(this.profile, pod, this.cache.nodeInfos(), this.random).node;
    } catch (err) {
      if (err instanceof FitError || err instanceof NoNodesAvailableError) {
        this.queue.unschedulable(key);
        this.failed(pod, 'Unschedulable', err.message);
        return;
      }
      throw err;
    }
    this.cache.assume(pod, node);
    this.track(this.bind(pod, node));
  }

  private failed(pod: Pod, reason: string, message: string): void {
    const key = objectKey(pod);
    this.log.info({ pod: key, reason }, message);
    this.recorder.event(pod, 'Warning', 'FailedScheduling', message);
    this.track(this.markUnschedulable(key, reason, message));
  }

  /** PodScheduled=False with the reason and message, unless it already says so. */
  private async markUnschedulable(key: string, reason: string, message: string): Promise<void> {
    let cur = this.pods.get(key);
    for (let attempt = 0; attempt < 5 && cur; attempt++) {
      if (cur.spec?.nodeName) return;
      const conditions = structuredClone(cur.status?.conditions ?? []);
      const now = rfc3339(new Date(this.clock.now()));
      if (!setCondition(conditions, { type: 'PodScheduled', status: 'False', reason, message }, now)) return;
      const next: Pod = { ...structuredClone(cur), status: { ...structuredClone(cur.status ?? {}), conditions } };
      const ref = { ...PODS, namespace: cur.metadata?.namespace, name: cur.metadata?.name };
      try {
        await this.client.updateStatus(ref, next);
        return;
      } catch (err) {
        if (isNotFound(err)) return;
        if (!isConflict(err)) {
          this.log.warn({ err, pod: key }, 'could not update the PodScheduled condition');
          return;
        }
        cur = await this.client.get<Pod>(ref).catch(() => undefined);
      }
    }
  }

  private async bind(pod: Pod, node: string): Promise<void> {
    const key = objectKey(pod);
    const namespace = pod.metadata?.namespace ?? 'default';
    const podName = pod.metadata?.name ?? '';
    const body = {
      apiVersion: 'v1',
      kind: 'Binding',
      metadata: { name: podName, namespace, ...(pod.metadata?.uid ? { uid: pod.metadata.uid } : {}) },
      target: { apiVersion: 'v1', kind: 'Node', name: node },
    };
    try {
      await this.client.request({ method: 'POST', path: resourcePath({ ...PODS, namespace, name: podName, subresource: 'binding' }), body });
      this.queue.done(key);
      this.log.debug({ pod: key, node }, 'bound');
      this.recorder.event(pod, 'Normal', 'Scheduled', `Successfully assigned ${namespace}/${podName} to ${node}`);
    } catch (err) {
      this.cache.forget(key);
      if (isNotFound(err) || isConflict(err)) {
        // Gone, being deleted, or bound by someone else: nothing left to do for it.
        this.queue.done(key);
        this.log.debug({ err, pod: key }, 'binding not needed any more');
        return;
      }
      this.queue.backoff(key);
      this.failed(pod, 'SchedulerError', `binding rejected: ${(err as Error).message}`);
    }
  }
}

const priority = (p: Pod) => p.spec?.priority ?? 0;
