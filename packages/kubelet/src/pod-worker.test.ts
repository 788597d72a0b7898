/**
 * Pod syncs carried out on the in-memory runtime, with a fake clock: what Docker would
 * be asked to do, the status the API server would get, the events a user would see,
 * and that nothing is remembered of a Pod once it is gone.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Pod, PodStatus } from '@minik8s/api';
import { FakeClock, type KubeClient } from '@minik8s/client/kube';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { Backoff } from './backoff.ts';
import { ImagePuller } from './images.ts';
import { PodWorkers } from './pod-worker.ts';
import { ProbeManager } from './probes.ts';
import { FakeRuntime } from './runtime/fake.ts';

const IMAGE = 'busybox:1';
const INFRA = 'pause:1';

function setup(o: { localImageFallback?: boolean; images?: string[] } = {}) {
  const clock = new FakeClock(Date.parse('2026-01-01T00:00:00Z'));
  const runtime = new FakeRuntime({ clock, images: [IMAGE, INFRA, ...(o.images ?? [])] });
  const statuses = new Map<string, PodStatus>();
  /** Each Pod's resourceVersion: every status write makes a new one. */
  const versions = new Map<string, number>();
  let revision = 0;
  const deleted: string[] = [];
  const client = {
    async patch(ref: { name: string }, body: { status: PodStatus }) {
      statuses.set(ref.name, body.status);
      versions.set(ref.name, ++revision);
      return { metadata: { resourceVersion: String(revision) }, status: body.status };
    },
    async delete(ref: { name: string }) {
      deleted.push(ref.name);
    },
  } as unknown as KubeClient;
  const events: string[] = [];
  const event = (_pod: Pod, type: string, reason: string, message: string) => {
    events.push(`${type} ${reason}: ${message}`);
  };
  const crashBackoff = new Backoff({ initialMs: 10_000, maxMs: 300_000, clock });
  const pullBackoff = new Backoff({ initialMs: 10_000, maxMs: 300_000, clock });
  const workers = new PodWorkers({
    nodeName: 'n1',
    runtime,
    client,
    event,
    log: pino({ level: 'silent' }),
    clock,
    podNetwork: 'pods',
    podCidr: '10.88.0.0/24',
    hostIP: '10.88.0.1',
    infraImage: INFRA,
    crashBackoff,
    images: new ImagePuller(runtime, pullBackoff, o.localImageFallback),
    probes: new ProbeManager({ runtime, clock, onChange: () => {}, event }),
    lookup: async () => undefined,
    extraLabels: {},
    requeue: () => {},
    resyncMs: 10_000,
  });
  const pods = new Map<string, Pod>();
  /** Syncs the Pod as the informer would show it (with the status written last). */
  const sync = async (name: string) => {
    const pod = pods.get(name)!;
    const resourceVersion = String(versions.get(name) ?? 0);
    const r = await workers.sync({ ...pod, metadata: { ...pod.metadata, resourceVersion }, status: statuses.get(name) ?? {} });
    await workers.drain();
    return r;
  };
  const create = (name: string, spec: Pod['spec']) => {
    pods.set(name, { metadata: { name, namespace: 'default', uid: `uid-${name}` }, spec });
  };
  const markDeleted = (name: string) => {
    const pod = pods.get(name)!;
    pods.set(name, { ...pod, metadata: { ...pod.metadata, deletionTimestamp: '2026-01-01T00:00:00Z', deletionGracePeriodSeconds: 30 } });
  };
  const state = (name: string, container: string) => statuses.get(name)?.containerStatuses?.find((c) => c.name === container)?.state;
  /** A status write by someone else (the node lifecycle controller). */
  const overwrite = (name: string, status: PodStatus) => {
    statuses.set(name, status);
    versions.set(name, ++revision);
  };
  return { clock, runtime, workers, crashBackoff, pullBackoff, events, statuses, deleted, sync, create, markDeleted, state, overwrite };
}

