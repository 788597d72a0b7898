/**
 * The disruption controller (upstream pkg/controller/disruption): keeps each
 * PodDisruptionBudget's status current, which is what the eviction subresource reads.
 *
 * - The Pods a budget covers are those of its namespace its selector matches (an empty
 *   selector matches every Pod there, a missing one none).
 * - `minAvailable: N` wants N healthy Pods out of those that exist. A percentage, or
 *   `maxUnavailable`, is taken of what the Pods' controllers want (the sum of their
 *   replicas: a Deployment through its ReplicaSet, a ReplicaSet, a StatefulSet), rounding
 *   up as upstream.
 * - Healthy: Ready and not being deleted, and not evicted less than 2 minutes ago
 *   (`disruptedPods`, written by the eviction subresource, forgotten once the Pod goes or
 *   the time is up). `disruptionsAllowed = currentHealthy - desiredHealthy`, at least 0,
 *   and 0 while the budget expects no Pod. The condition `DisruptionAllowed` says which
 *   (`SufficientPods`, `InsufficientPods`, or `SyncFailed` when the count could not be made).
 */
import { controllerRef, isBeingDeleted, isPodReady, type KubeObject, type Pod } from '@minik8s/api';
import { labelSelectorAsSelector } from '@minik8s/api/selectors';
import { type EventRecorder, isConflict, isNotFound, objectKey } from '@minik8s/client/kube';
import { QueueLoop, type Runnable } from '@minik8s/client/runtime';
import type { Logger } from 'pino';
import { type ControllerContext, eventRecorder, timestamp } from '../internal/context.ts';
import { DEPLOYMENTS, PODDISRUPTIONBUDGETS, PODS, REPLICA_SETS, refTo, STATEFUL_SETS } from '../internal/resources.ts';

export const DISRUPTION_CONTROLLER = 'disruption-controller';
/** Upstream's DeletionTimeout: how long an evicted Pod is expected to take to go. */
export const DELETION_TIMEOUT_MS = 2 * 60 * 1000;

// biome-ignore lint/suspicious/noExplicitAny: budgets and controllers are read loosely
type Any = any;

interface Counts {
  expectedCount: number;
  desiredHealthy: number;
  unmanaged: string[];
}

export class DisruptionController implements Runnable {
  readonly name = DISRUPTION_CONTROLLER;
  private readonly loop: QueueLoop;
  private readonly recorder: EventRecorder;
  private readonly log: Logger;
  private readonly pdbs;
  private readonly pods;
  private readonly replicaSets;
  private readonly deployments;
  private readonly statefulSets;

  constructor(private readonly ctx: ControllerContext) {
    this.log = ctx.log.child({ component: DISRUPTION_CONTROLLER });
    this.recorder = eventRecorder(ctx, DISRUPTION_CONTROLLER);
    this.loop = new QueueLoop({ name: 'disruption', workers: ctx.workers, clock: ctx.clock, log: this.log, reconcile: (k) => this.sync(k) });
    this.pdbs = ctx.informers.for<KubeObject>(PODDISRUPTIONBUDGETS);
    this.pods = ctx.informers.for<Pod>(PODS);
    this.replicaSets = ctx.informers.for<KubeObject>(REPLICA_SETS);
    this.deployments = ctx.informers.for<KubeObject>(DEPLOYMENTS);
    this.statefulSets = ctx.informers.for<KubeObject>(STATEFUL_SETS);
    this.pdbs.addEventHandler({
      onAdd: (b) => this.loop.enqueue(objectKey(b)),
      onUpdate: (_o, b) => this.loop.enqueue(objectKey(b)),
      onDelete: (b) => this.loop.enqueue(objectKey(b)),
    });
    this.pods.addEventHandler({
      onAdd: (p) => this.podChanged(p),
      onUpdate: (o, p) => {
        this.podChanged(p);
        if (JSON.stringify(o.metadata?.labels ?? {}) !== JSON.stringify(p.metadata?.labels ?? {})) this.podChanged(o);
      },
      onDelete: (p) => this.podChanged(p),
    });
    // A controller's replicas are the denominator of percentages and of maxUnavailable.
    for (const informer of [this.replicaSets, this.deployments, this.statefulSets]) {
      informer.addEventHandler({ onAdd: (o) => this.scaleChanged(o), onUpdate: (_o, o) => this.scaleChanged(o), onDelete: (o) => this.scaleChanged(o) });
    }
  }

  async run(signal: AbortSignal): Promise<void> {
    await Promise.all([this.pdbs, this.pods, this.replicaSets, this.deployments, this.statefulSets].map((i) => i.waitForSync(signal)));
    await this.loop.run(signal);
    await this.recorder.flush();
  }

  private budgetsOf(pod: Pod): KubeObject[] {
    return this.pdbs.list(pod.metadata?.namespace).filter((b) => {
      try {
        const sel = (b as Any).spec?.selector;
        return sel != null && labelSelectorAsSelector(sel).matches(pod.metadata?.labels ?? {});
      } catch {
        return false;
      }
    });
  }

