/**
 * Pod syncs carried out on the in-memory runtime, with a fake clock: what Docker would
 * be asked to do, the status the API server would get, the events a user would see,
 * and that nothing is remembered of a Pod once it is gone.
 */
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
