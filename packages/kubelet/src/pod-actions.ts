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
  /** The probe verdict on a running container. */
  probe(spec: Container, containerId: string): { failed?: 'liveness' | 'startup' };
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

export function fieldPath(pod: Pod, spec: Container): string {
  const init = (pod.spec?.initContainers ?? []).some((c) => c.name === spec.name);
  return `spec.${init ? 'initContainers' : 'containers'}{${spec.name}}`;
}

/** The plan for one sync of `pod`. */
export function computePodActions(pod: Pod, state: PodRuntimeState, view: PlanView): PodActions {
  if (pod.metadata?.deletionTimestamp) return computeTerminateActions(pod, state);
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

/** Graceful termination: app containers get the grace period; the sandbox goes last, at once. */
export function computeTerminateActions(pod: Pod, state: PodRuntimeState): TerminateActions {
  const alive = (c: ContainerInfo) => c.state === 'running' || state.killing.has(c.id);
  const appsAlive = state.containers.some(alive);
  const kill: ContainerToKill[] = [];
  for (const container of state.containers) {
    if (container.state !== 'running' || state.killing.has(container.id)) continue;
    const name = container.labels[LABEL_CONTAINER_NAME] ?? '';
    kill.push({ container, graceSeconds: gracePeriod(pod), reason: 'PodDeleted', message: `Stopping container ${name}` });
  }
  if (!appsAlive) {
    for (const container of state.sandboxes) {
      if (container.state === 'running' && !state.killing.has(container.id)) kill.push({ container, graceSeconds: 0, reason: 'PodDeleted' });
    }
  }
  return { type: 'Terminate', kill, done: ![...state.containers, ...state.sandboxes].some(alive) };
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

/** Init containers one at a time and in order, then the app containers. */
function computeContainerActions(pod: Pod, state: PodRuntimeState, view: PlanView): ContainerActions {
  const out: ContainerActions = { kill: [], start: [], backOff: [] };
  const policy = pod.spec?.restartPolicy ?? 'Always';
  for (const spec of pod.spec?.initContainers ?? []) {
    const latest = attemptsOf(state.containers, spec.name)[0];
    if (latest && (latest.state === 'running' || state.killing.has(latest.id))) return out;
    if (latest && isFinished(latest) && latest.exitCode === 0 && latest.state !== 'created') continue;
    // Created and not started yet, or failed under restartPolicy Never (the Pod fails): nothing to do.
    if (latest && (!isFinished(latest) || policy === 'Never')) return out;
    if (latest) restartOrBackOff(out, pod, spec, 'init', latest, view);
    else out.start.push({ spec, kind: 'init', attempt: nextAttempt(state, spec.name), reason: 'FirstStart' });
    return out;
  }
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

/** Why a running app container must go: its image changed, or a liveness or startup probe failed. */
function killRunning(pod: Pod, spec: Container, latest: ContainerInfo, view: PlanView): ContainerToKill | undefined {
  const graceSeconds = pod.spec?.terminationGracePeriodSeconds ?? 30;
  if (latest.image !== (spec.image ?? '')) {
    return { container: latest, graceSeconds, reason: 'DefinitionChanged', message: `Container ${spec.name} definition changed, will be restarted` };
  }
  const failed = view.probe(spec, latest.id).failed;
  if (!failed) return undefined;
  return {
    container: latest,
    graceSeconds,
    reason: failed === 'liveness' ? 'LivenessProbe' : 'StartupProbe',
    message: `Container ${spec.name} failed ${failed} probe, will be restarted`,
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
