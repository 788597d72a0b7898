/**
 * The sync plan, without Docker: for a Pod spec and what the runtime shows, which
 * containers are stopped and why, whether a sandbox is made, what starts next, and what
 * waits in CrashLoopBackOff. One row a situation, the plan written out as lines.
 */
import type { Container, Pod, PodSpec } from '@minik8s/api';
import { FakeClock } from '@minik8s/client/kube';
import { describe, expect, it } from 'vitest';
import { Backoff } from './backoff.ts';
import { computeOrphanActions, computePodActions, type PodActions, type RememberedContainer, sandboxToStop, splitContainers } from './pod-actions.ts';
import {
  LABEL_CONTAINER_NAME,
  LABEL_KIND,
  LABEL_POD_UID,
  LABEL_RESTART_COUNT,
  LABEL_TYPE,
  SANDBOX_CONTAINER_NAME,
  TYPE_CONTAINER,
  TYPE_SANDBOX,
} from './runtime/labels.ts';
import type { ContainerInfo, ContainerState } from './runtime/runtime.ts';

const UID = 'u1';
const IMAGE = 'busybox:1';
const NOW = Date.parse('2026-01-01T00:10:00Z');
const secondsAgo = (s: number) => new Date(NOW - s * 1000).toISOString().replace(/\.\d+Z$/, 'Z');

const spec = (name: string, extra: Partial<Container> = {}): Container => ({ name, image: IMAGE, ...extra });

function makePod(s: Partial<PodSpec>, o: { phase?: 'Succeeded' | 'Failed' | 'Running'; deleting?: boolean } = {}): Pod {
  return {
    metadata: { name: 'p', namespace: 'default', uid: UID, ...(o.deleting ? { deletionTimestamp: secondsAgo(1) } : {}) },
    spec: { containers: [], ...s },
    ...(o.phase ? { status: { phase: o.phase } } : {}),
  };
}

interface Run {
  state: ContainerState;
  attempt?: number;
  exitCode?: number;
  /** Seconds ago it finished. */
  finished?: number;
  image?: string;
  init?: boolean;
}

function ctr(name: string, r: Run): ContainerInfo {
  const attempt = r.attempt ?? 0;
  return {
    id: `${name}-${attempt}`,
    name: `k8s_${name}_p_default_${UID}_${attempt}`,
    labels: {
      [LABEL_POD_UID]: UID,
      [LABEL_TYPE]: TYPE_CONTAINER,
      [LABEL_CONTAINER_NAME]: name,
      [LABEL_RESTART_COUNT]: String(attempt),
      [LABEL_KIND]: r.init ? 'init' : 'app',
    },
    state: r.state,
    image: r.image ?? IMAGE,
    imageId: 'sha256:1',
    exitCode: r.exitCode ?? 0,
    oomKilled: false,
    error: '',
    createdAt: secondsAgo(600),
    ...(r.state !== 'created' ? { startedAt: secondsAgo(300) } : {}),
    ...(r.finished !== undefined ? { finishedAt: secondsAgo(r.finished) } : {}),
    ips: {},
  };
}

const sandbox = (state: ContainerState, attempt = 0): ContainerInfo => ({
  ...ctr(SANDBOX_CONTAINER_NAME, { state, attempt, finished: state === 'exited' ? 60 : undefined }),
  labels: { [LABEL_POD_UID]: UID, [LABEL_TYPE]: TYPE_SANDBOX, [LABEL_CONTAINER_NAME]: SANDBOX_CONTAINER_NAME, [LABEL_RESTART_COUNT]: String(attempt) },
  ips: { pods: '10.88.0.2' },
});

interface Row {
  name: string;
  pod: Pod;
  running: ContainerInfo[];
  killing?: string[];
  known?: Record<string, RememberedContainer>;
  /** Containers (by name) whose crash-loop back-off started `n` seconds ago at 10 s. */
  backoff?: Record<string, number>;
  probe?: Record<string, 'liveness' | 'startup'>;
  /** Containers (by id) whose startup probe has not succeeded yet. */
  notStarted?: string[];
  plan: string[];
}

function plan(row: Row): PodActions {
  const clock = new FakeClock(NOW);
  const crashBackoff = new Backoff({ initialMs: 10_000, maxMs: 300_000, clock });
  for (const [name, ago] of Object.entries(row.backoff ?? {})) crashBackoff.next(`${UID}/${name}`, NOW - ago * 1000);
  const state = { ...splitContainers(row.running), killing: new Set(row.killing ?? []), known: new Map(Object.entries(row.known ?? {})) };
  return computePodActions(row.pod, state, {
    now: NOW,
    crashBackoff,
    probe: (_spec, id) => ({ ...(row.probe?.[id] ? { failed: row.probe[id] } : {}), ...(row.notStarted?.includes(id) ? { started: false } : {}) }),
  });
}

