/**
 * The Pod garbage collector (upstream's pkg/controller/podgc), a pass every 20 s:
 * - terminated Pods (Succeeded or Failed) beyond `--terminated-pod-gc-threshold`
 *   (12500; 0 turns this off) are deleted, the oldest first;
 * - Pods bound to a node that no longer exists are deleted once the node has been gone
 *   for the quarantine (40 s, and the API server confirms it): phase Failed with the
 *   condition DisruptionTarget (`DeletionByPodGC`, "PodGC: node no longer exists");
 * - terminating Pods on a node that is not Ready and has the
 *   `node.kubernetes.io/out-of-service` taint, and terminating Pods no node was ever
 *   given, are deleted (phase Failed first, if they had not finished).
 * Every delete is immediate (grace period 0): no kubelet will finish them.
 */
import type { KubeObject, Node, Pod, PodCondition } from '@minik8s/api';
import { TAINT_OUT_OF_SERVICE } from '@minik8s/api/scheduling';
import { isNotFound, objectKey } from '@minik8s/client/kube';
import { periodic, type Runnable } from '@minik8s/client/runtime';
import type { Logger } from 'pino';
import { type ControllerContext, timestamp } from '../internal/context.ts';
import { NODES, PODS, refTo } from '../internal/resources.ts';

export const POD_GC_CONTROLLER = 'pod-garbage-collector-controller';

export interface PodGCOptions {
  /** `--terminated-pod-gc-threshold`: terminated Pods kept (0: no limit). Default 12500. */
  terminatedPodThreshold?: number;
  /** How often the collector looks. Default 20 s (upstream's gcCheckPeriod). */
  periodMs?: number;
  /** How long a node must be gone before its Pods are deleted. Default 40 s. */
  quarantineMs?: number;
}

const isTerminated = (p: Pod) => p.status?.phase === 'Succeeded' || p.status?.phase === 'Failed';
const created = (p: Pod) => Date.parse(p.metadata?.creationTimestamp ?? '') || 0;
const evicted = (p: Pod) => p.status?.reason === 'Evicted';

/** byEvictionAndCreationTimestamp: evicted Pods first, then the oldest. */
export function terminatedToDelete(pods: Pod[], threshold: number): Pod[] {
  if (threshold <= 0) return [];
  const done = pods.filter((p) => isTerminated(p) && !p.metadata?.deletionTimestamp);
  if (done.length <= threshold) return [];
  done.sort((a, b) => (evicted(a) === evicted(b) ? created(a) - created(b) : evicted(a) ? -1 : 1));
  return done.slice(0, done.length - threshold);
}

export class PodGCController implements Runnable {
  readonly name = POD_GC_CONTROLLER;
  private readonly log: Logger;
  private readonly pods;
  private readonly nodes;
  private readonly threshold: number;
  private readonly periodMs: number;
  private readonly quarantineMs: number;
  /** Nodes Pods name that are not in the cache: since when. */
  private readonly missing = new Map<string, number>();

  constructor(
    private readonly ctx: ControllerContext,
    o: PodGCOptions = {},
  ) {
    this.log = ctx.log.child({ component: POD_GC_CONTROLLER });
    this.threshold = o.terminatedPodThreshold ?? 12_500;
    this.periodMs = o.periodMs ?? 20_000;
    this.quarantineMs = o.quarantineMs ?? 40_000;
    this.pods = ctx.informers.for<Pod & KubeObject>(PODS);
    this.nodes = ctx.informers.for<Node & { metadata: { name: string } }>(NODES);
  }

  async run(signal: AbortSignal): Promise<void> {
    await Promise.all([this.pods.waitForSync(signal), this.nodes.waitForSync(signal)]);
    await periodic('podgc', this.periodMs, () => this.gc(), { log: this.log, clock: this.ctx.clock }).run(signal);
  }

  /** One pass; exported for tests through the controller. */
  async gc(): Promise<void> {
    const pods = this.pods.list();
    for (const p of terminatedToDelete(pods, this.threshold)) await this.remove(p, 'terminated Pods over the threshold');
    await this.gcTerminatingOutOfService(pods);
    await this.gcOrphaned(pods);
    for (const p of pods) if (p.metadata.deletionTimestamp && !p.spec?.nodeName) await this.remove(p, 'terminating and never scheduled', true);
  }

  private async gcTerminatingOutOfService(pods: Array<Pod & KubeObject>): Promise<void> {
    for (const p of pods) {
      if (!p.metadata.deletionTimestamp || !p.spec?.nodeName) continue;
      const node = this.nodes.get(p.spec.nodeName);
      if (!node) continue;
      const ready = node.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True';
      if (!ready && node.spec?.taints?.some((t) => t.key === TAINT_OUT_OF_SERVICE && t.effect === 'NoExecute'))
        await this.remove(p, 'terminating on an out-of-service node', true);
    }
  }

  private async gcOrphaned(pods: Array<Pod & KubeObject>): Promise<void> {
    const now = this.ctx.clock.now();
    const named = new Set(pods.map((p) => p.spec?.nodeName).filter((n): n is string => !!n));
    for (const n of this.missing.keys()) if (!named.has(n) || this.nodes.get(n)) this.missing.delete(n);
    const gone = new Set<string>();
    for (const n of named) {
      if (this.nodes.get(n)) continue;
      const since = this.missing.get(n) ?? now;
      this.missing.set(n, since);
      if (now - since < this.quarantineMs) continue;
      // The cache may be behind: ask the API server.
      try {
        await this.ctx.client.get(refTo(NODES, undefined, n));
        this.missing.delete(n);
      } catch (e) {
        if (!isNotFound(e)) throw e;
        gone.add(n);
      }
    }
    for (const p of pods) {
      if (!p.spec?.nodeName || !gone.has(p.spec.nodeName)) continue;
      await this.remove(p, `node ${p.spec.nodeName} no longer exists`, true, {
        type: 'DisruptionTarget',
        status: 'True',
        reason: 'DeletionByPodGC',
        message: 'PodGC: node no longer exists',
        lastTransitionTime: timestamp(now),
      });
    }
  }

  /** Upstream's markFailedAndDeletePodWithCondition (or deletePod): phase Failed unless finished, then a delete with grace 0. */
  private async remove(pod: Pod & KubeObject, why: string, markFailed = false, cond?: PodCondition): Promise<void> {
    const key = objectKey(pod);
    this.log.info({ pod: key }, `deleting Pod: ${why}`);
    try {
      if (markFailed && (!isTerminated(pod) || cond)) {
        const fresh = await this.ctx.client.get<Pod & KubeObject>(refTo(PODS, pod.metadata.namespace, pod.metadata.name!));
        const status = { ...fresh.status };
        if (!isTerminated(fresh)) status.phase = 'Failed';
        if (cond) status.conditions = [...(status.conditions ?? []).filter((c) => c.type !== cond.type), cond];
        await this.ctx.client.updateStatus(refTo(PODS, pod.metadata.namespace, pod.metadata.name!, 'status'), { ...fresh, status });
      }
      await this.ctx.client.delete(refTo(PODS, pod.metadata.namespace, pod.metadata.name!), {
        gracePeriodSeconds: 0,
        preconditions: { uid: pod.metadata.uid },
      });
    } catch (e) {
      if (!isNotFound(e)) this.log.warn({ pod: key, err: e }, 'Pod garbage collection failed');
    }
  }
}
