/**
 * Carries out a plan from pod-actions.ts against the container runtime, in upstream
 * SyncPod's order: stop what must go (in the background; the Pod is synced again when a
 * container has stopped), create the sandbox, then create and start containers, with
 * upstream's events. What goes wrong becomes a waiting reason in the Pod's memory
 * (ErrImagePull, CreateContainerConfigError, ...) and a retry delay; nothing is decided
 * here that the plan could have decided.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { formatResolvConf, type Pod } from '@minik8s/api';
import { type Clock, type KubeClient, objectKey, realClock } from '@minik8s/client/kube';
import type { Logger } from 'pino';
import type { Backoff } from './backoff.ts';
import { buildCommand, buildEnv, buildResources, ConfigError, type KeyLookup } from './container-config.ts';
import { type DnsSettings, podResolvConf } from './dns-config.ts';
import { type LifecycleHandler, runHook } from './hooks.ts';
import { type ImagePuller, pullPolicy } from './images.ts';
import { type ContainerToKill, type ContainerToStart, fieldPath, isSidecar, MINIMUM_GRACE_PERIOD_SECONDS, type SyncActions } from './pod-actions.ts';
import type { ProbeManager } from './probes.ts';
import {
  containerName,
  LABEL_CONTAINER_NAME,
  LABEL_KIND,
  LABEL_RESTART_COUNT,
  LABEL_SANDBOX_ID,
  LABEL_TYPE,
  podLabels,
  podRef,
  TYPE_CONTAINER,
} from './runtime/labels.ts';
import type { ContainerInfo, ContainerRuntime, CreateContainerSpec } from './runtime/runtime.ts';
import { AddressPool, createSandbox, removeByName } from './sandbox.ts';
import { attemptsOf, type Waiting } from './status.ts';

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

/** What the executor keeps per Pod between syncs. */
export interface ExecutionMemory {
  /** Why a container is waiting, from this sync (CrashLoopBackOff, ErrImagePull, ...). */
  waiting: Map<string, Waiting>;
  /** The resolv.conf written for the Pod (written again only when it changes). */
  resolvConf?: string;
}

export interface ExecutionResult {
  /** The sandbox the containers run in, if there is one now. */
  sandbox?: ContainerInfo;
  /** Something was started or stopped: what the runtime shows has changed. */
  acted: boolean;
  /** Something should be tried again after this long (ms). */
  retryAfter?: number;
}

export class PodExecutor {
  /** Containers being stopped in the background, by id. */
  readonly killing = new Map<string, Promise<void>>();
  private readonly addresses?: AddressPool;

  constructor(private readonly d: PodWorkerDeps) {
    if (d.podCidr) this.addresses = new AddressPool(d.podCidr, () => d.runtime.networkAddresses(d.podNetwork));
  }

  /** Stops a container in the background (its preStop hook first); the Pod is synced again when it has stopped. */
  kill(pod: Pod, c: ContainerInfo, grace: number, message?: string): void {
    if (this.killing.has(c.id)) return;
    const p = this.stopContainer(pod, c, grace, message)
      .catch((e) => this.d.log.warn({ err: e, container: c.name }, 'could not stop a container'))
      .finally(() => {
        this.killing.delete(c.id);
        this.d.requeue(objectKey(pod as { metadata: { namespace?: string; name?: string } }));
      });
    this.killing.set(c.id, p);
  }

  /**
   * Upstream's killContainer: the `Killing` event, the preStop hook (it counts against
   * the grace period; a failure is a `FailedPreStopHook` event), then SIGTERM and SIGKILL
   * after what is left of the grace period, at least 2 s once a hook ran.
   */
  private async stopContainer(pod: Pod, c: ContainerInfo, grace: number, message?: string): Promise<void> {
    const name = c.labels[LABEL_CONTAINER_NAME] ?? '';
    const spec = [...(pod.spec?.containers ?? []), ...(pod.spec?.initContainers ?? [])].find((s) => s.name === name);
    const fp = spec ? fieldPath(pod, spec) : `spec.containers{${name}}`;
    if (message !== undefined) this.d.event(pod, 'Normal', 'Killing', message, fp);
    const preStop = spec?.lifecycle?.preStop;
    if (spec && preStop && grace > 0 && c.state === 'running') {
      const clock = this.d.clock ?? realClock;
      const started = clock.now();
      const r = await this.runHook(pod, spec, c, preStop, pod.status?.podIP, grace * 1000);
      if (!r.ok) this.d.event(pod, 'Warning', 'FailedPreStopHook', r.message, fp);
      grace = Math.max(MINIMUM_GRACE_PERIOD_SECONDS, grace - Math.floor((clock.now() - started) / 1000));
    }
    await this.d.runtime.stop(c.id, grace);
  }

