/**
 * The node lifecycle controller (upstream's pkg/controller/nodelifecycle): notices nodes
 * whose kubelet stopped renewing its Lease (kube-node-lease) and posting status for
 * `--node-monitor-grace-period`, and marks them: Ready and the pressure conditions
 * Unknown (`NodeStatusUnknown`), the NoExecute taint `node.kubernetes.io/unreachable`
 * (or `not-ready` for a node that reports Ready False) that the taint-eviction
 * controller acts on, the NoSchedule taints the node's conditions call for
 * (TaintNodesByCondition), and its Pods' Ready condition False (MarkPodsNotReady), so
 * Services drop them. A node that is Ready again loses the taints.
 *
 * Each node is looked at every `--node-monitor-period` and whenever it or its Lease
 * changes. As upstream, "renewed" is measured on this controller's clock (when it saw the
 * heartbeat or the Lease's renewTime change), so the kubelets' clocks do not matter.
 * When every node is down, no NoExecute taint is added and those there are removed
 * (upstream's "master disruption mode": more likely this side lost the nodes).
 */
import type { KubeObject, Lease, Node, Pod, PodCondition } from '@minik8s/api';
import { type EventRecorder, isNotFound } from '@minik8s/client/kube';
import { QueueLoop, type Runnable } from '@minik8s/client/runtime';
import type { Logger } from 'pino';
import { type ControllerContext, eventRecorder, timestamp } from '../internal/context.ts';
import { indexPodsByNode, POD_NODE_INDEX } from '../internal/pods-by-node.ts';
import { NODES, PODS, refTo } from '../internal/resources.ts';
import { condition, planTaints, readyStatus, unknownConditions } from './node-health.ts';

export const NODE_LIFECYCLE_CONTROLLER = 'node-lifecycle-controller';
const LEASES = { group: 'coordination.k8s.io', version: 'v1', plural: 'leases', namespace: 'kube-node-lease' } as const;

export interface NodeLifecycleOptions {
  /** `--node-monitor-period`: how often each node is looked at. Default 5 s. */
  monitorPeriodMs?: number;
  /** `--node-monitor-grace-period`: silence before a node is Unknown. Default 40 s. */
  gracePeriodMs?: number;
  /** `--node-startup-grace-period`: the same for a node that never posted Ready. Default 60 s. */
  startupGracePeriodMs?: number;
}

interface Health {
  /** When this controller saw the node's heartbeat or Lease change (its own clock). */
  probeAt: number;
  heartbeat?: string;
  renewTime?: string;
  /** Ready's status as last seen, for the NodeReady / NodeNotReady events. */
  ready?: string;
}

export class NodeLifecycleController implements Runnable {
  readonly name = NODE_LIFECYCLE_CONTROLLER;
  private readonly loop: QueueLoop;
  private readonly log: Logger;
  private readonly recorder: EventRecorder;
  private readonly nodes;
  private readonly leases;
  private readonly pods;
  private readonly health = new Map<string, Health>();
  private readonly period: number;
  private readonly grace: number;
  private readonly startupGrace: number;

  constructor(
    private readonly ctx: ControllerContext,
    o: NodeLifecycleOptions = {},
  ) {
    this.period = o.monitorPeriodMs ?? 5_000;
    this.grace = o.gracePeriodMs ?? 40_000;
    this.startupGrace = Math.max(o.startupGracePeriodMs ?? 60_000, this.grace);
    this.log = ctx.log.child({ component: NODE_LIFECYCLE_CONTROLLER });
    this.recorder = eventRecorder(ctx, 'node-controller');
    this.loop = new QueueLoop({ name: 'node-lifecycle', workers: 1, clock: ctx.clock, log: this.log, reconcile: (k) => this.sync(k) });
    this.nodes = ctx.informers.for<Node & { metadata: { name: string } }>(NODES);
    this.leases = ctx.informers.for<Lease & KubeObject>(LEASES);
    this.pods = indexPodsByNode(ctx.informers.for<Pod & KubeObject>(PODS));
    const enqueue = (o: KubeObject) => this.loop.enqueue(o.metadata.name!);
    this.nodes.addEventHandler({
      onAdd: enqueue,
      onUpdate: (_o, n) => enqueue(n),
      onDelete: (n) => this.health.delete(n.metadata.name),
    });
    this.leases.addEventHandler({ onAdd: enqueue, onUpdate: (_o, l) => enqueue(l) });
    // A Pod bound to a node that is not Ready is marked not Ready too.
    this.pods.addEventHandler({
      onAdd: (p) => this.podChanged(p),
      onUpdate: (_o, p) => this.podChanged(p),
    });
  }

