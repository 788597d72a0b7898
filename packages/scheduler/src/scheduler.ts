/**
 * The scheduler: informers on Pods and Nodes feed the cache (bound Pods, nodes) and the
 * queue (unscheduled Pods whose spec.schedulerName is ours). One loop takes a Pod at a
 * time, runs the profile's filters and scores against the cache, counts the Pod on the
 * chosen node at once ("assumes" it), and binds it through `pods/binding` in the
 * background, so the next Pod is scheduled while the binding is written. A Pod that fits
 * nowhere gets PodScheduled=False/Unschedulable with upstream's message and a
 * FailedScheduling event, and waits until the cluster changes.
 */
import { isPodTerminal, type Node, type Pod, rfc3339, setCondition } from '@minik8s/api';
import { type Clock, EventRecorder, Informer, isConflict, isNotFound, type KubeClient, objectKey, realClock, resourcePath } from '@minik8s/client/kube';
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
}

export interface RunningScheduler {
  /** Stops the informers, the queue and the loop; waits for bindings in flight. */
  stop(): Promise<void>;
  readonly cache: SchedulerCache;
  readonly queue: SchedulingQueue;
}

const PODS = { version: 'v1', plural: 'pods' } as const;
const NODES = { version: 'v1', plural: 'nodes' } as const;

