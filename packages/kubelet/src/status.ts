/**
 * A Pod's status from what the runtime shows, as the kubelet's generateAPIPodStatus
 * does it: container statuses (state, last state, restart count, ready, started), the
 * phase (upstream's getPhase), and the conditions (lastTransitionTime kept while a
 * condition does not change). Pure: everything it needs comes in.
 */
import type { Container, ContainerState, ContainerStatus, Pod, PodCondition, PodStatus } from '@minik8s/api';
import { setCondition } from '@minik8s/api';
import { attemptOf, LABEL_CONTAINER_NAME } from './runtime/labels.ts';
import type { ContainerInfo } from './runtime/runtime.ts';

type Terminated = NonNullable<ContainerState['terminated']>;

export interface Waiting {
  reason: string;
  message?: string;
}

/** What the kubelet remembers of a container whose Docker container may be gone. */
export interface KnownContainer {
  restartCount: number;
  lastTerminated?: Terminated;
}

export interface StatusInput {
  pod: Pod;
  /** Every non-sandbox container of the Pod, any attempt. */
  containers: ContainerInfo[];
  sandboxRunning: boolean;
  podIP?: string;
  hostIP?: string;
  /** Why a container is waiting, from the last sync (CrashLoopBackOff, ErrImagePull, ...). */
  waiting: Map<string, Waiting>;
  /** Probe results for a running container. */
  probe(containerId: string): { ready: boolean; started: boolean };
  known: Map<string, KnownContainer>;
  /** RFC 3339. */
  now: string;
}

export const DOCKER_PREFIX = 'docker://';

/** The containers of one name, newest attempt first. */
export function attemptsOf(containers: ContainerInfo[], name: string): ContainerInfo[] {
  return containers.filter((c) => c.labels[LABEL_CONTAINER_NAME] === name).sort((a, b) => attemptOf(b.labels) - attemptOf(a.labels));
}

/** A container that ran (or failed to start) and is over. */
export function isFinished(c: ContainerInfo): boolean {
  return c.state === 'exited' || c.state === 'dead' || (c.state === 'created' && !!c.error);
}

export function terminatedState(c: ContainerInfo): Terminated {
  const started = c.state === 'created' ? undefined : c.startedAt;
  const reason = c.oomKilled ? 'OOMKilled' : c.state === 'created' ? 'StartError' : c.exitCode === 0 ? 'Completed' : 'Error';
  return {
    exitCode: c.exitCode,
    reason,
    ...(c.error ? { message: c.error } : {}),
    ...(started ? { startedAt: started } : {}),
    ...(c.finishedAt ? { finishedAt: c.finishedAt } : {}),
    containerID: DOCKER_PREFIX + c.id,
  };
}

function containerStatus(input: StatusInput, spec: Container, defaultWaiting: string): ContainerStatus {
  const all = attemptsOf(input.containers, spec.name);
  const latest = all[0];
  const previous = all[1];
  const known = input.known.get(spec.name);
  const waiting = input.waiting.get(spec.name);
  const base = { name: spec.name, image: spec.image ?? '', imageID: '' };
  if (!latest) {
    return {
      ...base,
      state: { waiting: { reason: waiting?.reason ?? defaultWaiting, ...(waiting?.message ? { message: waiting.message } : {}) } },
      lastState: known?.lastTerminated ? { terminated: known.lastTerminated } : {},
      ready: false,
      restartCount: known?.restartCount ?? 0,
      started: false,
    };
  }
  const restartCount = attemptOf(latest.labels);
  const ids = { imageID: latest.imageId ? DOCKER_PREFIX + latest.imageId : '', containerID: DOCKER_PREFIX + latest.id };
  const prevTerminated = previous && isFinished(previous) ? terminatedState(previous) : undefined;
  if (latest.state === 'running' || latest.state === 'paused' || latest.state === 'restarting') {
    const p = input.probe(latest.id);
    return {
      ...base,
      ...ids,
      state: { running: { startedAt: latest.startedAt ?? input.now } },
      lastState: prevTerminated ? { terminated: prevTerminated } : {},
      ready: p.ready,
      restartCount,
      started: p.started,
    };
  }
  if (isFinished(latest)) {
    const t = terminatedState(latest);
    if (waiting) {
      // Waiting to run again (CrashLoopBackOff, an image back-off): the last run is the last state.
      return {
        ...base,
        ...ids,
        state: { waiting: { reason: waiting.reason, ...(waiting.message ? { message: waiting.message } : {}) } },
        lastState: { terminated: t },
        ready: false,
        restartCount,
        started: false,
      };
    }
    return {
      ...base,
      ...ids,
      state: { terminated: t },
      lastState: prevTerminated ? { terminated: prevTerminated } : {},
      ready: false,
      restartCount,
      started: false,
    };
  }
  // Created, not started yet.
  return {
    ...base,
    ...ids,
    state: { waiting: { reason: waiting?.reason ?? 'ContainerCreating', ...(waiting?.message ? { message: waiting.message } : {}) } },
    lastState: prevTerminated ? { terminated: prevTerminated } : {},
    ready: false,
    restartCount,
    started: false,
  };
}

