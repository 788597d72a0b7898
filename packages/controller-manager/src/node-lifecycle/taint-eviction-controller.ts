/**
 * The taint-eviction controller (upstream's pkg/controller/tainteviction, the
 * NoExecute taint manager): a Pod bound to a node with a NoExecute taint it does not
 * tolerate is deleted at once; one that tolerates every such taint, some only for
 * `tolerationSeconds`, is deleted that long (the shortest) after the taint was added
 * (`timeAdded`; for a taint without one, after this controller first saw it). Before the
 * delete the Pod gets the condition DisruptionTarget (`DeletionByTaintManager`) and an
 * Event `TaintManagerEviction` "Marking for deletion Pod ns/name"; a scheduled deletion
 * that is no longer due (the taint went, the Pod tolerates it now) is cancelled with
 * "Cancelling deletion of Pod ns/name".
 */
import type { KubeObject, Node, Pod, Taint } from '@minik8s/api';
import { matchingTolerations } from '@minik8s/api/scheduling';
import { type EventRecorder, isNotFound, objectKey } from '@minik8s/client/kube';
import { QueueLoop, type Runnable } from '@minik8s/client/runtime';
import type { Logger } from 'pino';
import { type ControllerContext, eventRecorder, timestamp } from '../internal/context.ts';
import { indexPodsByNode, POD_NODE_INDEX } from '../internal/pods-by-node.ts';
import { NODES, PODS, refTo } from '../internal/resources.ts';

export const TAINT_EVICTION_CONTROLLER = 'taint-eviction-controller';

/** When the Pod is to be deleted: now (untolerated), at a time, or never. */
export type EvictionPlan = { at: number } | 'never';

/**
 * Upstream's processPodOnNode as a pure function: `taints` are the node's NoExecute
 * taints, `firstSeen` when the controller first saw each taint without a timeAdded.
 */
export function planEviction(pod: Pod, taints: Taint[], now: number, firstSeen: (t: Taint) => number): EvictionPlan {
  if (!taints.length) return 'never';
  const { all, used } = matchingTolerations(taints, pod.spec?.tolerations);
  if (!all) return { at: now };
  // getMinTolerationTime: the shortest tolerationSeconds (<= 0: at once); none at all: for ever.
  const seconds = used.filter((t) => t.tolerationSeconds != null).map((t) => Math.max(0, t.tolerationSeconds!));
  if (!seconds.length) return 'never';
  const start = Math.min(...taints.map((t) => (t.timeAdded ? Date.parse(t.timeAdded) : firstSeen(t))));
  return { at: start + Math.min(...seconds) * 1000 };
}

const noExecute = (n: Node | undefined) => (n?.spec?.taints ?? []).filter((t) => t.effect === 'NoExecute');
const taintId = (node: string, t: Taint) => `${node}\0${t.key}\0${t.value ?? ''}`;

export class TaintEvictionController implements Runnable {
  readonly name = TAINT_EVICTION_CONTROLLER;
  private readonly loop: QueueLoop;
  private readonly log: Logger;
  private readonly recorder: EventRecorder;
  private readonly nodes;
  private readonly pods;
  /** Taints without timeAdded: when they were first seen. */
  private readonly seen = new Map<string, number>();
  /** Pods whose deletion is scheduled (for the cancel event). */
  private readonly scheduled = new Set<string>();