  private runHook(pod: Pod, spec: Parameters<typeof fieldPath>[1], c: ContainerInfo, handler: LifecycleHandler, podIP: string | undefined, timeoutMs?: number) {
    const clock = this.d.clock ?? realClock;
    return runHook(handler, {
      runtime: this.d.runtime,
      pod,
      container: spec,
      containerId: c.id,
      podIP,
      timeoutMs,
      sleep: (ms) => new Promise<void>((resolve) => clock.setTimeout(resolve, ms)),
    });
  }

  killAll(pod: Pod, kills: ContainerToKill[]): void {
    for (const k of kills) this.kill(pod, k.container, k.graceSeconds, k.message);
  }

  /** Stops containers of a Pod that is gone, then runs `then` (removing them). */
  stopThen(stop: Array<{ container: ContainerInfo; graceSeconds: number }>, then: () => Promise<void>, onError: (e: unknown) => void): void {
    const p = Promise.all(stop.map((s) => this.d.runtime.stop(s.container.id, s.graceSeconds)))
      .then(then)
      .catch(onError)
      .finally(() => {
        for (const s of stop) this.killing.delete(s.container.id);
      });
    for (const s of stop) this.killing.set(s.container.id, p);
  }

  /** Waits for background kills (shutdown, tests). */
  async drain(): Promise<void> {
    await Promise.all([...this.killing.values()]);
  }

  /** Carries out a Sync plan; `existing` is every container of the Pod the plan was made from. */
  async execute(pod: Pod, plan: SyncActions, mem: ExecutionMemory, existing: ContainerInfo[]): Promise<ExecutionResult> {
    let retryAfter: number | undefined;
    const later = (ms: number) => {
      retryAfter = Math.min(retryAfter ?? ms, ms);
    };
    this.killAll(pod, plan.kill);
    let sandbox = plan.sandbox;
    if (plan.createSandbox) {
      for (const s of plan.createSandbox.remove) await this.d.runtime.remove(s.id);
      try {
        sandbox = await createSandbox({ ...this.d, addresses: this.addresses, binds: await this.podBinds(pod, mem) }, pod, plan.createSandbox.attempt);
      } catch (e) {
        this.d.event(pod, 'Warning', 'FailedCreatePodSandBox', `Failed to create pod sandbox: ${(e as Error).message}`);
        this.d.log.warn({ pod: objectKey(pod as never), err: e }, 'could not create the pod sandbox');
        later(2000);
      }
    }
    if (!sandbox) return { acted: false, retryAfter };
    for (const w of plan.backOff) {
      mem.waiting.set(w.name, w.waiting);
      this.d.event(pod, 'Warning', 'BackOff', w.event, w.fieldPath);
      later(w.retryAfter);
    }
    let acted = plan.kill.length > 0;
    for (const step of plan.start) {
      if (step.backoffStep) this.d.crashBackoff.next(step.backoffStep.key, step.backoffStep.since);
      acted = (await this.start(pod, step, { sandbox, mem, existing, later })) || acted;
    }
    return { sandbox, acted, retryAfter };
  }

  /** Files every container of the Pod mounts: its resolv.conf (written when it changes). */
  private async podBinds(pod: Pod, mem: ExecutionMemory): Promise<string[]> {
    if (!this.d.rootDir || !this.d.dns) return [];
    const conf = podResolvConf(pod, this.d.dns);
    if (!conf) return [];
    const dir = join(this.d.rootDir, 'pods', pod.metadata?.uid ?? '');
    const file = join(dir, 'resolv.conf');
    const text = formatResolvConf(conf);
    if (mem.resolvConf !== text) {
      await mkdir(dir, { recursive: true });
      await writeFile(file, text);
      mem.resolvConf = text;
    }
    return [`${file}:/etc/resolv.conf`];
  }