describe('PodWorkers on the fake runtime', () => {
  it('runs init containers to completion in order, then the app; writes Running', async () => {
    const t = setup();
    t.create('p', { initContainers: [{ name: 'setup', image: IMAGE }], containers: [{ name: 'app', image: IMAGE }] });
    await t.sync('p');
    expect(t.runtime.calls).toEqual([
      'create k8s_POD_p_default_uid-p_0',
      'start k8s_POD_p_default_uid-p_0',
      'create k8s_setup_p_default_uid-p_0',
      'start k8s_setup_p_default_uid-p_0',
    ]);
    expect(t.statuses.get('p')?.phase).toBe('Pending');
    expect(t.statuses.get('p')?.podIP).toBe('10.88.0.2');

    t.runtime.exit(t.runtime.named('k8s_setup_')[0]!.id, 0);
    await t.sync('p');
    expect(t.runtime.calls.slice(4)).toEqual(['create k8s_app_p_default_uid-p_0', 'start k8s_app_p_default_uid-p_0']);
    expect(t.statuses.get('p')?.phase).toBe('Running');
    expect(t.events).toContain('Normal Started: Started container app');
  });

  it('writes its status again when someone else changed it (a Pod marked not Ready while its node was unreachable)', async () => {
    const t = setup();
    t.create('p', { containers: [{ name: 'app', image: IMAGE }] });
    await t.sync('p');
    await t.sync('p');
    const ready = t.statuses.get('p')!;
    expect(ready.conditions?.find((c) => c.type === 'Ready')?.status).toBe('True');
    t.overwrite('p', { ...ready, conditions: ready.conditions?.map((c) => (c.type === 'Ready' ? { ...c, status: 'False' } : c)) });
    await t.sync('p');
    expect(t.statuses.get('p')?.conditions?.find((c) => c.type === 'Ready')?.status).toBe('True');
  });

  it('puts a crashing container in CrashLoopBackOff and restarts it only after the back-off', async () => {
    const t = setup();
    t.create('c', { containers: [{ name: 'c', image: IMAGE }] });
    await t.sync('c');
    const exitLatest = () => t.runtime.exit(t.runtime.named('k8s_c_').at(-1)!.id, 1);
    exitLatest();
    await t.sync('c'); // first failure: restarted at once, back-off 10 s from now on
    expect(t.runtime.named('k8s_c_')).toHaveLength(2);
    exitLatest();
    const r = await t.sync('c');
    expect(t.runtime.named('k8s_c_')).toHaveLength(2);
    expect(t.state('c', 'c')?.waiting).toEqual({ reason: 'CrashLoopBackOff', message: 'back-off 10s restarting failed container=c pod=c_default(uid-c)' });
    expect(r.requeueAfter).toBe(10_000);
    expect(t.events).toContain('Warning BackOff: Back-off restarting failed container c in pod c_default(uid-c)');

    t.clock.advance(9_000);
    await t.sync('c');
    expect(t.runtime.named('k8s_c_')).toHaveLength(2);
    t.clock.advance(1_000);
    await t.sync('c');
    expect(t.runtime.named('k8s_c_').map((c) => c.name)).toEqual(['k8s_c_c_default_uid-c_1', 'k8s_c_c_default_uid-c_2']);
    expect(t.state('c', 'c')?.running).toBeTruthy();
    expect(t.crashBackoff.get('uid-c/c')).toBe(20_000);
  });

  it('a missing image: the container waits with ErrImagePull and nothing is created', async () => {
    const t = setup();
    t.create('img', { containers: [{ name: 'c', image: 'nope:1' }] });
    const r = await t.sync('img');
    expect(t.state('img', 'c')?.waiting?.reason).toBe('ErrImagePull');
    expect(t.runtime.named('k8s_c_')).toEqual([]);
    expect(r.requeueAfter).toBe(1000);
  });

  it('a local :latest image whose pull fails: ErrImagePull as upstream, or with the local fallback it runs, with a Warning naming the image', async () => {
    const strict = setup({ images: ['myapp:latest'] });
    strict.create('mine', { containers: [{ name: 'c', image: 'myapp:latest' }] });
    await strict.sync('mine');
    expect(strict.state('mine', 'c')?.waiting?.reason).toBe('ErrImagePull');
    expect(strict.runtime.named('k8s_c_')).toEqual([]);

    const local = setup({ images: ['myapp:latest'], localImageFallback: true });
    local.create('mine', { containers: [{ name: 'c', image: 'myapp:latest' }] });
    await local.sync('mine');
    expect(local.runtime.calls).toContain('pull myapp:latest');
    expect(local.state('mine', 'c')?.running).toBeTruthy();
    const id = await local.runtime.imageId('myapp:latest');
    expect(local.events.find((e) => e.startsWith('Warning PulledLocal: '))).toBe(
      `Warning PulledLocal: Failed to pull image "myapp:latest" (pull access denied for myapp:latest, repository does not exist); running the image of that name on this node instead: ${id}`,
    );

    // An image that exists nowhere still fails as upstream.
    local.create('none', { containers: [{ name: 'c', image: 'nowhere:latest' }] });
    await local.sync('none');
    expect(local.state('none', 'c')?.waiting?.reason).toBe('ErrImagePull');
  });

  it('a container that cannot be created waits with CreateContainerError and is retried', async () => {
    const t = setup();
    t.create('cc', { containers: [{ name: 'c', image: IMAGE }] });
    t.runtime.fail('create', new Error('no space left on device'));
    await t.sync('cc'); // the sandbox takes the failure
    expect(t.events).toContain('Warning FailedCreatePodSandBox: Failed to create pod sandbox: no space left on device');
    await t.sync('cc');
    t.runtime.fail('create', new Error('no space left on device'));
    t.runtime.exit(t.runtime.named('k8s_c_')[0]!.id, 1);
    const r = await t.sync('cc');
    expect(t.state('cc', 'c')?.waiting).toEqual({ reason: 'CreateContainerError', message: 'no space left on device' });
    expect(r.requeueAfter).toBe(2000);
  });

  it('recreates the sandbox and the containers when the sandbox is gone', async () => {
    const t = setup();
    t.create('s', { containers: [{ name: 'c', image: IMAGE }] });
    await t.sync('s');
    const [pod] = t.runtime.named('k8s_POD_');
    t.runtime.exit(pod!.id, 137);
    const r = await t.sync('s'); // the app of the old sandbox is stopped first
    expect(r.requeueAfter).toBe(200);
    expect(t.runtime.calls).toContain('stop k8s_c_s_default_uid-s_0 30');
    await t.sync('s');
    expect(t.runtime.named('k8s_POD_').map((c) => [c.name, c.state])).toEqual([['k8s_POD_s_default_uid-s_1', 'running']]);
    expect(t.runtime.named('k8s_c_').at(-1)).toMatchObject({ name: 'k8s_c_s_default_uid-s_1', state: 'running' });
  });

  it('terminates a deleted Pod gracefully, deletes it, and forgets it', async () => {
    const t = setup();
    t.create('d', { terminationGracePeriodSeconds: 7, containers: [{ name: 'c', image: IMAGE }] });
    await t.sync('d');
    t.markDeleted('d');
    expect(await t.sync('d')).toEqual({ requeueAfter: 500 });
    expect(t.runtime.calls).toContain('stop k8s_c_d_default_uid-d_0 30');
    expect(t.events).toContain('Normal Killing: Stopping container c');
    await t.sync('d'); // the sandbox
    await t.sync('d');
    expect(t.runtime.containers.size).toBe(0);
    expect(t.deleted).toEqual(['d']);
    expect(t.workers.tracked()).toEqual({ memory: 0, lastKnown: 0, inspected: 0, killing: 0 });
  });

  it('keeps nothing per Pod once its Pods are gone, however they went', async () => {
    const t = setup();
    for (const name of ['a', 'b', 'c', 'd']) {
      t.create(name, { restartPolicy: 'Never', containers: [{ name: 'c', image: IMAGE }] });
      await t.sync(name);
    }
    t.create('e', { containers: [{ name: 'c', image: 'nope:1' }] }); // e: a pull back-off
    await t.sync('e');
    expect(t.pullBackoff.size).toBe(1);
    // a: finished, its containers inspected and cached; b: removed from the API at once;
    // c: deleted with nothing of it left in the runtime; d: deleted gracefully.
    t.runtime.exit(t.runtime.named('_a_default_')[1]!.id, 0);
    await t.sync('a');
    for (const c of t.runtime.named('_c_default_')) await t.runtime.remove(c.id);
    t.markDeleted('d');
    for (let i = 0; i < 3; i++) await t.sync('d');
    expect(t.workers.tracked().memory).toBe(4);
    expect(t.workers.tracked().inspected).toBeGreaterThan(0);

    await t.workers.cleanupOrphans(new Set());
    await t.workers.drain();
    expect(t.runtime.containers.size).toBe(0);
    expect(t.workers.tracked()).toEqual({ memory: 0, lastKnown: 0, inspected: 0, killing: 0 });
    expect(t.crashBackoff.size).toBe(0);
    expect(t.pullBackoff.size).toBe(0);
  });

  it('counts syncs per Pod', async () => {
    const t = setup();
    t.create('n', { containers: [{ name: 'c', image: IMAGE }] });
    await t.sync('n');
    await t.sync('n');
    expect(t.workers.syncs('uid-n')).toBe(2);
    expect(t.workers.syncs()).toBe(2);
    expect(t.workers.syncs('uid-other')).toBe(0);
  });
});