  constructor(private readonly ctx: ControllerContext) {
    this.log = ctx.log.child({ component: TAINT_EVICTION_CONTROLLER });
    this.recorder = eventRecorder(ctx, TAINT_EVICTION_CONTROLLER);
    this.loop = new QueueLoop({ name: 'taint-eviction', workers: ctx.workers, clock: ctx.clock, log: this.log, reconcile: (k) => this.sync(k) });
    this.nodes = ctx.informers.for<Node & { metadata: { name: string } }>(NODES);
    this.pods = indexPodsByNode(ctx.informers.for<Pod & KubeObject>(PODS));
    const enqueuePod = (p: Pod & KubeObject) => {
      if (p.spec?.nodeName) this.loop.enqueue(objectKey(p));
    };
    const enqueueNode = (n: Node & { metadata: { name: string } }) => {
      for (const p of this.pods.byIndex(POD_NODE_INDEX, n.metadata.name)) this.loop.enqueue(objectKey(p));
    };
    this.pods.addEventHandler({
      onAdd: enqueuePod,
      onUpdate: (o, p) => {
        if (o.spec?.nodeName !== p.spec?.nodeName || JSON.stringify(o.spec?.tolerations) !== JSON.stringify(p.spec?.tolerations)) enqueuePod(p);
      },
      onDelete: (p) => this.scheduled.delete(objectKey(p)),
    });
    this.nodes.addEventHandler({
      onAdd: enqueueNode,
      onUpdate: (o, n) => {
        if (JSON.stringify(noExecute(o)) !== JSON.stringify(noExecute(n))) enqueueNode(n);
      },
      onDelete: enqueueNode,
    });
  }

  async run(signal: AbortSignal): Promise<void> {
    await Promise.all([this.nodes.waitForSync(signal), this.pods.waitForSync(signal)]);
    await this.loop.run(signal);
    await this.recorder.flush();
  }

  private firstSeen(node: string, t: Taint, now: number): number {
    const id = taintId(node, t);
    if (!this.seen.has(id)) this.seen.set(id, now);
    return this.seen.get(id)!;
  }

  private cancel(key: string, pod: Pod & KubeObject): void {
    if (!this.scheduled.delete(key)) return;
    this.recorder.event({ ...pod, apiVersion: 'v1', kind: 'Pod' }, 'Normal', 'TaintManagerEviction', `Cancelling deletion of Pod ${key}`);
  }

  private async sync(key: string): Promise<{ requeueAfter: number } | undefined> {
    const pod = this.pods.get(key);
    if (!pod) {
      this.scheduled.delete(key);
      return undefined;
    }
    const nodeName = pod.spec?.nodeName;
    if (!nodeName || pod.metadata.deletionTimestamp) {
      this.scheduled.delete(key);
      return undefined;
    }
    const now = this.ctx.clock.now();
    const node = this.nodes.get(nodeName);
    const taints = noExecute(node);
    for (const id of this.seen.keys()) if (id.startsWith(`${nodeName}\0`) && !taints.some((t) => taintId(nodeName, t) === id)) this.seen.delete(id);
    const plan = planEviction(pod, taints, now, (t) => this.firstSeen(nodeName, t, now));
    if (plan === 'never') {
      this.cancel(key, pod);
      return undefined;
    }
    if (plan.at > now) {
      this.scheduled.add(key);
      return { requeueAfter: plan.at - now };
    }
    await this.evict(pod);
    this.scheduled.delete(key);
    return undefined;
  }

  /** Upstream's addConditionAndDeletePod, with the event emitPodDeletionEvent sends first. */
  private async evict(pod: Pod & KubeObject): Promise<void> {
    const key = objectKey(pod);
    const ref = refTo(PODS, pod.metadata.namespace, pod.metadata.name!);
    this.log.info({ pod: key, node: pod.spec?.nodeName }, 'deleting Pod for a NoExecute taint');
    this.recorder.event({ ...pod, apiVersion: 'v1', kind: 'Pod' }, 'Normal', 'TaintManagerEviction', `Marking for deletion Pod ${key}`);
    try {
      const fresh = await this.ctx.client.get<Pod & KubeObject>(ref);
      if (fresh.metadata.uid !== pod.metadata.uid || fresh.metadata.deletionTimestamp) return;
      const conditions = (fresh.status?.conditions ?? []).filter((c) => c.type !== 'DisruptionTarget');
      conditions.push({
        type: 'DisruptionTarget',
        status: 'True',
        reason: 'DeletionByTaintManager',
        message: 'Taint manager: deleting due to NoExecute taint',
        lastTransitionTime: timestamp(this.ctx.clock.now()),
      });
      await this.ctx.client.updateStatus(refTo(PODS, pod.metadata.namespace, pod.metadata.name!, 'status'), {
        ...fresh,
        status: { ...fresh.status, conditions },
      });
      await this.ctx.client.delete(ref, { preconditions: { uid: pod.metadata.uid } });
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }
  }
}
