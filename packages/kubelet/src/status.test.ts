import type { Pod } from '@minik8s/api';
import { describe, expect, it } from 'vitest';
import { LABEL_CONTAINER_NAME, LABEL_RESTART_COUNT } from './runtime/labels.ts';
import type { ContainerInfo } from './runtime/runtime.ts';
import { computePodStatus, type StatusInput } from './status.ts';

const NOW = '2026-01-01T00:00:10Z';

function pod(spec: Partial<NonNullable<Pod['spec']>> = {}, status?: Pod['status']): Pod {
  return {
    metadata: { name: 'p', namespace: 'default', uid: 'u' },
    spec: { containers: [{ name: 'app', image: 'img' }], ...spec },
    ...(status ? { status } : {}),
  };
}

function ctr(name: string, attempt: number, o: Partial<ContainerInfo> = {}): ContainerInfo {
  return {
    id: `${name}-${attempt}`,
    name: `k8s_${name}_${attempt}`,
    labels: { [LABEL_CONTAINER_NAME]: name, [LABEL_RESTART_COUNT]: String(attempt) },
    state: 'running',
    image: 'img',
    imageId: 'sha256:abc',
    exitCode: 0,
    oomKilled: false,
    error: '',
    createdAt: '2026-01-01T00:00:00Z',
    startedAt: '2026-01-01T00:00:01Z',
    ips: {},
    ...o,
  };
}

function input(p: Pod, containers: ContainerInfo[], o: Partial<StatusInput> = {}): StatusInput {
  return {
    pod: p,
    containers,
    sandboxRunning: true,
    podIP: '10.244.1.2',
    hostIP: '172.18.0.2',
    waiting: new Map(),
    probe: () => ({ ready: true, started: true }),
    known: new Map(),
    now: NOW,
    ...o,
  };
}