/** The plan as lines: `kill <container id> (<reason>)`, `sandbox #<attempt>`, `start <kind> <name> #<attempt> (<reason>)`, `back-off <name>`. */
function lines(p: PodActions): string[] {
  const out = p.kill.map((k) => `kill ${k.container.id} (${k.reason}, ${k.graceSeconds}s)`);
  if (p.type === 'Terminate') out.push(p.done ? 'done' : 'wait');
  if (p.type === 'StopForNewSandbox') out.push(`requeue ${p.requeueAfter}ms`);
  if (p.type !== 'Sync') return out;
  if (p.createSandbox)
    out.push(`sandbox #${p.createSandbox.attempt}${p.createSandbox.remove.length ? ` (remove ${p.createSandbox.remove.map((s) => s.id)})` : ''}`);
  for (const s of p.start) out.push(`start ${s.kind} ${s.spec.name} #${s.attempt} (${s.reason})`);
  for (const b of p.backOff) out.push(`back-off ${b.name} ${b.retryAfter}ms`);
  return out;
}

const initPod = (restartPolicy?: PodSpec['restartPolicy']) =>
  makePod({ restartPolicy, initContainers: [spec('a'), spec('b')], containers: [spec('app')], terminationGracePeriodSeconds: 5 });
const appPod = (restartPolicy?: PodSpec['restartPolicy'], extra: Partial<Container> = {}) =>
  makePod({ restartPolicy, containers: [spec('c', extra)], terminationGracePeriodSeconds: 5 });
const up = sandbox('running');
const sidecar = (name: string) => spec(name, { restartPolicy: 'Always' });
const sidecarPod = (restartPolicy?: PodSpec['restartPolicy']) =>
  makePod({ restartPolicy, initContainers: [sidecar('s'), spec('b')], containers: [spec('app')], terminationGracePeriodSeconds: 5 });

