/**
 * What one sync of a Pod should do, decided without touching anything: upstream's
 * computePodActions (pkg/kubelet/kuberuntime/kuberuntime_manager.go). From the spec and
 * what the runtime shows it says which containers to stop and why, whether a sandbox
 * must be (re)created, the next init container, the app containers to (re)start under
 * restartPolicy, and those held back by crash-loop back-off. Time, back-off and probe
 * results come in as a read-only view, so the plan is a function of its inputs.
 * pod-executor.ts carries a plan out.
 */
import type { Container, Pod, PodStatus } from '@minik8s/api';
import { goDuration } from './internal/go-duration.ts';
import { attemptOf, LABEL_CONTAINER_NAME, LABEL_TYPE, podRef, TYPE_CONTAINER, TYPE_SANDBOX } from './runtime/labels.ts';
import type { ContainerInfo } from './runtime/runtime.ts';
import { attemptsOf, isFinished, type KnownContainer, type Waiting } from './status.ts';

/** What the kubelet remembers of a container by name (`existed`: it ran at least once). */
export type RememberedContainer = KnownContainer & { existed: boolean };

/** The Pod as the runtime shows it. */
export interface PodRuntimeState {
  /** Its sandboxes, newest attempt first. */
  sandboxes: ContainerInfo[];
  /** Its init and app containers, every attempt. */
  containers: ContainerInfo[];
  /** Containers being stopped in the background. */
  killing: { has(id: string): boolean };
  /** Restart counts and last states of containers Docker may have lost, by container name. */
  known: ReadonlyMap<string, RememberedContainer>;
}

/** The read-only part of the crash-loop back-off the plan needs (a `Backoff` is one). */
export interface CrashBackoffView {
  isInBackOffSince(key: string, eventTime: number): boolean;
  remaining(key: string, since: number): number;
  get(key: string): number;
}

export interface PlanView {
  /** Milliseconds since the epoch. */
  now: number;
  crashBackoff: CrashBackoffView;
  /** The probe verdict on a running container (`started` false: its startup probe has not succeeded yet). */
  probe(spec: Container, containerId: string): { started?: boolean; failed?: 'liveness' | 'startup' };
}

export type KillReason = 'PodDeleted' | 'PodFinished' | 'SandboxGone' | 'LivenessProbe' | 'StartupProbe' | 'DefinitionChanged';

export interface ContainerToKill {
  container: ContainerInfo;
  graceSeconds: number;
  reason: KillReason;
  /** The `Killing` event's message; none: no event. */
  message?: string;
}

export type StartReason = 'FirstStart' | 'RestartPolicy' | 'Recreate';

export interface ContainerToStart {
  spec: Container;
  kind: 'init' | 'app';
  /** The attempt it is created for (its restart count). */
  attempt: number;
  reason: StartReason;
  /** Take one more step of crash-loop back-off for `key` first (upstream's doBackOff), counted from `since`. */
  backoffStep?: { key: string; since: number };
}

/** A container held back by crash-loop back-off: it waits with CrashLoopBackOff. */
export interface CrashLoopWait {
  name: string;
  fieldPath: string;
  waiting: Waiting;
  /** The `BackOff` event's message. */
  event: string;
  /** Sync again after this long (ms). */
  retryAfter: number;
}

/** A Pod being deleted: stop what runs; once nothing does, remove it all and delete the object. */
export interface TerminateActions {
  type: 'Terminate';
  kill: ContainerToKill[];
  done: boolean;
}

/** The sandbox is gone: the app containers of the old one stop first; come back after `requeueAfter`. */
export interface StopForNewSandboxActions {
  type: 'StopForNewSandbox';
  kill: ContainerToKill[];
  requeueAfter: number;
}

export interface SyncActions {
  type: 'Sync';
  kill: ContainerToKill[];
  /** Create a sandbox for this attempt after removing the old ones; the containers join it. */
  createSandbox?: { attempt: number; remove: ContainerInfo[] };
  /** The running sandbox; absent when there is none or the Pod has finished. */
  sandbox?: ContainerInfo;
  /** In order: at most one init container, or app containers. */
  start: ContainerToStart[];
  backOff: CrashLoopWait[];
}