describe('lifecycle hooks on the fake runtime', () => {
  /** Records each exec as `exec <container name> <command>` among the runtime's calls; `answer` decides the result. */
  const recordExecs = (t: ReturnType<typeof setup>, answer: (cmd: string[]) => Promise<number> | number = () => 0) => {
    t.runtime.exec = async (id, cmd) => {
      t.runtime.calls.push(`exec ${t.runtime.containers.get(id)?.name} ${cmd.join(' ')}`);
      return { exitCode: await answer(cmd), output: '', timedOut: false };
    };
  };

  it('postStart runs right after the start, and the container is Running only once it is done', async () => {
    const t = setup();
    let finish: (code: number) => void = () => {};
    recordExecs(t, () => new Promise<number>((resolve) => (finish = resolve)));
    t.create('ps', { containers: [{ name: 'app', image: IMAGE, lifecycle: { postStart: { exec: { command: ['touch', '/ready'] } } } }] });
    const syncing = t.sync('ps');
    await new Promise((r) => setTimeout(r, 20));
    expect(t.runtime.calls.slice(-2)).toEqual(['start k8s_app_ps_default_uid-ps_0', 'exec k8s_app_ps_default_uid-ps_0 touch /ready']);
    expect(t.state('ps', 'app')?.running).toBeUndefined(); // nothing written while the hook runs
    finish(0);
    await syncing;
    expect(t.state('ps', 'app')?.running).toBeTruthy();
    expect(t.statuses.get('ps')?.phase).toBe('Running');
  });

  it('a failing postStart kills the container with FailedPostStartHook, and it is restarted per policy', async () => {
    const t = setup();
    recordExecs(t, () => 1);
    t.create('pf', { containers: [{ name: 'app', image: IMAGE, lifecycle: { postStart: { exec: { command: ['false'] } } } }] });
    await t.sync('pf');
    expect(t.events).toContain(
      'Warning FailedPostStartHook: Exec lifecycle hook ([false]) for Container "app" in Pod "pf_default(uid-pf)" failed - error: command \'false\' exited with 1: , message: ""',
    );
    expect(t.events).toContain('Normal Killing: FailedPostStartHook');
    expect(t.runtime.calls.slice(-3)).toEqual([
      'start k8s_app_pf_default_uid-pf_0',
      'exec k8s_app_pf_default_uid-pf_0 false',
      'stop k8s_app_pf_default_uid-pf_0 30',
    ]);
    const s = t.statuses.get('pf')?.containerStatuses?.[0];
    expect(s?.state?.waiting?.reason).toBe('PostStartHookError');
    expect(s?.lastState?.terminated).toMatchObject({ exitCode: 143, reason: 'Error' });
    await t.sync('pf');
    expect(t.runtime.named('k8s_app_').map((c) => c.name)).toEqual(['k8s_app_pf_default_uid-pf_0', 'k8s_app_pf_default_uid-pf_1']);

    // Under restartPolicy Never it stays terminated and the Pod fails.
    t.create('pn', { restartPolicy: 'Never', containers: [{ name: 'app', image: IMAGE, lifecycle: { postStart: { exec: { command: ['false'] } } } }] });
    await t.sync('pn');
    await t.sync('pn');
    expect(t.state('pn', 'app')?.terminated).toMatchObject({ exitCode: 143, reason: 'Error' });
    expect(t.statuses.get('pn')?.phase).toBe('Failed');
  });

  it('preStop runs before the stop signal and what it took comes off the grace period (at least 2 s remain)', async () => {
    const t = setup();
    recordExecs(t, (cmd) => {
      t.clock.advance(cmd[0] === 'slow' ? 40_000 : 12_000);
      return cmd[0] === 'broken' ? 2 : 0;
    });
    const hooked = (name: string, command: string[]) => ({ name, image: IMAGE, lifecycle: { preStop: { exec: { command } } } });
    t.create('st', { containers: [hooked('c', ['drain'])] });
    t.create('sl', { containers: [hooked('c', ['slow'])] });
    t.create('br', { containers: [hooked('c', ['broken'])] });
    for (const name of ['st', 'sl', 'br']) {
      await t.sync(name);
      t.markDeleted(name);
      await t.sync(name);
    }
    const calls = t.runtime.calls.filter((c) => c.startsWith('exec') || c.startsWith('stop k8s_c_'));
    expect(calls).toEqual([
      'exec k8s_c_st_default_uid-st_0 drain',
      'stop k8s_c_st_default_uid-st_0 18',
      'exec k8s_c_sl_default_uid-sl_0 slow',
      'stop k8s_c_sl_default_uid-sl_0 2',
      'exec k8s_c_br_default_uid-br_0 broken',
      'stop k8s_c_br_default_uid-br_0 18',
    ]);
    expect(t.events.filter((e) => e.includes('PreStop'))).toEqual([
      'Warning FailedPreStopHook: Exec lifecycle hook ([broken]) for Container "c" in Pod "br_default(uid-br)" failed - error: command \'broken\' exited with 2: , message: ""',
    ]);
  });

  it('a sleep preStop waits its seconds on the clock; httpGet hooks call the port (by name) with the headers, and fail when nothing listens', async () => {
    const seen: Array<{ url?: string; header?: string | string[] }> = [];
    const server = createServer((req, res) => {
      seen.push({ url: req.url, header: req.headers['x-drain'] });
      res.writeHead(500).end(); // any answer is a success for a hook
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as AddressInfo).port;
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const closedPort = (closed.address() as AddressInfo).port;
    await new Promise((r) => closed.close(r));
    try {
      const t = setup();
      t.create('sp', {
        containers: [
          { name: 'c', image: IMAGE, lifecycle: { preStop: { sleep: { seconds: 5 } } } },
          {
            name: 'h',
            image: IMAGE,
            ports: [{ name: 'admin', containerPort: port }],
            lifecycle: { preStop: { httpGet: { host: '127.0.0.1', port: 'admin', path: 'quit', httpHeaders: [{ name: 'X-Drain', value: 'now' }] } } },
          },
          { name: 'x', image: IMAGE, lifecycle: { preStop: { httpGet: { host: '127.0.0.1', port: closedPort, path: '/quit' } } } },
          { name: 'z', image: IMAGE, lifecycle: { preStop: { sleep: { seconds: 60 } } } },
        ],
      });
      await t.sync('sp');
      t.markDeleted('sp');
      const syncing = t.sync('sp');
      await new Promise((r) => setTimeout(r, 200));
      expect(t.runtime.calls.filter((c) => c.startsWith('stop k8s_c_'))).toEqual([]);
      await t.clock.tick(5_000);
      await new Promise((r) => setTimeout(r, 50));
      expect(t.runtime.calls.filter((c) => c.startsWith('stop k8s_c_'))).toEqual(['stop k8s_c_sp_default_uid-sp_0 25']);
      // A sleep longer than the grace period is cut short by it: a failure, and the minimum 2 s.
      await t.clock.tick(25_000);
      await syncing;
      expect(t.runtime.calls.filter((c) => c.startsWith('stop k8s_z_'))).toEqual(['stop k8s_z_sp_default_uid-sp_0 2']);
      expect(seen).toEqual([{ url: '/quit', header: 'now' }]);
      expect(t.events.filter((e) => e.startsWith('Warning FailedPreStopHook')).sort()).toEqual([
        `Warning FailedPreStopHook: HTTP lifecycle hook (/quit) for Container "x" in Pod "sp_default(uid-sp)" failed - error: Get "http://127.0.0.1:${closedPort}/quit": dial tcp 127.0.0.1:${closedPort}: connect: connection refused`,
        'Warning FailedPreStopHook: Sleep lifecycle hook (60) for Container "z" in Pod "sp_default(uid-sp)" failed - error: container terminated before sleep hook finished',
      ]);
    } finally {
      server.close();
    }
  });
});

describe('sidecar containers on the fake runtime', () => {
  const sidecar = (name: string, extra: Record<string, unknown> = {}) => ({ name, image: IMAGE, restartPolicy: 'Always', ...extra });
  const init = (t: ReturnType<typeof setup>, pod: string, name: string) => t.statuses.get(pod)?.initContainerStatuses?.find((c) => c.name === name);

  it('start in order with the init containers and keep running with the app; they count in readiness', async () => {
    const t = setup();
    t.create('sc', { initContainers: [sidecar('proxy'), { name: 'setup', image: IMAGE }], containers: [{ name: 'app', image: IMAGE }] });
    await t.sync('sc');
    expect(t.runtime.calls.slice(-1)).toEqual(['start k8s_proxy_sc_default_uid-sc_0']);
    expect(t.statuses.get('sc')?.phase).toBe('Pending');
    expect(init(t, 'sc', 'proxy')).toMatchObject({ started: true, ready: true, restartCount: 0 });
    await t.sync('sc');
    expect(t.runtime.calls.slice(-1)).toEqual(['start k8s_setup_sc_default_uid-sc_0']);
    t.runtime.exit(t.runtime.named('k8s_setup_')[0]!.id, 0);
    await t.sync('sc');
    expect(t.runtime.calls.slice(-1)).toEqual(['start k8s_app_sc_default_uid-sc_0']);
    expect(t.runtime.named('k8s_proxy_').map((c) => c.state)).toEqual(['running']);
    const s = t.statuses.get('sc')!;
    expect(s.phase).toBe('Running');
    expect(s.initContainerStatuses?.map((c) => [c.name, Object.keys(c.state ?? {})[0]])).toEqual([
      ['proxy', 'running'],
      ['setup', 'terminated'],
    ]);
    expect(s.conditions?.find((c) => c.type === 'Initialized')?.status).toBe('True');
    expect(s.conditions?.find((c) => c.type === 'Ready')?.status).toBe('True');
  });

  it('the next init container waits for the sidecar startup probe; an unready sidecar makes the Pod unready', async () => {
    const t = setup();
    let ready = 1;
    t.runtime.exec = async (_id, cmd) => ({ exitCode: cmd[0] === 'ready' ? ready : 0, output: '', timedOut: false });
    t.create('sp', {
      initContainers: [sidecar('proxy', { startupProbe: { exec: { command: ['started'] } }, readinessProbe: { exec: { command: ['ready'] } } })],
      containers: [{ name: 'app', image: IMAGE }],
    });
    await t.sync('sp');
    await t.sync('sp');
    expect(t.runtime.named('k8s_app_')).toEqual([]);
    expect(init(t, 'sp', 'proxy')).toMatchObject({ started: false, ready: false });
    await t.clock.tick(0);
    await t.sync('sp');
    expect(t.runtime.named('k8s_app_')).toHaveLength(1);
    await t.sync('sp');
    expect(init(t, 'sp', 'proxy')).toMatchObject({ started: true, ready: false });
    expect(t.statuses.get('sp')?.conditions?.find((c) => c.type === 'ContainersReady')?.message).toBe('containers with unready status: [proxy]');
    ready = 0;
    await t.clock.tick(10_000);
    await t.sync('sp');
    expect(t.statuses.get('sp')?.conditions?.find((c) => c.type === 'Ready')?.status).toBe('True');
  });

  it('is restarted when it exits, with crash-loop back-off, even under restartPolicy Never', async () => {
    const t = setup();
    t.create('sr', { restartPolicy: 'Never', initContainers: [sidecar('proxy')], containers: [{ name: 'app', image: IMAGE }] });
    await t.sync('sr');
    await t.sync('sr');
    expect(t.runtime.named('k8s_app_')).toHaveLength(1);
    t.runtime.exit(t.runtime.named('k8s_proxy_')[0]!.id, 1);
    await t.sync('sr');
    expect(t.runtime.named('k8s_proxy_').map((c) => [c.name, c.state])).toEqual([
      ['k8s_proxy_sr_default_uid-sr_0', 'exited'],
      ['k8s_proxy_sr_default_uid-sr_1', 'running'],
    ]);
    expect(init(t, 'sr', 'proxy')).toMatchObject({ restartCount: 1, started: true, lastState: { terminated: { exitCode: 1, reason: 'Error' } } });
    t.runtime.exit(t.runtime.named('k8s_proxy_').at(-1)!.id, 1);
    await t.sync('sr');
    expect(init(t, 'sr', 'proxy')?.state?.waiting?.reason).toBe('CrashLoopBackOff');
    expect(t.statuses.get('sr')?.phase).toBe('Running');
    t.clock.advance(10_000);
    await t.sync('sr');
    expect(init(t, 'sr', 'proxy')).toMatchObject({ restartCount: 2, state: { running: {} } });
  });

  it('stop after the app containers when the Pod is deleted, the last sidecar first', async () => {
    const t = setup();
    t.create('sd', { initContainers: [sidecar('first'), sidecar('second')], containers: [{ name: 'app', image: IMAGE }] });
    for (let i = 0; i < 3; i++) await t.sync('sd');
    expect(t.runtime.named('k8s_app_')).toHaveLength(1);
    t.markDeleted('sd');
    for (let i = 0; i < 5; i++) await t.sync('sd');
    expect(t.runtime.calls.filter((c) => c.startsWith('stop'))).toEqual([
      'stop k8s_app_sd_default_uid-sd_0 30',
      'stop k8s_second_sd_default_uid-sd_0 2',
      'stop k8s_first_sd_default_uid-sd_0 2',
      'stop k8s_POD_sd_default_uid-sd_0 0',
    ]);
    expect(t.deleted).toEqual(['sd']);
  });

  it('a Job-style Pod succeeds when its app exits 0: its sidecars are stopped, last first, and not restarted', async () => {
    const t = setup();
    t.create('job', { restartPolicy: 'Never', initContainers: [sidecar('a'), sidecar('b')], containers: [{ name: 'main', image: IMAGE }] });
    for (let i = 0; i < 3; i++) await t.sync('job');
    t.runtime.exit(t.runtime.named('k8s_main_')[0]!.id, 0);
    await t.sync('job');
    expect(t.statuses.get('job')?.phase).toBe('Running');
    await t.sync('job');
    await t.sync('job');
    expect(t.runtime.calls.filter((c) => c.startsWith('stop'))).toEqual([
      'stop k8s_b_job_default_uid-job_0 30',
      'stop k8s_a_job_default_uid-job_0 30',
      'stop k8s_POD_job_default_uid-job_0 0',
    ]);
    expect(t.events).toContain('Normal Killing: Stopping container b');
    const s = t.statuses.get('job')!;
    expect(s.phase).toBe('Succeeded');
    expect(s.containerStatuses?.[0]?.state?.terminated).toMatchObject({ exitCode: 0, reason: 'Completed' });
    expect(t.runtime.named('k8s_a_')).toHaveLength(1);
  });
});