const rows: Row[] = [
  // Init containers: one at a time, in order.
  { name: 'a new Pod gets a sandbox and its first init container', pod: initPod(), running: [], plan: ['sandbox #0', 'start init a #0 (FirstStart)'] },
  {
    name: 'the next init container once the one before succeeded',
    pod: initPod(),
    running: [up, ctr('a', { state: 'exited', finished: 5, init: true })],
    plan: ['start init b #0 (FirstStart)'],
  },
  { name: 'nothing while an init container runs', pod: initPod(), running: [up, ctr('a', { state: 'running', init: true })], plan: [] },
  {
    name: 'the app containers once every init container succeeded',
    pod: initPod(),
    running: [up, ctr('a', { state: 'exited', finished: 9, init: true }), ctr('b', { state: 'exited', finished: 5, init: true })],
    plan: ['start app app #0 (FirstStart)'],
  },
  {
    name: 'a failed init container under Never: nothing more starts (the Pod fails)',
    pod: initPod('Never'),
    running: [up, ctr('a', { state: 'exited', exitCode: 1, finished: 60, init: true })],
    plan: [],
  },
  {
    name: 'a failed init container under Always is run again',
    pod: initPod('Always'),
    running: [up, ctr('a', { state: 'exited', exitCode: 1, finished: 60, init: true })],
    plan: ['start init a #1 (RestartPolicy)'],
  },
  {
    name: 'a failed init container under OnFailure waits out its back-off',
    pod: initPod('OnFailure'),
    running: [up, ctr('a', { state: 'exited', exitCode: 1, finished: 4, init: true })],
    backoff: { a: 4 },
    plan: ['back-off a 6000ms'],
  },
  // restartPolicy for exited app containers.
  {
    name: 'Always: exit 0 is restarted',
    pod: appPod('Always'),
    running: [up, ctr('c', { state: 'exited', finished: 60 })],
    plan: ['start app c #1 (RestartPolicy)'],
  },
  {
    name: 'Always: exit 1 is restarted',
    pod: appPod(),
    running: [up, ctr('c', { state: 'exited', exitCode: 1, finished: 60 })],
    plan: ['start app c #1 (RestartPolicy)'],
  },
  { name: 'OnFailure: exit 0 is left alone', pod: appPod('OnFailure'), running: [up, ctr('c', { state: 'exited', finished: 60 })], plan: [] },
  {
    name: 'OnFailure: exit 3 is restarted',
    pod: appPod('OnFailure'),
    running: [up, ctr('c', { state: 'exited', exitCode: 3, finished: 60, attempt: 2 })],
    plan: ['start app c #3 (RestartPolicy)'],
  },
  { name: 'Never: exit 1 is left alone', pod: appPod('Never'), running: [up, ctr('c', { state: 'exited', exitCode: 1, finished: 60 })], plan: [] },
  { name: 'a created container not started yet is left alone', pod: appPod(), running: [up, ctr('c', { state: 'created' })], plan: [] },
  // Crash-loop back-off.
  {
    name: 'crash loop: not restarted before the back-off expires',
    pod: appPod(),
    running: [up, ctr('c', { state: 'exited', exitCode: 1, finished: 3, attempt: 1 })],
    backoff: { c: 3 },
    plan: ['back-off c 7000ms'],
  },
  {
    name: 'crash loop: restarted once the back-off has expired',
    pod: appPod(),
    running: [up, ctr('c', { state: 'exited', exitCode: 1, finished: 11, attempt: 1 })],
    backoff: { c: 11 },
    plan: ['start app c #2 (RestartPolicy)'],
  },
  // Probes and definition changes.
  {
    name: 'a failed liveness probe restarts',
    pod: appPod(),
    running: [up, ctr('c', { state: 'running' })],
    probe: { 'c-0': 'liveness' },
    plan: ['kill c-0 (LivenessProbe, 5s)'],
  },
  {
    name: 'a failed startup probe restarts',
    pod: appPod(),
    running: [up, ctr('c', { state: 'running' })],
    probe: { 'c-0': 'startup' },
    plan: ['kill c-0 (StartupProbe, 5s)'],
  },
  {
    name: 'a container being stopped is left alone',
    pod: appPod(),
    running: [up, ctr('c', { state: 'running' })],
    killing: ['c-0'],
    probe: { 'c-0': 'liveness' },
    plan: [],
  },
  {
    name: 'a changed image stops the running container',
    pod: appPod('Never', { image: 'busybox:2' }),
    running: [up, ctr('c', { state: 'running' })],
    plan: ['kill c-0 (DefinitionChanged, 5s)'],
  },
  {
    name: 'a changed image starts again whatever the restartPolicy',
    pod: appPod('Never', { image: 'busybox:2' }),
    running: [up, ctr('c', { state: 'exited', exitCode: 143, finished: 60 })],
    plan: ['start app c #1 (RestartPolicy)'],
  },
  // Containers Docker lost (docker rm -f).
  {
    name: 'a removed container is made again',
    pod: appPod(),
    running: [up],
    known: { c: { restartCount: 0, existed: true } },
    plan: ['start app c #1 (Recreate)'],
  },
  {
    name: 'a removed container that had succeeded under OnFailure is not',
    pod: appPod('OnFailure'),
    running: [up],
    known: { c: { restartCount: 0, existed: true, lastTerminated: { exitCode: 0, reason: 'Completed' } } },
    plan: [],
  },
  // The Pod as a whole.
  {
    name: 'a terminating Pod stops its containers first, with the grace period',
    pod: makePod({ containers: [spec('c')], terminationGracePeriodSeconds: 7 }, { deleting: true }),
    running: [up, ctr('c', { state: 'running' })],
    plan: ['kill c-0 (PodDeleted, 7s)', 'wait'],
  },
  {
    name: 'a terminating Pod stops its sandbox once its containers have stopped',
    pod: makePod({ containers: [spec('c')] }, { deleting: true }),
    running: [up, ctr('c', { state: 'exited', finished: 1 })],
    plan: ['kill POD-0 (PodDeleted, 0s)', 'wait'],
  },
  {
    name: 'a terminating Pod with nothing running is done',
    pod: makePod({ containers: [spec('c')] }, { deleting: true }),
    running: [sandbox('exited')],
    plan: ['done'],
  },
  {
    name: 'sandbox gone: the old containers stop first',
    pod: appPod(),
    running: [sandbox('exited'), ctr('c', { state: 'running' })],
    plan: ['kill c-0 (SandboxGone, 5s)', 'requeue 200ms'],
  },
  {
    name: 'sandbox gone: a new sandbox, and everything starts again',
    pod: makePod({ containers: [spec('c'), spec('d')] }),
    running: [sandbox('exited'), ctr('c', { state: 'exited', exitCode: 137, finished: 60 }), ctr('d', { state: 'exited', exitCode: 137, finished: 60 })],
    plan: ['sandbox #1 (remove POD-0)', 'start app c #1 (RestartPolicy)', 'start app d #1 (RestartPolicy)'],
  },
  {
    name: 'no new sandbox for a Pod whose containers have all finished under Never',
    pod: appPod('Never'),
    running: [sandbox('exited'), ctr('c', { state: 'exited', exitCode: 1, finished: 60 })],
    plan: [],
  },
  {
    name: 'a finished Pod stops what still runs, with the grace period',
    pod: makePod({ containers: [spec('c')], terminationGracePeriodSeconds: 3 }, { phase: 'Succeeded' }),
    running: [up, ctr('c', { state: 'exited', finished: 60 })],
    plan: ['kill POD-0 (PodFinished, 3s)'],
  },
  // Sidecars: init containers with restartPolicy Always.
  {
    name: 'a sidecar starts in the init order',
    pod: sidecarPod(),
    running: [up],
    plan: ['start init s #0 (FirstStart)'],
  },
  {
    name: 'the next init container starts once the sidecar has started',
    pod: sidecarPod(),
    running: [up, ctr('s', { state: 'running', init: true })],
    plan: ['start init b #0 (FirstStart)'],
  },
  {
    name: 'the next init container waits for the sidecar startup probe',
    pod: sidecarPod(),
    running: [up, ctr('s', { state: 'running', init: true })],
    notStarted: ['s-0'],
    plan: [],
  },
  {
    name: 'the app containers start while the sidecar runs',
    pod: sidecarPod(),
    running: [up, ctr('s', { state: 'running', init: true }), ctr('b', { state: 'exited', finished: 5, init: true })],
    plan: ['start app app #0 (FirstStart)'],
  },
  {
    name: 'a sidecar that exited is restarted under restartPolicy Never',
    pod: sidecarPod('Never'),
    running: [
      up,
      ctr('s', { state: 'exited', exitCode: 1, finished: 60, init: true }),
      ctr('b', { state: 'exited', finished: 90, init: true }),
      ctr('app', { state: 'running' }),
    ],
    plan: ['start init s #1 (RestartPolicy)'],
  },
  {
    name: 'a crash-looping sidecar waits in back-off',
    pod: sidecarPod(),
    running: [up, ctr('s', { state: 'exited', exitCode: 1, finished: 3, init: true, attempt: 1 }), ctr('app', { state: 'running' })],
    backoff: { s: 3 },
    plan: ['back-off s 7000ms'],
  },
  {
    name: 'a sidecar whose liveness probe failed is killed',
    pod: sidecarPod(),
    running: [up, ctr('s', { state: 'running', init: true }), ctr('b', { state: 'exited', finished: 5, init: true }), ctr('app', { state: 'running' })],
    probe: { 's-0': 'liveness' },
    plan: ['kill s-0 (LivenessProbe, 5s)'],
  },
  {
    name: 'app done under Never: the sidecars stop, the last one first, and none restarts',
    pod: makePod({ restartPolicy: 'Never', initContainers: [sidecar('s'), sidecar('t')], containers: [spec('app')], terminationGracePeriodSeconds: 5 }),
    running: [up, ctr('s', { state: 'running', init: true }), ctr('t', { state: 'running', init: true }), ctr('app', { state: 'exited', finished: 1 })],
    plan: ['kill t-0 (PodFinished, 5s)'],
  },
  {
    name: 'app done under Never: an exited sidecar is not restarted while the others stop',
    pod: makePod({ restartPolicy: 'Never', initContainers: [sidecar('s'), sidecar('t')], containers: [spec('app')], terminationGracePeriodSeconds: 5 }),
    running: [
      up,
      ctr('s', { state: 'running', init: true }),
      ctr('t', { state: 'exited', exitCode: 143, finished: 1, init: true }),
      ctr('app', { state: 'exited', finished: 1 }),
    ],
    plan: ['kill s-0 (PodFinished, 5s)'],
  },
  {
    name: 'a terminating Pod stops its app containers before its sidecars',
    pod: makePod({ initContainers: [sidecar('s')], containers: [spec('app')], terminationGracePeriodSeconds: 7 }, { deleting: true }),
    running: [up, ctr('s', { state: 'running', init: true }), ctr('app', { state: 'running' })],
    plan: ['kill app-0 (PodDeleted, 7s)', 'wait'],
  },
  {
    name: 'a terminating Pod stops its sidecars, in reverse order, with what is left of the grace period',
    pod: {
      ...makePod({ initContainers: [sidecar('s'), sidecar('t')], containers: [spec('app')], terminationGracePeriodSeconds: 30 }),
      metadata: { name: 'p', namespace: 'default', uid: UID, deletionTimestamp: secondsAgo(-20), deletionGracePeriodSeconds: 30 },
    },
    running: [up, ctr('s', { state: 'running', init: true }), ctr('t', { state: 'running', init: true }), ctr('app', { state: 'exited', finished: 1 })],
    plan: ['kill t-0 (PodDeleted, 20s)', 'wait'],
  },
  {
    name: 'sidecars get at least 2 s however late their turn comes',
    pod: makePod({ initContainers: [sidecar('s'), sidecar('t')], containers: [spec('app')] }, { deleting: true }),
    running: [
      up,
      ctr('s', { state: 'running', init: true }),
      ctr('t', { state: 'exited', finished: 1, init: true }),
      ctr('app', { state: 'exited', finished: 1 }),
    ],
    plan: ['kill s-0 (PodDeleted, 2s)', 'wait'],
  },
];

