/**
 * Syncing one Pod, level-triggered, as the kubelet's SyncPod: read what the runtime has
 * for the Pod (labels are the source of truth), plan the next steps towards the spec
 * (pod-actions.ts: a pure function), carry them out (pod-executor.ts), then write the
 * status if it changed. A Pod being deleted is stopped gracefully, its containers
 * removed and its object deleted. What is remembered per Pod is dropped when it goes.
 */
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { type Pod, type PodStatus, rfc3339 } from '@minik8s/api';
import { type Clock, isConflict, isNotFound, objectKey, realClock } from '@minik8s/client/kube';
import {
  computeOrphanActions,
  computePodActions,
  type PlanView,
  type PodRuntimeState,
  type RememberedContainer,
  sandboxToStop,
  sidecarsOf,
  splitContainers,
  type TerminateActions,
} from './pod-actions.ts';
import { type ExecutionMemory, PodExecutor, type PodWorkerDeps } from './pod-executor.ts';
import { attemptOf, LABEL_CONTAINER_NAME, LABEL_NODE, LABEL_POD_UID } from './runtime/labels.ts';
import type { ContainerInfo } from './runtime/runtime.ts';
import { attemptsOf, computePodStatus, isFinished, terminatedState } from './status.ts';

export type { PodWorkerDeps } from './pod-executor.ts';

interface PodMemory extends ExecutionMemory {
  known: Map<string, RememberedContainer>;
  lastWritten?: PodStatus;
  /** The Pod's resourceVersion after that write. */
  writtenVersion?: string;
  /** Syncs of this Pod finished. */
  syncs: number;
}

function normal(status: PodStatus | undefined): unknown {
  return JSON.parse(JSON.stringify(status ?? {}));
}

export class PodWorkers {
  private readonly clock: Clock;
  /** By Pod UID. */
  private readonly memory = new Map<string, PodMemory>();
  /** The last version of each Pod synced, by UID: its grace period once it is gone. */
  private readonly lastKnown = new Map<string, Pod>();
  /** Inspections of finished containers, by container id. */
  private readonly inspected = new Map<string, ContainerInfo>();
  private readonly executor: PodExecutor;
  private syncCount = 0;

  constructor(private readonly d: PodWorkerDeps) {
    this.clock = d.clock ?? realClock;
    this.executor = new PodExecutor(d);
  }

  /** Syncs finished so far, of every Pod or of one (tests wait on this instead of sleeping). */
  syncs(uid?: string): number {
    return uid === undefined ? this.syncCount : (this.memory.get(uid)?.syncs ?? 0);
  }

  /** How many entries the per-Pod and per-container maps hold (all 0 once every Pod is gone). */
  tracked(): { memory: number; lastKnown: number; inspected: number; killing: number } {
    return { memory: this.memory.size, lastKnown: this.lastKnown.size, inspected: this.inspected.size, killing: this.executor.killing.size };
  }

  private mem(uid: string): PodMemory {
    let m = this.memory.get(uid);
    if (!m) {
      m = { waiting: new Map(), known: new Map(), syncs: 0 };
      this.memory.set(uid, m);
    }
    return m;
  }

  /** Every container of a Pod, inspected (inspections of finished containers are cached). */
  async containersOf(uid: string): Promise<ContainerInfo[]> {
    const list = await this.d.runtime.list({ [LABEL_POD_UID]: uid });
    const out: ContainerInfo[] = [];
    for (const s of list) {
      const cached = this.inspected.get(s.id);
      if (cached && cached.state === s.state && s.state !== 'running') {
        out.push(cached);
        continue;
      }
      const info = await this.d.runtime.inspect(s.id);
      if (!info) continue;
      if (info.state !== 'running') this.inspected.set(s.id, info);
      out.push(info);
    }
    return out;
  }

  /** Stops a container in the background; the Pod is synced again when it has stopped. */
  kill(pod: Pod, c: ContainerInfo, grace: number, message?: string): void {
    this.executor.kill(pod, c, grace, message);
  }

  /** Waits for background kills (shutdown, tests). */
  drain(): Promise<void> {
    return this.executor.drain();
  }