  private podChanged(p: Pod): void {
    for (const b of this.budgetsOf(p)) this.loop.enqueue(objectKey(b));
  }

  private scaleChanged(o: KubeObject): void {
    for (const b of this.pdbs.list(o.metadata.namespace)) this.loop.enqueue(objectKey(b));
  }

  private podsOf(pdb: Any): Pod[] {
    const sel = pdb.spec?.selector;
    if (sel == null) return [];
    const selector = labelSelectorAsSelector(sel);
    return this.pods.list(pdb.metadata.namespace).filter((p) => selector.matches(p.metadata?.labels ?? {}));
  }

  private async sync(key: string): Promise<void> {
    const [namespace, name] = key.split('/') as [string, string];
    const pdb = this.pdbs.getByName(namespace, name) as Any;
    if (!pdb) return;
    try {
      await this.trySync(pdb);
    } catch (e) {
      if (isConflict(e) || isNotFound(e)) throw e;
      this.log.warn({ pdb: key, err: e }, 'failed to sync the PodDisruptionBudget');
      await this.failSafe(pdb, (e as Error).message);
      throw e;
    }
  }

  private async trySync(pdb: Any): Promise<void> {
    const pods = this.podsOf(pdb);
    if (pods.length === 0) this.recorder.event(pdb, 'Normal', 'NoPods', 'No matching pods found');
    let counts: Counts;
    try {
      counts = this.expectedPodCount(pdb, pods);
    } catch (e) {
      this.recorder.event(pdb, 'Warning', 'CalculateExpectedPodCountFailed', `Failed to calculate the number of expected pods: ${(e as Error).message}`);
      throw e;
    }
    if (counts.unmanaged.length > 0) {
      this.recorder.event(
        pdb,
        'Warning',
        'UnmanagedPods',
        `Pods selected by this PodDisruptionBudget (selector: ${JSON.stringify(pdb.spec?.selector)}) were found to be unmanaged. As a result, the status of the PDB cannot be calculated correctly, which may result in undefined behavior. To account for these pods please set ".spec.minAvailable" field of the PDB to an integer value.`,
      );
    }
    const now = this.ctx.clock.now();
    const { disrupted, recheckAt } = this.disruptedPods(pdb, pods, now);
    const currentHealthy = pods.filter((p) => !isBeingDeleted(p) && !(p.metadata!.name! in disrupted) && isPodReady(p)).length;
    await this.updateStatus(pdb, currentHealthy, counts, disrupted, now);
    if (recheckAt !== undefined) this.loop.enqueueAfter(objectKey(pdb), recheckAt - now);
  }

  /** Upstream's getExpectedPodCount. */
  private expectedPodCount(pdb: Any, pods: Pod[]): Counts {
    const { minAvailable, maxUnavailable } = pdb.spec ?? {};
    if (maxUnavailable != null) {
      const { expected, unmanaged } = this.expectedScale(pods);
      const desiredHealthy = Math.max(0, expected - scaled(maxUnavailable, expected));
      return { expectedCount: expected, desiredHealthy, unmanaged };
    }
    if (typeof minAvailable === 'number') return { expectedCount: pods.length, desiredHealthy: minAvailable, unmanaged: [] };
    if (typeof minAvailable === 'string') {
      const { expected, unmanaged } = this.expectedScale(pods);
      return { expectedCount: expected, desiredHealthy: scaled(minAvailable, expected), unmanaged };
    }
    return { expectedCount: 0, desiredHealthy: 0, unmanaged: [] };
  }

  /** The sum of the replicas the covered Pods' controllers want, each controller once. */
  private expectedScale(pods: Pod[]): { expected: number; unmanaged: string[] } {
    const scales = new Map<string, number>();
    const unmanaged: string[] = [];
    for (const pod of pods) {
      const ref = controllerRef(pod);
      if (!ref) {
        unmanaged.push(pod.metadata!.name!);
        continue;
      }
      if (scales.has(ref.uid)) continue;
      const found = this.controllerScale(ref, pod.metadata!.namespace!);
      if (!found) throw new Error(`found no controllers for pod "${pod.metadata!.name}"`);
      scales.set(found.uid, found.scale);
    }
    let expected = 0;
    for (const s of scales.values()) expected += s;
    return { expected, unmanaged };
  }