  /** Pulls the image, builds the config, creates and starts one container. True if a container was created. */
  private async start(
    pod: Pod,
    step: ContainerToStart,
    ctx: { sandbox: ContainerInfo; mem: ExecutionMemory; existing: ContainerInfo[]; later(ms: number): void },
  ): Promise<boolean> {
    const { spec } = step;
    const r = podRef(pod);
    const fp = fieldPath(pod, spec);
    const failed = (reason: string | undefined, message: string, retryMs: number) => {
      if (reason) ctx.mem.waiting.set(spec.name, { reason, message });
      this.d.event(pod, 'Warning', 'Failed', `Error: ${message}`, fp);
      ctx.later(retryMs);
    };
    const image = spec.image ?? '';
    const pulled = await this.d.images.ensure(image, pullPolicy(spec), `${r.uid}/${image}`, (type, reason, message) =>
      this.d.event(pod, type, reason, message, fp),
    );
    if (!pulled.ok) {
      ctx.mem.waiting.set(spec.name, { reason: pulled.reason, message: pulled.message });
      ctx.later(pulled.reason === 'ErrImageNeverPull' ? this.d.resyncMs : 1000);
      return false;
    }
    let env: string[];
    try {
      env = await buildEnv(pod, spec, { podIP: ctx.sandbox.ips[this.d.podNetwork], hostIP: this.d.hostIP, lookup: this.d.lookup });
    } catch (e) {
      failed(e instanceof ConfigError ? e.reason : 'CreateContainerConfigError', (e as Error).message, 2000);
      return false;
    }
    // Keep the newest finished attempt (for logs --previous and lastState), drop older ones.
    for (const old of attemptsOf(ctx.existing, spec.name).slice(1)) await this.d.runtime.remove(old.id);
    const name = containerName(spec.name, r, step.attempt);
    await removeByName(this.d.runtime, name);
    let id: string;
    try {
      id = await this.d.runtime.create(await this.containerSpec(pod, step, { name, env, sandbox: ctx.sandbox, mem: ctx.mem }));
    } catch (e) {
      failed('CreateContainerError', (e as Error).message, 2000);
      return false;
    }
    this.d.event(pod, 'Normal', 'Created', `Created container ${spec.name}`, fp);
    try {
      await this.d.runtime.start(id);
    } catch (e) {
      failed(undefined, (e as Error).message, 1000);
      return true;
    }
    this.d.event(pod, 'Normal', 'Started', `Started container ${spec.name}`, fp);
    const postStart = spec.lifecycle?.postStart;
    if (postStart) {
      // The sync waits for the hook: the container is not Running (nor the next init container started) before it is done.
      const info = (await this.d.runtime.inspect(id)) ?? ({ id, state: 'running', labels: { [LABEL_CONTAINER_NAME]: spec.name } } as unknown as ContainerInfo);
      const r = await this.runHook(pod, spec, info, postStart, ctx.sandbox.ips[this.d.podNetwork]);
      if (!r.ok) {
        this.d.event(pod, 'Warning', 'FailedPostStartHook', r.message, fp);
        await this.stopContainer(pod, info, pod.spec?.terminationGracePeriodSeconds ?? 30, 'FailedPostStartHook').catch((e) =>
          this.d.log.warn({ err: e, container: name }, 'could not stop a container whose postStart hook failed'),
        );
        // It waits to run again (upstream's ErrPostStartHook), unless nothing will restart it.
        if (isSidecar(spec) || (pod.spec?.restartPolicy ?? 'Always') !== 'Never')
          ctx.mem.waiting.set(spec.name, { reason: 'PostStartHookError', message: r.message });
        ctx.later(1000);
      }
    }
    return true;
  }

  private async containerSpec(
    pod: Pod,
    step: ContainerToStart,
    o: { name: string; env: string[]; sandbox: ContainerInfo; mem: ExecutionMemory },
  ): Promise<CreateContainerSpec> {
    const { spec } = step;
    return {
      name: o.name,
      image: spec.image ?? '',
      labels: {
        ...podLabels(podRef(pod), this.d.nodeName),
        ...this.d.extraLabels,
        [LABEL_TYPE]: TYPE_CONTAINER,
        [LABEL_CONTAINER_NAME]: spec.name,
        [LABEL_RESTART_COUNT]: String(step.attempt),
        [LABEL_KIND]: step.kind,
        [LABEL_SANDBOX_ID]: o.sandbox.id,
      },
      ...buildCommand(spec, o.env),
      env: o.env,
      ...(spec.workingDir ? { workingDir: spec.workingDir } : {}),
      networkMode: `container:${o.sandbox.id}`,
      binds: await this.podBinds(pod, o.mem),
      ...buildResources(spec),
      tty: spec.tty ?? false,
      stdin: spec.stdin ?? false,
    };
  }
}