  async sync(pod: Pod): Promise<{ requeueAfter?: number }> {
    try {
      return await this.syncOnce(pod);
    } finally {
      this.syncCount++;
      const m = this.memory.get(pod.metadata?.uid ?? '');
      if (m) m.syncs++;
    }
  }

  private async syncOnce(pod: Pod): Promise<{ requeueAfter?: number }> {
    const uid = pod.metadata?.uid ?? '';
    if (uid) this.lastKnown.set(uid, pod);
    const m = this.mem(uid);
    const all = await this.containersOf(uid);
    const { sandboxes, containers } = splitContainers(all);
    this.remember(pod, m, containers);
    const state: PodRuntimeState = { sandboxes, containers, killing: this.executor.killing, known: m.known };
    const plan = computePodActions(pod, state, this.planView());
    if (plan.type === 'Terminate') return this.terminate(pod, plan, all);
    m.waiting = new Map();
    if (plan.type === 'StopForNewSandbox') {
      this.executor.killAll(pod, plan.kill);
      return { requeueAfter: plan.requeueAfter };
    }
    const result = await this.executor.execute(pod, plan, m, containers);
    const apps = result.acted ? splitContainers(await this.containersOf(uid)).containers : containers;
    this.remember(pod, m, apps);
    const status = await this.updateStatus(pod, m, apps, result.sandbox);
    const stop = sandboxToStop(status, result.sandbox);
    if (stop) this.executor.killAll(pod, [stop]);
    const requeueAfter = result.retryAfter === undefined ? this.d.resyncMs : Math.min(this.d.resyncMs, Math.max(50, result.retryAfter));
    return { requeueAfter };
  }

  private planView(): PlanView {
    return { now: this.clock.now(), crashBackoff: this.d.crashBackoff, probe: (spec, id) => this.d.probes.result(spec, id) };
  }

  /** Points the probes at the running containers, then computes and writes the status. */
  private async updateStatus(pod: Pod, m: PodMemory, apps: ContainerInfo[], sandbox: ContainerInfo | undefined): Promise<PodStatus> {
    const podIP = sandbox?.ips[this.d.podNetwork];
    // Probes run in app containers and sidecars.
    const probed = [...sidecarsOf(pod), ...(pod.spec?.containers ?? [])];
    this.d.probes.update(
      pod,
      objectKey(pod as never),
      podIP,
      probed.flatMap((spec) => {
        const latest = attemptsOf(apps, spec.name)[0];
        return latest?.state === 'running' ? [{ spec, id: latest.id, startedAt: latest.startedAt }] : [];
      }),
    );
    const status = computePodStatus({
      pod,
      containers: apps,
      sandboxRunning: !!sandbox,
      podIP,
      hostIP: this.d.hostIP,
      waiting: m.waiting,
      probe: (id) => {
        const spec = probed.find((c) => attemptsOf(apps, c.name)[0]?.id === id);
        return spec ? this.d.probes.result(spec, id) : { ready: false, started: false };
      },
      known: m.known,
      now: rfc3339(new Date(this.clock.now())),
    });
    await this.writeStatus(pod, m, status);
    return status;
  }

  /** Keeps restart counts and last states of containers that Docker may lose (docker rm -f). */
  private remember(pod: Pod, m: PodMemory, apps: ContainerInfo[]): void {
    for (const s of [...(pod.status?.containerStatuses ?? []), ...(pod.status?.initContainerStatuses ?? [])]) {
      if (!m.known.has(s.name) && s.containerID) m.known.set(s.name, { restartCount: s.restartCount, existed: true });
    }
    for (const c of apps) {
      const name = c.labels[LABEL_CONTAINER_NAME] ?? '';
      const latest = attemptsOf(apps, name)[0];
      if (latest !== c) continue;
      const lastTerminated = isFinished(c)
        ? terminatedState(c)
        : {
            exitCode: 137,
            reason: 'ContainerStatusUnknown',
            message: 'The container could not be located when the pod was deleted.  The container used to be Running',
            containerID: `docker://${c.id}`,
          };
      m.known.set(name, { restartCount: attemptOf(c.labels), existed: true, lastTerminated });
    }
  }