/** Starts scheduling; resolves once the Pod and Node caches have synced. */
export async function startScheduler(o: SchedulerOptions): Promise<RunningScheduler> {
  const name = o.schedulerName ?? DEFAULT_SCHEDULER_NAME;
  const log = (o.logger ?? pino({ level: 'silent' })).child({ component: 'scheduler' });
  const clock = o.clock ?? realClock;
  const random = o.random ?? Math.random;
  const client = o.client;
  const profile = new Profile(o.profile ?? DEFAULT_PROFILE, o.registry ?? defaultRegistry);
  const cache = new SchedulerCache();
  const queue = new SchedulingQueue({
    clock,
    initialBackoffMs: o.podInitialBackoffMs,
    maxBackoffMs: o.podMaxBackoffMs,
    maxInUnschedulableMs: o.podMaxInUnschedulablePodsDurationMs,
    flushIntervalMs: o.flushIntervalMs,
  });
  const recorder = new EventRecorder(client, { component: name }, { clock, log });
  const onError = (err: unknown) => log.warn({ err }, 'list/watch failed');
  const pods = new Informer<Pod>(client, PODS, { clock, onError });
  const nodes = new Informer<Node>(client, NODES, { clock, onError });
  const inFlight = new Set<Promise<void>>();
  const track = (p: Promise<void>) => {
    inFlight.add(p);
    void p.finally(() => inFlight.delete(p));
  };

  const responsible = (p: Pod) =>
    !p.spec?.nodeName && (p.spec?.schedulerName || DEFAULT_SCHEDULER_NAME) === name && !p.metadata?.deletionTimestamp && !isPodTerminal(p);
  const priority = (p: Pod) => p.spec?.priority ?? 0;

  pods.addEventHandler({
    onAdd(p) {
      const key = objectKey(p);
      if (p.spec?.nodeName) {
        cache.setPod(p);
        queue.delete(key);
      } else if (responsible(p)) queue.add(key, priority(p));
    },
    onUpdate(old, p) {
      const key = objectKey(p);
      if (p.spec?.nodeName) {
        cache.setPod(p);
        queue.delete(key);
        // A finished Pod frees what it held.
        if (isPodTerminal(p) && !isPodTerminal(old)) queue.moveAllToActiveOrBackoff();
      } else if (responsible(p)) {
        if (podSchedulingInputsChanged(old, p)) queue.update(key, priority(p));
        else queue.add(key, priority(p));
      } else queue.delete(key);
    },
    onDelete(p) {
      const key = objectKey(p);
      if (cache.has(key)) {
        cache.removePod(key);
        queue.moveAllToActiveOrBackoff();
      }
      queue.delete(key);
    },
  });
  nodes.addEventHandler({
    onAdd(n) {
      cache.setNode(n);
      queue.moveAllToActiveOrBackoff();
    },
    onUpdate(old, n) {
      cache.setNode(n);
      if (nodeSchedulingInputsChanged(old, n)) queue.moveAllToActiveOrBackoff();
    },
    onDelete(n) {
      cache.removeNode(n.metadata?.name ?? '');
    },
  });

  /** PodScheduled=False with the reason and message, unless it already says so. */
  async function markUnschedulable(key: string, reason: string, message: string): Promise<void> {
    let cur = pods.get(key);
    for (let attempt = 0; attempt < 5 && cur; attempt++) {
      if (cur.spec?.nodeName) return;
      const conditions = structuredClone(cur.status?.conditions ?? []);
      const now = rfc3339(new Date(clock.now()));
      if (!setCondition(conditions, { type: 'PodScheduled', status: 'False', reason, message }, now)) return;
      const next: Pod = { ...structuredClone(cur), status: { ...structuredClone(cur.status ?? {}), conditions } };
      const ref = { ...PODS, namespace: cur.metadata?.namespace, name: cur.metadata?.name };
      try {
        await client.updateStatus(ref, next);
        return;
      } catch (err) {
        if (isNotFound(err)) return;
        if (!isConflict(err)) {
          log.warn({ err, pod: key }, 'could not update the PodScheduled condition');
          return;
        }
        cur = await client.get<Pod>(ref).catch(() => undefined);
      }
    }
  }

  function failed(pod: Pod, reason: string, message: string): void {
    const key = objectKey(pod);
    log.info({ pod: key, reason }, message);
    recorder.event(pod, 'Warning', 'FailedScheduling', message);
    track(markUnschedulable(key, reason, message));
  }

  async function bind(pod: Pod, node: string): Promise<void> {
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
      await client.request({ method: 'POST', path: resourcePath({ ...PODS, namespace, name: podName, subresource: 'binding' }), body });
      queue.done(key);
      log.debug({ pod: key, node }, 'bound');
      recorder.event(pod, 'Normal', 'Scheduled', `Successfully assigned ${namespace}/${podName} to ${node}`);
    } catch (err) {
      cache.forget(key);
      if (isNotFound(err) || isConflict(err)) {
        // Gone, being deleted, or bound by someone else: nothing left to do for it.
        queue.done(key);
        log.debug({ err, pod: key }, 'binding not needed any more');
        return;
      }
      queue.backoff(key);
      failed(pod, 'SchedulerError', `binding rejected: ${(err as Error).message}`);
    }
  }

  function scheduleOne(key: string): void {
    const pod = pods.get(key);
    if (!pod || !responsible(pod) || cache.has(key)) {
      queue.done(key);
      return;
    }
    let node: string;
    try {
      node = schedulePod(profile, pod, cache.nodeInfos(), random).node;
    } catch (err) {
      if (err instanceof FitError || err instanceof NoNodesAvailableError) {
        queue.unschedulable(key);
        failed(pod, 'Unschedulable', err.message);
        return;
      }
      throw err;
    }
    cache.assume(pod, node);
    track(bind(pod, node));
  }

  pods.start();
  nodes.start();
  await Promise.all([pods.waitForSync(), nodes.waitForSync()]);
  log.info({ schedulerName: name }, 'scheduler caches synced');

  const loop = (async () => {
    let n = 0;
    for (;;) {
      const qp = await queue.pop();
      if (!qp) return;
      try {
        scheduleOne(qp.key);
      } catch (err) {
        log.error({ err, pod: qp.key }, 'scheduling failed');
        queue.backoff(qp.key);
      }
      // Let watch events and binding responses in between Pods of a burst.
      if (++n % 8 === 0) await new Promise((r) => setImmediate(r));
    }
  })();

  return {
    cache,
    queue,
    async stop() {
      queue.close();
      await loop;
      await Promise.all([...inFlight]);
      await recorder.flush();
      await Promise.all([pods.stop(), nodes.stop()]);
    },
  };
}
