/**
 * Syncing one Pod, level-triggered, as the kubelet's SyncPod: read what Docker has for
 * the Pod (labels are the source of truth), then take the next steps towards the spec:
 * a sandbox holding the network namespace and the Pod's IP, init containers one at a
 * time, then the app containers, restarted by restartPolicy with back-off; kill what a
 * liveness probe failed; terminate gracefully when the Pod is being deleted. Ends by
 * writing the status, if it changed.
 */
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { type Container, formatResolvConf, type Pod, type PodStatus, rfc3339 } from '@minik8s/api';
import { type Clock, isConflict, isNotFound, type KubeClient, objectKey, realClock } from '@minik8s/client/kube';
import type { Logger } from 'pino';
import type { Backoff } from './backoff.ts';
import { buildCommand, buildEnv, buildResources, ConfigError, type KeyLookup } from './container-config.ts';
import { type DnsSettings, podResolvConf } from './dns-config.ts';
import { type ImagePuller, pullPolicy } from './images.ts';
import { goDuration } from './internal/go-duration.ts';
import type { ProbeManager } from './probes.ts';
import {
  attemptOf,
  containerName,
  LABEL_CONTAINER_NAME,
  LABEL_KIND,
  LABEL_RESTART_COUNT,
  LABEL_SANDBOX_ID,
  LABEL_TYPE,
  podLabels,
  podRef,
  TYPE_CONTAINER,
  TYPE_SANDBOX,
} from './runtime/labels.ts';
import type { ContainerInfo, ContainerRuntime } from './runtime/runtime.ts';
import { AddressPool, createSandbox, removeByName } from './sandbox.ts';
import { attemptsOf, computePodStatus, isFinished, type KnownContainer, terminatedState, type Waiting } from './status.ts';

export interface PodWorkerDeps {
  nodeName: string;
  runtime: ContainerRuntime;
  client: KubeClient;
  event(pod: Pod, type: 'Normal' | 'Warning', reason: string, message: string, fieldPath?: string): void;
  log: Logger;
  clock?: Clock;
  podNetwork: string;
  podCidr?: string;
  hostIP?: string;
  infraImage: string;
  /** The sandbox's command (undefined: the image's own). */
  infraCommand?: string[];
  crashBackoff: Backoff;
  images: ImagePuller;
  probes: ProbeManager;
  lookup: KeyLookup;
  /** Added to every container (tests label what they make). */
  extraLabels: Record<string, string>;
  /** Sync this Pod again soon (a kill finished). */
  requeue(podKey: string): void;
  /** How often a Pod is looked at even if nothing changes (ms). */
  resyncMs: number;
  /** Cluster DNS settings; with `rootDir`, each Pod gets its resolv.conf from them. */
  dns?: DnsSettings;
  /** Where per-Pod files live (`<rootDir>/pods/<uid>/`): a host path, as Docker mounts it. */
  rootDir?: string;
  /** Ranges each Pod routes through its node (the Service CIDR), and the node's address. */
  podRoutes?: { cidrs: string[]; via: string };
}

interface PodMemory {
  waiting: Map<string, Waiting>;
  known: Map<string, KnownContainer & { existed: boolean }>;
  lastWritten?: PodStatus;
  /** The resolv.conf written for the Pod (written again only when it changes). */
  resolvConf?: string;
}

function normal(status: PodStatus | undefined): unknown {
  return JSON.parse(JSON.stringify(status ?? {}));
}

export function gracePeriod(pod: Pod): number {
  return pod.metadata?.deletionGracePeriodSeconds ?? pod.spec?.terminationGracePeriodSeconds ?? 30;
}

export class PodWorkers {
  private readonly clock: Clock;
  private readonly memory = new Map<string, PodMemory>();
  private readonly inspected = new Map<string, ContainerInfo>();
  /** Containers being stopped in the background, by id. */
  private readonly killing = new Map<string, Promise<void>>();
  private readonly addresses?: AddressPool;

  constructor(private readonly d: PodWorkerDeps) {
    this.clock = d.clock ?? realClock;
    if (d.podCidr) this.addresses = new AddressPool(d.podCidr, () => d.runtime.networkAddresses(d.podNetwork));
  }

  private mem(uid: string): PodMemory {
    let m = this.memory.get(uid);
    if (!m) {
      m = { waiting: new Map(), known: new Map() };
      this.memory.set(uid, m);
    }
    return m;
  }