export type PodActions = TerminateActions | StopForNewSandboxActions | SyncActions;

/** Upstream's minimumGracePeriodInSeconds: what a container of a Pod nobody remembers gets. */
export const MINIMUM_GRACE_PERIOD_SECONDS = 2;

/** What to do with the containers of a Pod that no longer exists. */
export interface OrphanActions {
  uid: string;
  /** Every container it left; removed once `stop` is done (at once if it is empty). */
  containers: ContainerInfo[];
  stop: Array<{ container: ContainerInfo; graceSeconds: number }>;
}

/**
 * Containers of Pods that are gone (deleted while the kubelet was away, or removed from
 * the API at once): running ones stop with the last known grace period (the sandbox at
 * once), then everything is removed. Pods with a container already being stopped wait.
 */
export function computeOrphanActions(
  orphans: ReadonlyMap<string, ContainerInfo[]>,
  lastKnown: (uid: string) => Pod | undefined,
  killing: { has(id: string): boolean },
): OrphanActions[] {
  const out: OrphanActions[] = [];
  for (const [uid, containers] of orphans) {
    const running = containers.filter((c) => c.state === 'running');
    if (running.some((c) => killing.has(c.id))) continue;
    const pod = lastKnown(uid);
    const grace = pod ? (pod.spec?.terminationGracePeriodSeconds ?? 30) : MINIMUM_GRACE_PERIOD_SECONDS;
    const stop = running.map((container) => ({ container, graceSeconds: container.labels[LABEL_TYPE] === TYPE_SANDBOX ? 0 : grace }));
    out.push({ uid, containers, stop });
  }
  return out;
}

/** Upstream waits this long before looking again at a Pod whose old containers are stopping. */
export const STOPPING_REQUEUE_MS = 200;

export function gracePeriod(pod: Pod): number {
  return pod.metadata?.deletionGracePeriodSeconds ?? pod.spec?.terminationGracePeriodSeconds ?? 30;
}

/** Sandboxes (newest attempt first) and the other containers of a Pod, from everything it has. */
export function splitContainers(all: ContainerInfo[]): { sandboxes: ContainerInfo[]; containers: ContainerInfo[] } {
  return {
    sandboxes: all.filter((c) => c.labels[LABEL_TYPE] === TYPE_SANDBOX).sort((a, b) => attemptOf(b.labels) - attemptOf(a.labels)),
    containers: all.filter((c) => c.labels[LABEL_TYPE] === TYPE_CONTAINER),
  };
}

/** A native sidecar: an init container with `restartPolicy: Always` (1.28+). */
export function isSidecar(spec: Container): boolean {
  return spec.restartPolicy === 'Always';
}

/** The sidecars of a Pod, in spec order. */
export function sidecarsOf(pod: Pod): Container[] {
  return (pod.spec?.initContainers ?? []).filter(isSidecar);
}

export function fieldPath(pod: Pod, spec: Container): string {
  const init = (pod.spec?.initContainers ?? []).some((c) => c.name === spec.name);
  return `spec.${init ? 'initContainers' : 'containers'}{${spec.name}}`;
}

/** The plan for one sync of `pod`. */
export function computePodActions(pod: Pod, state: PodRuntimeState, view: PlanView): PodActions {
  if (pod.metadata?.deletionTimestamp) return computeTerminateActions(pod, state, view.now);
  const running = (c: ContainerInfo) => c.state === 'running';
  const stopping = (cs: ContainerInfo[], reason: KillReason) =>
    cs.filter((c) => running(c) && !state.killing.has(c.id)).map((container) => ({ container, graceSeconds: gracePeriod(pod), reason }));
  const phase = pod.status?.phase;
  if (phase === 'Succeeded' || phase === 'Failed') {
    return { type: 'Sync', kill: stopping([...state.containers, ...state.sandboxes], 'PodFinished'), start: [], backOff: [] };
  }
  const sandbox = state.sandboxes.find(running);
  if (sandbox) return { type: 'Sync', sandbox, ...computeContainerActions(pod, state, view) };
  if (wouldBeFinished(pod, state.containers)) return { type: 'Sync', kill: [], start: [], backOff: [] };
  // A new sandbox: whatever ran in the old network namespace goes with it.
  if (state.containers.some((c) => running(c) || state.killing.has(c.id))) {
    return { type: 'StopForNewSandbox', kill: stopping(state.containers, 'SandboxGone'), requeueAfter: STOPPING_REQUEUE_MS };
  }
  const newest = state.sandboxes[0];
  const attempt = newest ? attemptOf(newest.labels) + 1 : 0;
  return { type: 'Sync', createSandbox: { attempt, remove: state.sandboxes }, ...computeContainerActions(pod, state, view) };
}