describe('computePodActions', () => {
  it.each(rows)('$name', (row) => {
    expect(lines(plan(row))).toEqual(row.plan);
  });

  it('says why a container waits in CrashLoopBackOff, as upstream does', () => {
    const p = plan(rows.find((r) => r.name.startsWith('crash loop: not restarted'))!);
    expect(p.type === 'Sync' && p.backOff).toEqual([
      {
        name: 'c',
        fieldPath: 'spec.containers{c}',
        waiting: { reason: 'CrashLoopBackOff', message: 'back-off 10s restarting failed container=c pod=p_default(u1)' },
        event: 'Back-off restarting failed container c in pod p_default(u1)',
        retryAfter: 7000,
      },
    ]);
  });

  it('takes one step of back-off, counted from when the container finished, with each restart', () => {
    const p = plan(rows.find((r) => r.name.startsWith('crash loop: restarted'))!);
    expect(p.type === 'Sync' && p.start[0]?.backoffStep).toEqual({ key: 'u1/c', since: NOW - 11_000 });
  });

  it('gives a probe restart a Killing message', () => {
    const p = plan(rows.find((r) => r.name === 'a failed liveness probe restarts')!);
    expect(p.kill[0]?.message).toBe('Container c failed liveness probe, will be restarted');
    const sidecar = plan(rows.find((r) => r.name === 'a sidecar whose liveness probe failed is killed')!);
    expect(sidecar.kill[0]?.message).toBe('Init container s failed liveness probe');
  });

  it('stops the sandbox of a Pod whose status has just finished', () => {
    expect(sandboxToStop({ phase: 'Failed' }, up)).toMatchObject({ container: up, graceSeconds: 0, reason: 'PodFinished' });
    expect(sandboxToStop({ phase: 'Running' }, up)).toBeUndefined();
    expect(sandboxToStop({ phase: 'Succeeded' }, undefined)).toBeUndefined();
  });
});