const isSidecar = (c: Container) => c.restartPolicy === 'Always';

/**
 * Upstream's getPhase. Sidecars (init containers with `restartPolicy: Always`) count as
 * running containers while they run and hold the Pod Pending until they have started;
 * once they have stopped they are ignored, so a Job's Pod succeeds on its app containers.
 */
export function podPhase(pod: Pod, init: ContainerStatus[], app: ContainerStatus[]): NonNullable<PodStatus['phase']> {
  const policy = pod.spec?.restartPolicy ?? 'Always';
  const sidecars = new Set((pod.spec?.initContainers ?? []).filter(isSidecar).map((c) => c.name));
  let pendingInit = 0;
  let pendingSidecars = 0;
  let failedInit = 0;
  let unknown = 0;
  let running = 0;
  let waiting = 0;
  let stopped = 0;
  let succeeded = 0;
  for (const s of init) {
    if (sidecars.has(s.name)) {
      if (s.state?.running) {
        if (!s.started) pendingSidecars++;
        running++;
      } else if (s.state?.waiting && !s.lastState?.terminated) pendingSidecars++;
      else if (!s.state?.terminated && !s.state?.waiting) pendingSidecars++;
      continue;
    }
    if (s.state?.running) pendingInit++;
    else if (s.state?.terminated) {
      if (s.state.terminated.exitCode !== 0) failedInit++;
    } else if (s.state?.waiting && s.lastState?.terminated) {
      if (s.lastState.terminated.exitCode !== 0) failedInit++;
    } else pendingInit++;
  }
  for (const s of app) {
    if (s.state?.running) running++;
    else if (s.state?.terminated) {
      stopped++;
      if (s.state.terminated.exitCode === 0) succeeded++;
    } else if (s.state?.waiting) {
      if (s.lastState?.terminated) stopped++;
      else waiting++;
    } else unknown++;
  }
  // Initialised once an app container has run (a sidecar restarting later does not make the Pod Pending again).
  const initialized = app.some((s) => s.state?.running || s.state?.terminated || s.lastState?.terminated);
  if (failedInit > 0 && policy === 'Never') return 'Failed';
  if (pendingInit > 0 || failedInit > 0 || (pendingSidecars > 0 && !initialized)) return 'Pending';
  if (waiting > 0) return 'Pending';
  if (running > 0 && unknown === 0) return 'Running';
  if (running === 0 && stopped > 0 && unknown === 0) {
    if (policy === 'Always') return 'Running';
    if (stopped === succeeded) return 'Succeeded';
    if (policy === 'Never') return 'Failed';
    return 'Running';
  }
  return 'Pending';
}

/** Init containers not done yet: a regular one until it exited 0, a sidecar until it has started. */
function initialized(specs: Container[], init: ContainerStatus[]): string[] {
  return init
    .filter((s, i) => {
      const spec = specs[i];
      if (spec && isSidecar(spec)) return !s.started;
      return !(s.state?.terminated && s.state.terminated.exitCode === 0);
    })
    .map((s) => s.name);
}