/**
 * Graceful termination, in upstream's order: the app containers first (each with the
 * grace period), then the sidecars one at a time in reverse order, each once those after
 * it have stopped, with what is left of the grace period (at least 2 s); the sandbox
 * last, at once.
 */
export function computeTerminateActions(pod: Pod, state: PodRuntimeState, now?: number): TerminateActions {
  const alive = (c: ContainerInfo) => c.state === 'running' || state.killing.has(c.id);
  const sidecarNames = new Set(sidecarsOf(pod).map((s) => s.name));
  const isApp = (c: ContainerInfo) => !sidecarNames.has(c.labels[LABEL_CONTAINER_NAME] ?? '');
  const kill: ContainerToKill[] = [];
  const stop = (container: ContainerInfo, graceSeconds: number) => {
    if (container.state !== 'running' || state.killing.has(container.id)) return;
    const name = container.labels[LABEL_CONTAINER_NAME] ?? '';
    kill.push({ container, graceSeconds, reason: 'PodDeleted', message: `Stopping container ${name}` });
  };
  const apps = state.containers.filter(isApp);
  for (const container of apps) stop(container, gracePeriod(pod));
  if (!apps.some(alive)) {
    const sidecars = sidecarsOf(pod).reverse();
    for (const s of sidecars) {
      const running = attemptsOf(state.containers, s.name).filter(alive);
      if (!running.length) continue;
      for (const c of running) stop(c, remainingGrace(pod, now));
      break;
    }
  }
  if (!state.containers.some(alive)) {
    for (const container of state.sandboxes) {
      if (container.state === 'running' && !state.killing.has(container.id)) kill.push({ container, graceSeconds: 0, reason: 'PodDeleted' });
    }
  }
  return { type: 'Terminate', kill, done: ![...state.containers, ...state.sandboxes].some(alive) };
}

/** What is left of a deleted Pod's grace period (its deletionTimestamp is when it ends), at least upstream's minimum. */
export function remainingGrace(pod: Pod, now: number | undefined): number {
  const end = pod.metadata?.deletionTimestamp ? Date.parse(pod.metadata.deletionTimestamp) : Number.NaN;
  if (now === undefined || Number.isNaN(end)) return gracePeriod(pod);
  return Math.max(MINIMUM_GRACE_PERIOD_SECONDS, Math.min(gracePeriod(pod), Math.floor((end - now) / 1000)));
}

/** A Pod whose status has just turned Succeeded or Failed stops its sandbox at once: nothing of it runs any more. */
export function sandboxToStop(status: PodStatus, sandbox: ContainerInfo | undefined): ContainerToKill | undefined {
  if (!sandbox || (status.phase !== 'Succeeded' && status.phase !== 'Failed')) return undefined;
  return { container: sandbox, graceSeconds: 0, reason: 'PodFinished' };
}

/** Under restartPolicy Never/OnFailure, a Pod whose containers all finished needs no new sandbox. */
export function wouldBeFinished(pod: Pod, containers: ContainerInfo[]): boolean {
  const policy = pod.spec?.restartPolicy ?? 'Always';
  if (policy === 'Always') return false;
  const specs = pod.spec?.containers ?? [];
  if (specs.length === 0) return false;
  return specs.every((s) => {
    const latest = attemptsOf(containers, s.name)[0];
    return latest && isFinished(latest) && (policy === 'Never' || latest.exitCode === 0);
  });
}

type ContainerActions = Pick<SyncActions, 'kill' | 'start' | 'backOff'>;