  /** Every container of a Pod, inspected (inspections of finished containers are cached). */
  async containersOf(uid: string): Promise<ContainerInfo[]> {
    const list = await this.d.runtime.list({ 'io.kubernetes.pod.uid': uid });
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
    if (this.killing.has(c.id)) return;
    const name = c.labels[LABEL_CONTAINER_NAME] ?? '';
    if (message !== undefined) this.d.event(pod, 'Normal', 'Killing', message, `spec.containers{${name}}`);
    const p = this.d.runtime
      .stop(c.id, grace)
      .catch((e) => this.d.log.warn({ err: e, container: c.name }, 'could not stop a container'))
      .finally(() => {
        this.killing.delete(c.id);
        this.d.requeue(objectKey(pod as { metadata: { namespace?: string; name?: string } }));
      });
    this.killing.set(c.id, p);
  }

  /** Waits for background kills (shutdown, tests). */
  async drain(): Promise<void> {
    await Promise.all([...this.killing.values()]);
  }

  async sync(pod: Pod): Promise<{ requeueAfter?: number }> {
    const uid = pod.metadata?.uid ?? '';
    const m = this.mem(uid);
    let containers = await this.containersOf(uid);
    if (pod.metadata?.deletionTimestamp) return this.terminate(pod, containers);
    const sandboxes = containers.filter((c) => c.labels[LABEL_TYPE] === TYPE_SANDBOX).sort((a, b) => attemptOf(b.labels) - attemptOf(a.labels));
    let apps = containers.filter((c) => c.labels[LABEL_TYPE] === TYPE_CONTAINER);
    this.remember(pod, m, apps);
    m.waiting = new Map();
    let requeueAfter = this.d.resyncMs;
    const later = (ms: number) => {
      requeueAfter = Math.min(requeueAfter, Math.max(50, ms));
    };

    const finished = pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed';
    let sandbox = sandboxes.find((s) => s.state === 'running');
    if (finished) {
      for (const c of [...apps, ...sandboxes]) if (c.state === 'running') this.kill(pod, c, gracePeriod(pod));
      sandbox = undefined;
    } else {
      if (!sandbox && !this.wouldBeFinished(pod, apps)) {
        // A new sandbox: whatever ran in the old network namespace goes with it.
        for (const c of apps) if (c.state === 'running') this.kill(pod, c, gracePeriod(pod));
        if (apps.some((c) => c.state === 'running' || this.killing.has(c.id))) return { requeueAfter: 200 };
        for (const s of sandboxes) await this.d.runtime.remove(s.id);
        const attempt = sandboxes[0] ? attemptOf(sandboxes[0].labels) + 1 : 0;
        try {
          sandbox = await this.createSandbox(pod, attempt);
        } catch (e) {
          const message = `Failed to create pod sandbox: ${(e as Error).message}`;
          this.d.event(pod, 'Warning', 'FailedCreatePodSandBox', message);
          this.d.log.warn({ pod: objectKey(pod as never), err: e }, 'could not create the pod sandbox');
          later(2000);
        }
      }
      if (sandbox) {
        const acted = await this.syncContainers(pod, sandbox, apps, m, later);
        if (acted) apps = (await this.containersOf(uid)).filter((c) => c.labels[LABEL_TYPE] === TYPE_CONTAINER);
        this.remember(pod, m, apps);
      }
    }
    const podIP = sandbox?.ips[this.d.podNetwork];
    this.d.probes.update(
      pod,
      objectKey(pod as never),
      podIP,
      (pod.spec?.containers ?? []).flatMap((spec) => {
        const latest = attemptsOf(apps, spec.name)[0];
        return latest?.state === 'running' ? [{ spec, id: latest.id, startedAt: latest.startedAt }] : [];
      }),
    );
    containers = apps;
    const status = computePodStatus({
      pod,
      containers,
      sandboxRunning: !!sandbox,
      podIP,
      hostIP: this.d.hostIP,
      waiting: m.waiting,
      probe: (id) => {
        const spec = (pod.spec?.containers ?? []).find((c) => attemptsOf(apps, c.name)[0]?.id === id);
        return spec ? this.d.probes.result(spec, id) : { ready: false, started: false };
      },
      known: m.known,
      now: rfc3339(new Date(this.clock.now())),
    });
    await this.writeStatus(pod, m, status);
    if (status.phase === 'Succeeded' || status.phase === 'Failed') {
      if (sandbox) this.kill(pod, sandbox, 0);
    }
    return { requeueAfter };
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

  /** Under restartPolicy Never/OnFailure, a Pod whose containers all finished needs no new sandbox. */
  private wouldBeFinished(pod: Pod, apps: ContainerInfo[]): boolean {
    const policy = pod.spec?.restartPolicy ?? 'Always';
    if (policy === 'Always') return false;
    const specs = pod.spec?.containers ?? [];
    if (specs.length === 0) return false;
    return specs.every((s) => {
      const latest = attemptsOf(apps, s.name)[0];
      return latest && isFinished(latest) && (policy === 'Never' || latest.exitCode === 0);
    });
  }

  private async createSandbox(pod: Pod, attempt: number): Promise<ContainerInfo> {
    return createSandbox({ ...this.d, addresses: this.addresses, binds: await this.podBinds(pod) }, pod, attempt);
  }

  /** Files every container of the Pod mounts: its resolv.conf (written when it changes). */
  private async podBinds(pod: Pod): Promise<string[]> {
    if (!this.d.rootDir || !this.d.dns) return [];
    const conf = podResolvConf(pod, this.d.dns);
    if (!conf) return [];
    const uid = pod.metadata?.uid ?? '';
    const dir = join(this.d.rootDir, 'pods', uid);
    const file = join(dir, 'resolv.conf');
    const text = formatResolvConf(conf);
    const m = this.mem(uid);
    if (m.resolvConf !== text) {
      await mkdir(dir, { recursive: true });
      await writeFile(file, text);
      m.resolvConf = text;
    }
    return [`${file}:/etc/resolv.conf`];
  }

  private removeByName(name: string): Promise<void> {
    return removeByName(this.d.runtime, name);
  }

  /** Init containers in order, then app containers. Returns true if it started or killed anything. */
  private async syncContainers(pod: Pod, sandbox: ContainerInfo, apps: ContainerInfo[], m: PodMemory, later: (ms: number) => void): Promise<boolean> {
    const policy = pod.spec?.restartPolicy ?? 'Always';
    for (const spec of pod.spec?.initContainers ?? []) {
      const latest = attemptsOf(apps, spec.name)[0];
      if (latest?.state === 'running' || (latest && this.killing.has(latest.id))) return false;
      if (latest && isFinished(latest) && latest.exitCode === 0 && latest.state !== 'created') continue;
      if (latest && isFinished(latest)) {
        if (policy === 'Never') return false;
        if (this.inBackoff(pod, spec, latest, m, later)) return false;
        return this.start(pod, spec, 'init', sandbox, attemptOf(latest.labels) + 1, m, later, apps);
      }
      if (latest) return false; // created, starting
      return this.start(pod, spec, 'init', sandbox, this.nextAttempt(m, spec.name), m, later, apps);
    }
    let acted = false;
    for (const spec of pod.spec?.containers ?? []) {
      const latest = attemptsOf(apps, spec.name)[0];
      if (latest && this.killing.has(latest.id)) continue;
      if (latest?.state === 'running') {
        const failed = this.d.probes.result(spec, latest.id).failed;
        if (failed) {
          this.kill(pod, latest, pod.spec?.terminationGracePeriodSeconds ?? 30, `Container ${spec.name} failed ${failed} probe, will be restarted`);
          acted = true;
        }
        continue;
      }
      if (latest && isFinished(latest)) {
        const restart = policy === 'Always' || (policy === 'OnFailure' && (latest.exitCode !== 0 || latest.state === 'created'));
        if (!restart) continue;
        if (this.inBackoff(pod, spec, latest, m, later)) continue;
        acted = (await this.start(pod, spec, 'app', sandbox, attemptOf(latest.labels) + 1, m, later, apps)) || acted;
        continue;
      }
      if (latest) continue; // created, starting
      const known = m.known.get(spec.name);
      if (known?.existed && policy !== 'Always' && known.lastTerminated && known.lastTerminated.reason !== 'ContainerStatusUnknown') {
        const ok = known.lastTerminated.exitCode === 0;
        if (policy === 'Never' || ok) continue;
      }
      if (known?.existed && this.inBackoffSince(pod, spec, this.clock.now(), m, later)) continue;
      acted = (await this.start(pod, spec, 'app', sandbox, this.nextAttempt(m, spec.name), m, later, apps)) || acted;
    }
    return acted;
  }

  private nextAttempt(m: PodMemory, name: string): number {
    const known = m.known.get(name);
    return known?.existed ? known.restartCount + 1 : 0;
  }

  private inBackoff(pod: Pod, spec: Container, latest: ContainerInfo, m: PodMemory, later: (ms: number) => void): boolean {
    const finishedAt = latest.finishedAt ? Date.parse(latest.finishedAt) : this.clock.now();
    return this.inBackoffSince(pod, spec, finishedAt, m, later);
  }

  /** Upstream's doBackOff: in back-off since the container finished → CrashLoopBackOff; else one more step of back-off and go. */
  private inBackoffSince(pod: Pod, spec: Container, finishedAt: number, m: PodMemory, later: (ms: number) => void): boolean {
    const key = `${pod.metadata?.uid}/${spec.name}`;
    const b = this.d.crashBackoff;
    if (b.isInBackOffSince(key, finishedAt)) {
      const r = podRef(pod);
      const message = `back-off ${goDuration(b.get(key))} restarting failed container=${spec.name} pod=${r.name}_${r.namespace}(${r.uid})`;
      m.waiting.set(spec.name, { reason: 'CrashLoopBackOff', message });
      this.d.event(
        pod,
        'Warning',
        'BackOff',
        `Back-off restarting failed container ${spec.name} in pod ${r.name}_${r.namespace}(${r.uid})`,
        fieldPath(pod, spec),
      );
      later(b.remaining(key, finishedAt));
      return true;
    }
    b.next(key, finishedAt);
    return false;
  }

  private async start(
    pod: Pod,
    spec: Container,
    kind: 'init' | 'app',
    sandbox: ContainerInfo,
    attempt: number,
    m: PodMemory,
    later: (ms: number) => void,
    existing: ContainerInfo[],
  ): Promise<boolean> {
    const r = podRef(pod);
    const fp = fieldPath(pod, spec);
    const image = spec.image ?? '';
    const pulled = await this.d.images.ensure(image, pullPolicy(spec), `${r.uid}/${image}`, (type, reason, message) =>
      this.d.event(pod, type, reason, message, fp),
    );
    if (!pulled.ok) {
      m.waiting.set(spec.name, { reason: pulled.reason, message: pulled.message });
      later(pulled.reason === 'ErrImageNeverPull' ? this.d.resyncMs : 1000);
      return false;
    }
    const podIP = sandbox.ips[this.d.podNetwork];
    let env: string[];
    try {
      env = await buildEnv(pod, spec, { podIP, hostIP: this.d.hostIP, lookup: this.d.lookup });
    } catch (e) {
      const message = (e as Error).message;
      m.waiting.set(spec.name, { reason: e instanceof ConfigError ? e.reason : 'CreateContainerConfigError', message });
      this.d.event(pod, 'Warning', 'Failed', `Error: ${message}`, fp);
      later(2000);
      return false;
    }
    // Keep the newest finished attempt (for logs --previous and lastState), drop older ones.
    for (const old of attemptsOf(existing, spec.name).slice(1)) await this.d.runtime.remove(old.id);
    const name = containerName(spec.name, r, attempt);
    await this.removeByName(name);
    let id: string;
    try {
      id = await this.d.runtime.create({
        name,
        image,
        labels: {
          ...podLabels(r, this.d.nodeName),
          ...this.d.extraLabels,
          [LABEL_TYPE]: TYPE_CONTAINER,
          [LABEL_CONTAINER_NAME]: spec.name,
          [LABEL_RESTART_COUNT]: String(attempt),
          [LABEL_KIND]: kind,
          [LABEL_SANDBOX_ID]: sandbox.id,
        },
        ...buildCommand(spec, env),
        env,
        ...(spec.workingDir ? { workingDir: spec.workingDir } : {}),
        networkMode: `container:${sandbox.id}`,
        binds: await this.podBinds(pod),
        ...buildResources(spec),
        tty: spec.tty ?? false,
        stdin: spec.stdin ?? false,
      });
    } catch (e) {
      const message = (e as Error).message;
      m.waiting.set(spec.name, { reason: 'CreateContainerError', message });
      this.d.event(pod, 'Warning', 'Failed', `Error: ${message}`, fp);
      later(2000);
      return false;
    }
    this.d.event(pod, 'Normal', 'Created', `Created container ${spec.name}`, fp);
    try {
      await this.d.runtime.start(id);
    } catch (e) {
      const message = (e as Error).message;
      this.d.event(pod, 'Warning', 'Failed', `Error: ${message}`, fp);
      later(1000);
      return true;
    }
    this.d.event(pod, 'Normal', 'Started', `Started container ${spec.name}`, fp);
    return true;
  }

  /** Graceful termination: SIGTERM, wait up to the grace period, remove everything, then delete the Pod object. */
  private async terminate(pod: Pod, containers: ContainerInfo[]): Promise<{ requeueAfter?: number }> {
    const grace = gracePeriod(pod);
    for (const c of containers) {
      if (c.state !== 'running' || this.killing.has(c.id)) continue;
      const isSandbox = c.labels[LABEL_TYPE] === TYPE_SANDBOX;
      if (isSandbox && containers.some((a) => a.labels[LABEL_TYPE] === TYPE_CONTAINER && (a.state === 'running' || this.killing.has(a.id)))) continue;
      const name = c.labels[LABEL_CONTAINER_NAME] ?? '';
      this.kill(pod, c, isSandbox ? 0 : grace, isSandbox ? undefined : `Stopping container ${name}`);
    }
    if (containers.some((c) => c.state === 'running' || this.killing.has(c.id))) return { requeueAfter: 500 };
    await this.forget(pod.metadata?.uid ?? '', containers);
    try {
      await this.d.client.delete(
        { version: 'v1', plural: 'pods', namespace: pod.metadata?.namespace, name: pod.metadata?.name },
        {
          gracePeriodSeconds: 0,
          preconditions: { uid: pod.metadata?.uid },
        },
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
    this.d.probes.removePod(uid);
    this.d.crashBackoff.resetPrefix(`${uid}/`);
    if (this.d.rootDir && uid) await rm(join(this.d.rootDir, 'pods', uid), { recursive: true, force: true });
    this.memory.delete(uid);
  }

  /**
   * Containers of Pods that no longer exist (deleted while the kubelet was away, or
   * removed from the API at once): stopped with the last known grace period, then removed.
   */
  async cleanupOrphans(live: Set<string>, lastKnown: (uid: string) => Pod | undefined): Promise<void> {
    const all = await this.d.runtime.list({ 'io.minik8s.node': this.d.nodeName });
    const orphans = new Map<string, ContainerInfo[]>();
    for (const s of all) {
      const uid = s.labels['io.kubernetes.pod.uid'];
      if (!uid || live.has(uid)) continue;
      const info = this.inspected.get(s.id) ?? (await this.d.runtime.inspect(s.id));
      if (!info) continue;
      orphans.set(uid, [...(orphans.get(uid) ?? []), info]);
    }
    for (const [uid, cs] of orphans) {
      const pod = lastKnown(uid);
      const grace = pod ? (pod.spec?.terminationGracePeriodSeconds ?? 30) : 2;
      const running = cs.filter((c) => c.state === 'running');
      if (running.some((c) => this.killing.has(c.id))) continue;
      if (running.length) {
        const p = Promise.all(running.map((c) => this.d.runtime.stop(c.id, c.labels[LABEL_TYPE] === TYPE_SANDBOX ? 0 : grace)))
          .then(() => this.forget(uid, cs))
          .catch((e) => this.d.log.warn({ err: e, uid }, 'could not clean up the containers of a deleted pod'))
          .finally(() => {
            for (const c of running) this.killing.delete(c.id);
          });
        for (const c of running) this.killing.set(c.id, p);
      } else await this.forget(uid, cs);
    }
  }

  private async writeStatus(pod: Pod, m: PodMemory, status: PodStatus): Promise<void> {
    const next = normal(status);
    if (isDeepStrictEqual(next, normal(pod.status)) || (m.lastWritten && isDeepStrictEqual(next, normal(m.lastWritten)))) return;
    try {
      await this.d.client.patch(
        { version: 'v1', plural: 'pods', namespace: pod.metadata?.namespace, name: pod.metadata?.name, subresource: 'status' },
        { metadata: { uid: pod.metadata?.uid }, status },
        { type: 'merge' },
      );
      m.lastWritten = status;
    } catch (e) {
      if (isNotFound(e)) return;
      throw e;
    }
  }
}

function fieldPath(pod: Pod, spec: Container): string {
  const init = (pod.spec?.initContainers ?? []).some((c) => c.name === spec.name);
  return `spec.${init ? 'initContainers' : 'containers'}{${spec.name}}`;
}