describe('computeOrphanActions', () => {
  const orphans = (...cs: ContainerInfo[]) => new Map([[UID, cs]]);
  const stops = (o: ReturnType<typeof computeOrphanActions>) => o.map((a) => a.stop.map((s) => `${s.container.id} ${s.graceSeconds}s`));

  it('stops the containers of a gone Pod with its last known grace period, the sandbox at once', () => {
    const last = makePod({ terminationGracePeriodSeconds: 9 });
    expect(stops(computeOrphanActions(orphans(up, ctr('c', { state: 'running' })), () => last, new Set()))).toEqual([['POD-0 0s', 'c-0 9s']]);
  });

  it('uses the minimum grace period (upstream: 2 s) for a Pod nobody remembers', () => {
    expect(stops(computeOrphanActions(orphans(ctr('c', { state: 'running' })), () => undefined, new Set()))).toEqual([['c-0 2s']]);
  });

  it('removes at once what no longer runs, and leaves a Pod whose containers are being stopped', () => {
    const exited = ctr('c', { state: 'exited', finished: 1 });
    expect(computeOrphanActions(orphans(exited), () => undefined, new Set())).toEqual([{ uid: UID, containers: [exited], stop: [] }]);
    expect(computeOrphanActions(orphans(up), () => undefined, new Set(['POD-0']))).toEqual([]);
  });
});