/**
 * Init containers one at a time and in order, then the app containers. Sidecars (init
 * containers with `restartPolicy: Always`) start in the init order, let the next one
 * start once they have started (startup probe), and are kept running, restarted with
 * back-off whatever the Pod's restartPolicy. When the app containers of a Pod that does
 * not restart them are all done, the sidecars are stopped (upstream's KillPod), last
 * one first, and not started again.
 */
function computeContainerActions(pod: Pod, state: PodRuntimeState, view: PlanView): ContainerActions {
  const out: ContainerActions = { kill: [], start: [], backOff: [] };
  const policy = pod.spec?.restartPolicy ?? 'Always';
  if (sidecarsOf(pod).length && wouldBeFinished(pod, state.containers)) {
    out.kill.push(...sidecarKills(pod, state));
    return out;
  }
  if (!computeInitActions(pod, state, view, out)) return out;
  for (const spec of pod.spec?.containers ?? []) {
    const latest = attemptsOf(state.containers, spec.name)[0];
    if (latest && state.killing.has(latest.id)) continue;
    if (latest?.state === 'running') {
      const kill = killRunning(pod, spec, latest, view);
      if (kill) out.kill.push(kill);
      continue;
    }
    if (latest && isFinished(latest)) {
      // A changed definition is run again whatever the policy says.
      const changed = latest.image !== (spec.image ?? '');
      const restart = changed || policy === 'Always' || (policy === 'OnFailure' && (latest.exitCode !== 0 || latest.state === 'created'));
      if (restart) restartOrBackOff(out, pod, spec, 'app', latest, view);
      continue;
    }
    if (latest) continue; // created, starting
    const known = state.known.get(spec.name);
    if (!known?.existed) {
      out.start.push({ spec, kind: 'app', attempt: 0, reason: 'FirstStart' });
      continue;
    }
    // Its container is gone (docker rm -f): what it last did decides, as if it were still there.
    const last = known.lastTerminated;
    if (policy !== 'Always' && last && last.reason !== 'ContainerStatusUnknown' && (policy === 'Never' || last.exitCode === 0)) continue;
    const step = backOffOrStep(pod, spec, view.now, view);
    if ('wait' in step) out.backOff.push(step.wait);
    else out.start.push({ spec, kind: 'app', attempt: known.restartCount + 1, reason: 'Recreate', backoffStep: step.step });
  }
  return out;
}

/** The running sidecars to stop once the app containers are done: the last one still running (they stop in reverse order). */
function sidecarKills(pod: Pod, state: PodRuntimeState): ContainerToKill[] {
  for (const s of sidecarsOf(pod).reverse()) {
    const alive = attemptsOf(state.containers, s.name).filter((c) => c.state === 'running' || state.killing.has(c.id));
    if (!alive.length) continue;
    return alive
      .filter((c) => !state.killing.has(c.id))
      .map((container) => ({ container, graceSeconds: gracePeriod(pod), reason: 'PodFinished' as const, message: `Stopping container ${s.name}` }));
  }
  return [];
}

/**
 * Upstream's computeInitContainerActions. The last init container that has a container
 * tells how far initialisation got: the ones before it are done (only their sidecars are
 * kept running); it decides what starts next. True when the Pod is initialised.
 */
function computeInitActions(pod: Pod, state: PodRuntimeState, view: PlanView, out: ContainerActions): boolean {
  const inits = pod.spec?.initContainers ?? [];
  const policy = pod.spec?.restartPolicy ?? 'Always';
  let current = -1;
  inits.forEach((spec, i) => {
    if (attemptsOf(state.containers, spec.name).length) current = i;
  });
  // Sidecars before the current one: kept running.
  for (const spec of inits.slice(0, Math.max(0, current))) {
    if (!isSidecar(spec)) continue;
    const latest = attemptsOf(state.containers, spec.name)[0];
    if (!latest) {
      out.start.push({ spec, kind: 'init', attempt: nextAttempt(state, spec.name), reason: 'Recreate' });
      continue;
    }
    keepSidecar(pod, spec, latest, state, view, out);
  }
  const startAt = (i: number): boolean => {
    const next = inits[i];
    if (!next) return true;
    out.start.push({ spec: next, kind: 'init', attempt: nextAttempt(state, next.name), reason: 'FirstStart' });
    return false;
  };
  if (current < 0) return startAt(0);
  const spec = inits[current]!;
  const latest = attemptsOf(state.containers, spec.name)[0]!;
  if (isSidecar(spec)) {
    if (!keepSidecar(pod, spec, latest, state, view, out)) return false;
    return startAt(current + 1);
  }
  if (latest.state === 'running' || state.killing.has(latest.id)) return false;
  if (isFinished(latest) && latest.exitCode === 0 && latest.state !== 'created') return startAt(current + 1);
  // Created and not started yet, or failed under restartPolicy Never (the Pod fails): nothing to do.
  if (!isFinished(latest) || policy === 'Never') return false;
  restartOrBackOff(out, pod, spec, 'init', latest, view);
  return false;
}