describe('computePodStatus', () => {
  it('a running container makes a Running, Ready Pod', () => {
    const s = computePodStatus(input(pod(), [ctr('app', 0)]));
    expect(s.phase).toBe('Running');
    expect(s.podIP).toBe('10.244.1.2');
    expect(s.hostIPs).toEqual([{ ip: '172.18.0.2' }]);
    expect(s.startTime).toBe(NOW);
    expect(s.qosClass).toBe('BestEffort');
    expect(s.conditions?.map((c) => `${c.type}=${c.status}`)).toEqual([
      'PodReadyToStartContainers=True',
      'Initialized=True',
      'Ready=True',
      'ContainersReady=True',
      'PodScheduled=True',
    ]);
    expect(s.containerStatuses?.[0]).toEqual({
      name: 'app',
      image: 'img',
      imageID: 'docker://sha256:abc',
      containerID: 'docker://app-0',
      state: { running: { startedAt: '2026-01-01T00:00:01Z' } },
      lastState: {},
      ready: true,
      restartCount: 0,
      started: true,
    });
  });

  it('keeps lastTransitionTime while a condition does not change', () => {
    const first = computePodStatus(input(pod(), [ctr('app', 0)]));
    const again = computePodStatus({ ...input(pod({}, first), [ctr('app', 0)]), now: '2026-01-01T00:05:00Z' });
    expect(again.conditions).toEqual(first.conditions);
  });

  it('keeps the conditions others own (DisruptionTarget, readiness gates)', () => {
    const first = computePodStatus(input(pod(), [ctr('app', 0)]));
    const target = { type: 'DisruptionTarget', status: 'True', reason: 'DeletionByTaintManager', lastTransitionTime: '2026-01-01T00:01:00Z' };
    const again = computePodStatus(input(pod({}, { ...first, conditions: [...first.conditions!, target] }), [ctr('app', 0)]));
    expect(again.conditions).toContainEqual(target);
    expect(again.conditions?.find((c) => c.type === 'Ready')?.status).toBe('True');
  });

  it('not ready until the readiness probe succeeds', () => {
    const s = computePodStatus(input(pod(), [ctr('app', 0)], { probe: () => ({ ready: false, started: true }) }));
    expect(s.phase).toBe('Running');
    const ready = s.conditions?.find((c) => c.type === 'Ready');
    expect(ready).toMatchObject({ status: 'False', reason: 'ContainersNotReady', message: 'containers with unready status: [app]' });
  });

  it('a crash loop: waiting CrashLoopBackOff, last state terminated, phase Running', () => {
    const dead = ctr('app', 3, { state: 'exited', exitCode: 1, finishedAt: '2026-01-01T00:00:05Z' });
    const waiting = new Map([['app', { reason: 'CrashLoopBackOff', message: 'back-off 40s restarting failed container=app pod=p_default(u)' }]]);
    const s = computePodStatus(input(pod(), [dead, ctr('app', 2, { state: 'exited', exitCode: 1 })], { waiting }));
    expect(s.phase).toBe('Running');
    const cs = s.containerStatuses?.[0];
    expect(cs?.restartCount).toBe(3);
    expect(cs?.state?.waiting?.reason).toBe('CrashLoopBackOff');
    expect(cs?.lastState?.terminated).toMatchObject({ exitCode: 1, reason: 'Error', containerID: 'docker://app-3' });
  });

  it('restartPolicy Never: exit 0 is Succeeded, exit 1 is Failed', () => {
    const ok = computePodStatus(input(pod({ restartPolicy: 'Never' }), [ctr('app', 0, { state: 'exited', exitCode: 0 })]));
    expect(ok.phase).toBe('Succeeded');
    expect(ok.containerStatuses?.[0]?.state?.terminated?.reason).toBe('Completed');
    expect(ok.conditions?.find((c) => c.type === 'Ready')?.reason).toBe('PodCompleted');
    const bad = computePodStatus(input(pod({ restartPolicy: 'Never' }), [ctr('app', 0, { state: 'exited', exitCode: 2, oomKilled: true })]));
    expect(bad.phase).toBe('Failed');
    expect(bad.containerStatuses?.[0]?.state?.terminated?.reason).toBe('OOMKilled');
  });

  it('init containers: Pending and PodInitializing until they all exit 0', () => {
    const p = pod({
      initContainers: [
        { name: 'i1', image: 'img' },
        { name: 'i2', image: 'img' },
      ],
    });
    const s = computePodStatus(input(p, [ctr('i1', 0, { state: 'exited', exitCode: 0 }), ctr('i2', 0)]));
    expect(s.phase).toBe('Pending');
    expect(s.conditions?.find((c) => c.type === 'Initialized')).toMatchObject({ status: 'False', message: 'containers with incomplete status: [i2]' });
    expect(s.containerStatuses?.[0]?.state?.waiting?.reason).toBe('PodInitializing');
    const failed = computePodStatus(input({ ...p, spec: { ...p.spec!, restartPolicy: 'Never' } }, [ctr('i1', 0, { state: 'exited', exitCode: 1 })]));
    expect(failed.phase).toBe('Failed');
  });

  it('a missing image: waiting ErrImagePull, Pending', () => {
    const waiting = new Map([['app', { reason: 'ErrImagePull', message: 'pull access denied' }]]);
    const s = computePodStatus(input(pod(), [], { waiting }));
    expect(s.phase).toBe('Pending');
    expect(s.containerStatuses?.[0]?.state).toEqual({ waiting: { reason: 'ErrImagePull', message: 'pull access denied' } });
  });

  it('a finished Pod stays finished', () => {
    const s = computePodStatus(input(pod({ restartPolicy: 'Never' }, { phase: 'Succeeded' }), []));
    expect(s.phase).toBe('Succeeded');
  });

  it('sidecars: Pending until started, Initialized once started, in readiness, ignored once stopped', () => {
    const p = pod({ restartPolicy: 'Never', initContainers: [{ name: 'proxy', image: 'img', restartPolicy: 'Always' }] });
    const starting = computePodStatus(input(p, [ctr('proxy', 0)], { probe: () => ({ ready: false, started: false }) }));
    expect(starting.phase).toBe('Pending');
    expect(starting.initContainerStatuses?.[0]).toMatchObject({ name: 'proxy', started: false, ready: false, state: { running: {} } });
    expect(starting.conditions?.find((c) => c.type === 'Initialized')).toMatchObject({
      status: 'False',
      message: 'containers with incomplete status: [proxy]',
    });

    const unready = computePodStatus(input(p, [ctr('proxy', 0), ctr('app', 0)], { probe: (id) => ({ ready: id !== 'proxy-0', started: true }) }));
    expect(unready.phase).toBe('Running');
    expect(unready.conditions?.find((c) => c.type === 'Initialized')?.status).toBe('True');
    expect(unready.conditions?.find((c) => c.type === 'Ready')).toMatchObject({ status: 'False', message: 'containers with unready status: [proxy]' });

    // The app done while the sidecar runs: still Running; once the sidecar has stopped, Succeeded.
    const appDone = ctr('app', 0, { state: 'exited', exitCode: 0 });
    expect(computePodStatus(input(p, [ctr('proxy', 0), appDone])).phase).toBe('Running');
    const done = computePodStatus(input(p, [ctr('proxy', 0, { state: 'exited', exitCode: 143 }), appDone]));
    expect(done.phase).toBe('Succeeded');
    expect(done.initContainerStatuses?.[0]?.state?.terminated).toMatchObject({ exitCode: 143, reason: 'Error' });
  });
});