  /** Upstream's finders: a ReplicaSet (or the Deployment that owns it), a StatefulSet. */
  private controllerScale(ref: { kind: string; name: string; uid: string }, namespace: string): { uid: string; scale: number } | undefined {
    const own = (o: KubeObject | undefined) => (o && o.metadata.uid === ref.uid ? o : undefined);
    if (ref.kind === 'ReplicaSet') {
      const rs = own(this.replicaSets.getByName(namespace, ref.name)) as Any;
      if (!rs) return undefined;
      const dref = controllerRef(rs);
      if (dref?.kind === 'Deployment') {
        const d = this.deployments.getByName(namespace, dref.name) as Any;
        if (d && d.metadata.uid === dref.uid) return { uid: d.metadata.uid, scale: d.spec?.replicas ?? 1 };
        return undefined;
      }
      return { uid: rs.metadata.uid, scale: rs.spec?.replicas ?? 1 };
    }
    if (ref.kind === 'StatefulSet') {
      const ss = own(this.statefulSets.getByName(namespace, ref.name)) as Any;
      return ss ? { uid: ss.metadata.uid, scale: ss.spec?.replicas ?? 1 } : undefined;
    }
    return undefined;
  }

  /** The evictions still expected to happen, and when the first of them is overdue. */
  private disruptedPods(pdb: Any, pods: Pod[], now: number): { disrupted: Record<string, string>; recheckAt?: number } {
    const recorded: Record<string, string> = pdb.status?.disruptedPods ?? {};
    const disrupted: Record<string, string> = {};
    let recheckAt: number | undefined;
    for (const pod of pods) {
      const name = pod.metadata!.name!;
      if (isBeingDeleted(pod) || !(name in recorded)) continue;
      const due = Date.parse(recorded[name]!) + DELETION_TIMEOUT_MS;
      if (due < now) {
        this.recorder.event(pod, 'Warning', 'NotDeleted', `Pod was expected by PDB ${pdb.metadata.namespace}/${pdb.metadata.name} to be deleted but it wasn't`);
        continue;
      }
      disrupted[name] = recorded[name]!;
      if (recheckAt === undefined || due < recheckAt) recheckAt = due;
    }
    return { disrupted, recheckAt };
  }

  private async updateStatus(pdb: Any, currentHealthy: number, c: Counts, disrupted: Record<string, string>, now: number): Promise<void> {
    let allowed = currentHealthy - c.desiredHealthy;
    if (c.expectedCount <= 0 || allowed <= 0) allowed = 0;
    const generation = pdb.metadata.generation ?? 0;
    const status = {
      ...(pdb.status ?? {}),
      currentHealthy,
      desiredHealthy: c.desiredHealthy,
      expectedPods: c.expectedCount,
      disruptionsAllowed: allowed,
      disruptedPods: Object.keys(disrupted).length ? disrupted : undefined,
      observedGeneration: generation,
    };
    status.conditions = withCondition(pdb.status?.conditions, {
      type: 'DisruptionAllowed',
      status: allowed > 0 ? 'True' : 'False',
      reason: allowed > 0 ? 'SufficientPods' : 'InsufficientPods',
      message: '',
      observedGeneration: generation,
      lastTransitionTime: timestamp(now),
    });
    if (JSON.stringify(normalize(status)) === JSON.stringify(normalize(pdb.status ?? {}))) return;
    await this.ctx.client.updateStatus(refTo(PODDISRUPTIONBUDGETS, pdb.metadata.namespace, pdb.metadata.name, 'status'), { ...pdb, status });
  }

  /** Upstream's failSafe: no disruption allowed while the count cannot be made. */
  private async failSafe(pdb: Any, message: string): Promise<void> {
    const status = { ...(pdb.status ?? {}), disruptionsAllowed: 0 };
    status.conditions = withCondition(pdb.status?.conditions, {
      type: 'DisruptionAllowed',
      status: 'False',
      reason: 'SyncFailed',
      message,
      observedGeneration: pdb.status?.observedGeneration ?? 0,
      lastTransitionTime: timestamp(this.ctx.clock.now()),
    });
    await this.ctx.client.updateStatus(refTo(PODDISRUPTIONBUDGETS, pdb.metadata.namespace, pdb.metadata.name, 'status'), { ...pdb, status }).catch(() => {});
  }
}

/** intstr.GetScaledValueFromIntOrPercent with rounding up. */
export function scaled(v: number | string, total: number): number {
  if (typeof v === 'number') return v;
  const m = /^(\d+)%$/.exec(v);
  if (!m) throw new Error(`invalid value for IntOrString: invalid value "${v}"`);
  return Math.ceil((Number(m[1]) * total) / 100);
}

/** Sets a metav1.Condition, keeping lastTransitionTime when the status did not change. */
function withCondition(conditions: Any[] | undefined, c: Any): Any[] {
  const old = (conditions ?? []).find((x) => x.type === c.type);
  const kept = (conditions ?? []).filter((x) => x.type !== c.type);
  const same = old && old.status === c.status && old.reason === c.reason && old.message === c.message && old.observedGeneration === c.observedGeneration;
  return [...kept, same ? old : { ...c, lastTransitionTime: old?.status === c.status ? old.lastTransitionTime : c.lastTransitionTime }];
}

const normalize = (s: Any) => JSON.parse(JSON.stringify(s));