/** Keeps a sidecar running: restarts it (with back-off) when it exited, kills it when a probe failed. True when it runs and has started. */
function keepSidecar(pod: Pod, spec: Container, latest: ContainerInfo, state: PodRuntimeState, view: PlanView, out: ContainerActions): boolean {
  if (state.killing.has(latest.id)) return false;
  if (latest.state === 'running') {
    const kill = killRunning(pod, spec, latest, view);
    if (kill) {
      out.kill.push(kill);
      return false;
    }
    return view.probe(spec, latest.id).started !== false;
  }
  if (isFinished(latest)) restartOrBackOff(out, pod, spec, 'init', latest, view);
  return false;
}

/** Why a running app container or sidecar must go: its image changed, or a liveness or startup probe failed. */
function killRunning(pod: Pod, spec: Container, latest: ContainerInfo, view: PlanView): ContainerToKill | undefined {
  const graceSeconds = pod.spec?.terminationGracePeriodSeconds ?? 30;
  const who = isSidecar(spec) ? `Init container ${spec.name}` : `Container ${spec.name}`;
  if (latest.image !== (spec.image ?? '')) {
    return { container: latest, graceSeconds, reason: 'DefinitionChanged', message: `${who} definition changed, will be restarted` };
  }
  const failed = view.probe(spec, latest.id).failed;
  if (!failed) return undefined;
  return {
    container: latest,
    graceSeconds,
    reason: failed === 'liveness' ? 'LivenessProbe' : 'StartupProbe',
    message: isSidecar(spec) ? `${who} failed ${failed} probe` : `${who} failed ${failed} probe, will be restarted`,
  };
}

function restartOrBackOff(out: ContainerActions, pod: Pod, spec: Container, kind: 'init' | 'app', latest: ContainerInfo, view: PlanView): void {
  const finishedAt = latest.finishedAt ? Date.parse(latest.finishedAt) : view.now;
  const step = backOffOrStep(pod, spec, finishedAt, view);
  if ('wait' in step) out.backOff.push(step.wait);
  else out.start.push({ spec, kind, attempt: attemptOf(latest.labels) + 1, reason: 'RestartPolicy', backoffStep: step.step });
}

/**
 * Upstream's doBackOff, read-only: in back-off since the container finished means
 * CrashLoopBackOff; otherwise the start takes one more step of back-off.
 */
function backOffOrStep(pod: Pod, spec: Container, finishedAt: number, view: PlanView): { wait: CrashLoopWait } | { step: { key: string; since: number } } {
  const key = `${pod.metadata?.uid}/${spec.name}`;
  const b = view.crashBackoff;
  if (!b.isInBackOffSince(key, finishedAt)) return { step: { key, since: finishedAt } };
  const r = podRef(pod);
  const who = `${r.name}_${r.namespace}(${r.uid})`;
  return {
    wait: {
      name: spec.name,
      fieldPath: fieldPath(pod, spec),
      waiting: { reason: 'CrashLoopBackOff', message: `back-off ${goDuration(b.get(key))} restarting failed container=${spec.name} pod=${who}` },
      event: `Back-off restarting failed container ${spec.name} in pod ${who}`,
      retryAfter: b.remaining(key, finishedAt),
    },
  };
}

function nextAttempt(state: PodRuntimeState, name: string): number {
  const known = state.known.get(name);
  return known?.existed ? known.restartCount + 1 : 0;
}