/** The whole status the kubelet writes for `input.pod`. */
export function computePodStatus(input: StatusInput): PodStatus {
  const { pod } = input;
  const old = pod.status ?? {};
  const initSpecs = pod.spec?.initContainers ?? [];
  const initStatuses = initSpecs.map((c) => containerStatus(input, c, 'PodInitializing'));
  const notInitialized = initialized(initSpecs, initStatuses);
  const appStatuses = (pod.spec?.containers ?? []).map((c) => containerStatus(input, c, notInitialized.length ? 'PodInitializing' : 'ContainerCreating'));
  let phase = podPhase(pod, initStatuses, appStatuses);
  // A Pod that has finished stays finished.
  if (old.phase === 'Succeeded' || old.phase === 'Failed') phase = old.phase;

  // Conditions others own (DisruptionTarget, readiness gates) are kept, as upstream's mergePodStatus does.
  const conditions: PodCondition[] = structuredClone(old.conditions ?? []);
  const now = input.now;
  const cond = (type: string, ok: boolean, reason?: string, message?: string) =>
    setCondition(conditions, { type, status: ok ? 'True' : 'False', ...(reason ? { reason } : {}), ...(message ? { message } : {}) }, now);
  cond('PodReadyToStartContainers', input.sandboxRunning);
  const completed = phase === 'Succeeded';
  if (completed) cond('Initialized', true, 'PodCompleted');
  else if (notInitialized.length && old.phase !== 'Running') {
    cond('Initialized', false, 'ContainersNotInitialized', `containers with incomplete status: [${notInitialized.join(' ')}]`);
  } else cond('Initialized', true);
  // Sidecars count in readiness, before the app containers (upstream's order).
  const sidecarStatuses = initStatuses.filter((_, i) => isSidecar(initSpecs[i]!));
  const unready = [...sidecarStatuses, ...appStatuses].filter((s) => !s.ready).map((s) => s.name);
  if (completed) {
    cond('Ready', false, 'PodCompleted');
    cond('ContainersReady', false, 'PodCompleted');
  } else if (unready.length) {
    const msg = `containers with unready status: [${unready.join(' ')}]`;
    cond('Ready', false, 'ContainersNotReady', msg);
    cond('ContainersReady', false, 'ContainersNotReady', msg);
  } else {
    cond('Ready', true);
    cond('ContainersReady', true);
  }
  if (!conditions.some((c) => c.type === 'PodScheduled')) cond('PodScheduled', true);
  conditions.sort((a, b) => order(a.type) - order(b.type));

  const podIP = input.podIP ?? old.podIP;
  const status: PodStatus = {
    ...old,
    phase,
    conditions,
    ...(input.hostIP ? { hostIP: input.hostIP, hostIPs: [{ ip: input.hostIP }] } : {}),
    ...(podIP ? { podIP, podIPs: [{ ip: podIP }] } : {}),
    startTime: old.startTime ?? now,
    containerStatuses: appStatuses,
  };
  if (initStatuses.length) status.initContainerStatuses = initStatuses;
  else delete status.initContainerStatuses;
  if (!status.qosClass) status.qosClass = qosClass(pod);
  return status;
}

const CONDITION_ORDER = ['PodReadyToStartContainers', 'Initialized', 'Ready', 'ContainersReady', 'PodScheduled'];

function order(type: string): number {
  const i = CONDITION_ORDER.indexOf(type);
  return i < 0 ? CONDITION_ORDER.length : i;
}

/** Upstream's QoS class: Guaranteed (limits = requests for cpu and memory everywhere), BestEffort (none), else Burstable. */
export function qosClass(pod: Pod): 'Guaranteed' | 'Burstable' | 'BestEffort' {
  const cs = [...(pod.spec?.containers ?? []), ...(pod.spec?.initContainers ?? [])];
  let any = false;
  let guaranteed = true;
  for (const c of cs) {
    const l = c.resources?.limits ?? {};
    const r = c.resources?.requests ?? {};
    for (const res of ['cpu', 'memory']) {
      if (l[res] !== undefined || r[res] !== undefined) any = true;
      if (l[res] === undefined || (r[res] !== undefined && String(r[res]) !== String(l[res]))) guaranteed = false;
    }
  }
  if (!any) return 'BestEffort';
  return guaranteed ? 'Guaranteed' : 'Burstable';
}