  /** Graceful termination: stop, and once nothing runs, remove everything and delete the Pod object. */
  private async terminate(pod: Pod, plan: TerminateActions, all: ContainerInfo[]): Promise<{ requeueAfter?: number }> {
    this.executor.killAll(pod, plan.kill);
    if (!plan.done) return { requeueAfter: 500 };
    await this.forget(pod.metadata?.uid ?? '', all);
    try {
      await this.d.client.delete(
        { version: 'v1', plural: 'pods', namespace: pod.metadata?.namespace, name: pod.metadata?.name },
        { gracePeriodSeconds: 0, preconditions: { uid: pod.metadata?.uid } },
      );
    } catch (e) {
      if (!isNotFound(e) && !isConflict(e)) throw e;
    }
    return {};
  }

  /** Removes a Pod's containers and everything remembered about it. */
  async forget(uid: string, containers?: ContainerInfo[]): Promise<void> {
    for (const c of containers ?? (await this.containersOf(uid))) {
      await this.d.runtime.remove(c.id);
      this.inspected.delete(c.id);
    }
    if (this.d.rootDir && uid) await rm(join(this.d.rootDir, 'pods', uid), { recursive: true, force: true });
    this.forgetMemory(uid);
  }

  /** Drops what is remembered about a Pod (its containers are gone). */
  private forgetMemory(uid: string): void {
    this.d.probes.removePod(uid);
    this.d.crashBackoff.resetPrefix(`${uid}/`);
    this.d.images.forgetPod(uid);
    for (const [id, c] of this.inspected) if (c.labels[LABEL_POD_UID] === uid) this.inspected.delete(id);
    this.memory.delete(uid);
    this.lastKnown.delete(uid);
  }

  /**
   * Containers of Pods that no longer exist (deleted while the kubelet was away, or
   * removed from the API at once): stopped with the last known grace period, then
   * removed. What is remembered of Pods gone without a trace is dropped too.
   */
  async cleanupOrphans(live: Set<string>): Promise<void> {
    const known = (uid: string) => this.lastKnown.get(uid);
    const all = await this.d.runtime.list({ [LABEL_NODE]: this.d.nodeName });
    const orphans = new Map<string, ContainerInfo[]>();
    for (const s of all) {
      const uid = s.labels[LABEL_POD_UID];
      if (!uid || live.has(uid)) continue;
      const info = this.inspected.get(s.id) ?? (await this.d.runtime.inspect(s.id));
      if (!info) continue;
      orphans.set(uid, [...(orphans.get(uid) ?? []), info]);
    }
    for (const o of computeOrphanActions(orphans, known, this.executor.killing)) {
      if (!o.stop.length) await this.forget(o.uid, o.containers);
      else {
        this.executor.stopThen(
          o.stop,
          () => this.forget(o.uid, o.containers),
          (e) => this.d.log.warn({ err: e, uid: o.uid }, 'could not clean up the containers of a deleted pod'),
        );
      }
    }
    for (const uid of new Set([...this.memory.keys(), ...this.lastKnown.keys()])) {
      if (!live.has(uid) && !orphans.has(uid)) this.forgetMemory(uid);
    }
  }

  private async writeStatus(pod: Pod, m: PodMemory, status: PodStatus): Promise<void> {
    const next = normal(status);
    if (isDeepStrictEqual(next, normal(pod.status))) return;
    // The Pod as seen may predate our last write (the watch lags): then that write stands.
    // A newer Pod whose status differs was changed by someone else (the node lifecycle
    // controller marks Pods not Ready): write ours again, as upstream's needsReconcile.
    const changedSince = Number(pod.metadata?.resourceVersion) > Number(m.writtenVersion);
    if (m.lastWritten && isDeepStrictEqual(next, normal(m.lastWritten)) && !changedSince) return;
    try {
      const written = await this.d.client.patch<Pod & { metadata: { resourceVersion?: string } }>(
        { version: 'v1', plural: 'pods', namespace: pod.metadata?.namespace, name: pod.metadata?.name, subresource: 'status' },
        { metadata: { uid: pod.metadata?.uid }, status },
        { type: 'merge' },
      );
      m.lastWritten = status;
      m.writtenVersion = written?.metadata?.resourceVersion;
    } catch (e) {
      if (isNotFound(e)) return;
      throw e;
    }
  }
}