  async run(signal: AbortSignal): Promise<void> {
    await Promise.all([this.nodes.waitForSync(signal), this.leases.waitForSync(signal), this.pods.waitForSync(signal)]);
    await this.loop.run(signal);
    await this.recorder.flush();
  }

  private podChanged(p: Pod & KubeObject): void {
    const node = p.spec?.nodeName ? this.nodes.get(p.spec.nodeName) : undefined;
    if (node && readyStatus(node) !== 'True' && isReadyTrue(p)) this.loop.enqueue(node.metadata.name);
  }

  /** When the kubelet was last heard from, on this controller's clock. */
  private probe(node: Node & { metadata: { name: string } }, now: number): Health {
    const name = node.metadata.name;
    const heartbeat = condition(node, 'Ready')?.lastHeartbeatTime;
    const renewTime = this.leases.get(`kube-node-lease/${name}`)?.spec?.renewTime;
    const h = this.health.get(name);
    if (!h) {
      const fresh = { probeAt: now, heartbeat, renewTime, ready: readyStatus(node) };
      this.health.set(name, fresh);
      return fresh;
    }
    if (h.heartbeat !== heartbeat || h.renewTime !== renewTime) Object.assign(h, { probeAt: now, heartbeat, renewTime });
    return h;
  }

  private async sync(name: string): Promise<{ requeueAfter: number } | undefined> {
    const cached = this.nodes.get(name);
    if (!cached) return undefined;
    const now = this.ctx.clock.now();
    const h = this.probe(cached, now);
    let node = cached;

    const grace = condition(node, 'Ready') ? this.grace : this.startupGrace;
    if (now - h.probeAt > grace) {
      const conditions = unknownConditions(node, timestamp(now));
      if (conditions) {
        this.log.info({ node: name }, 'node stopped posting status');
        node = await this.ctx.client.updateStatus(refTo(NODES, undefined, name, 'status'), {
          ...structuredClone(node),
          status: { ...node.status, conditions },
        });
      }
    }

    const ready = readyStatus(node);
    if (h.ready !== ready) {
      if (h.ready === 'True' || ready === 'True') {
        const what = ready === 'True' ? 'NodeReady' : 'NodeNotReady';
        this.recorder.event({ ...node, apiVersion: 'v1', kind: 'Node' }, 'Normal', what, `Node ${name} status is now: ${what}`);
      }
      h.ready = ready;
    }

    // Every node down: evict nothing (upstream's master disruption mode).
    const evict = this.nodes.list().some((n) => readyStatus(n) === 'True');
    const taints = planTaints(node, timestamp(now), evict);
    if (taints) {
      const next = structuredClone(node);
      next.spec = { ...next.spec, taints };
      if (!taints.length) delete next.spec.taints;
      await this.ctx.client.update(refTo(NODES, undefined, name), next);
    }

    if (ready !== 'True') await this.markPodsNotReady(node);
    return { requeueAfter: this.period };
  }

  /** Upstream's MarkPodsNotReady: the node's Pods get Ready False (and a NodeNotReady event). */
  private async markPodsNotReady(node: Node & { metadata: { name: string } }): Promise<void> {
    const t = timestamp(this.ctx.clock.now());
    for (const pod of this.pods.byIndex(POD_NODE_INDEX, node.metadata.name)) {
      if (!isReadyTrue(pod)) continue;
      const next = structuredClone(pod);
      next.status!.conditions = next.status!.conditions!.map((c) => (c.type === 'Ready' ? { ...c, status: 'False', lastTransitionTime: t } : c));
      try {
        await this.ctx.client.updateStatus(refTo(PODS, pod.metadata.namespace, pod.metadata.name!, 'status'), next);
      } catch (e) {
        if (isNotFound(e)) continue;
        throw e;
      }
      this.recorder.event({ ...pod, apiVersion: 'v1', kind: 'Pod' }, 'Warning', 'NodeNotReady', 'Node is not ready');
    }
  }
}

const isReadyTrue = (p: Pod) => p.status?.conditions?.some((c: PodCondition) => c.type === 'Ready' && c.status === 'True') ?? false;
