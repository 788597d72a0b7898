/**
 * The kubelet's container lifecycle against a real API server and real Docker: init
 * containers, restart policies, liveness and startup probes, the container config Docker
 * gets (env, workingDir, limits), OOMKilled, and graceful termination.
 */
import type { ContainerStatus, Pod } from '@minik8s/api';
import { type CoreEvent, isNotFound } from '@minik8s/client/kube';
import { eventually } from '@minik8s/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cidrContains } from './internal/ip.ts';
import { type KubeletTestBed, kubeletTestBed, ON_DOCKER } from './internal/test-env.ts';
import { LABEL_POD_UID } from './runtime/labels.ts';

const IMAGE = 'minik8s/busybox:latest';
const busybox = (name: string, script: string) => ({ name, image: IMAGE, imagePullPolicy: 'IfNotPresent', command: ['sh', '-c', script] });

let bed: KubeletTestBed;

beforeAll(async () => {
  bed = await kubeletTestBed('lc');
}, 120_000);

afterAll(() => bed?.close(), 60_000);

const phaseOf = async (name: string) => (await bed.getPod(name)).status?.phase;
const statusOf = async (name: string, container: string): Promise<ContainerStatus | undefined> => {
  const s = (await bed.getPod(name)).status;
  return [...(s?.initContainerStatuses ?? []), ...(s?.containerStatuses ?? [])].find((c) => c.name === container);
};
const seconds = (t: string | undefined) => Date.parse(t ?? '');

async function events(pod: string): Promise<CoreEvent[]> {
  const list = await bed.client.list<CoreEvent>({ version: 'v1', plural: 'events', namespace: 'default' }, { fieldSelector: `involvedObject.name=${pod}` });
  return list.items;
}

describe('init containers', () => {
  it('run one at a time, in order, to completion before the app containers start', async () => {
    await bed.createPod('init-order', {
      initContainers: [busybox('first', 'echo first-done; sleep 1'), busybox('second', 'echo second-done')],
      containers: [busybox('app', 'exec sleep 3600')],
    });
    const pod = await eventually(
      async () => {
        const p = await bed.getPod('init-order');
        return p.status?.phase === 'Running' && p;
      },
      { ...ON_DOCKER, message: 'init-order Running' },
    );
    const [first, second] = pod.status?.initContainerStatuses ?? [];
    expect(first?.state?.terminated).toMatchObject({ exitCode: 0, reason: 'Completed' });
    expect(second?.state?.terminated).toMatchObject({ exitCode: 0, reason: 'Completed' });
    expect(seconds(second?.state?.terminated?.startedAt)).toBeGreaterThanOrEqual(seconds(first?.state?.terminated?.finishedAt));
    const app = pod.status?.containerStatuses?.[0];
    expect(seconds(app?.state?.running?.startedAt)).toBeGreaterThanOrEqual(seconds(second?.state?.terminated?.finishedAt));
    expect(pod.status?.conditions?.find((c) => c.type === 'Initialized')?.status).toBe('True');
    expect(await bed.logs('init-order', 'first')).toBe('first-done\n');
  });

  it('a failed init container fails the Pod under restartPolicy Never and its app never starts', async () => {
    const pod = await bed.createPod('init-fail', {
      restartPolicy: 'Never',
      initContainers: [busybox('setup', 'echo cannot; exit 2')],
      containers: [busybox('app', 'exec sleep 3600')],
    });
    await eventually(async () => (await phaseOf('init-fail')) === 'Failed', { ...ON_DOCKER, message: 'init-fail Failed' });
    expect((await statusOf('init-fail', 'setup'))?.state?.terminated).toMatchObject({ exitCode: 2, reason: 'Error' });
    expect((await statusOf('init-fail', 'app'))?.state?.waiting?.reason).toBe('PodInitializing');
    expect(await bed.appContainers(pod.metadata.uid, 'app')).toEqual([]);
  });

  it('a failed init container is retried with back-off under restartPolicy Always', async () => {
    await bed.createPod('init-retry', {
      initContainers: [busybox('setup', 'exit 1')],
      containers: [busybox('app', 'exec sleep 3600')],
    });
    const s = await eventually(
      async () => {
        const c = await statusOf('init-retry', 'setup');
        return (c?.restartCount ?? 0) >= 1 && c;
      },
      { ...ON_DOCKER, message: 'the init container restarted' },
    );
    expect(s.lastState?.terminated?.exitCode ?? s.state?.terminated?.exitCode).toBe(1);
    expect(await phaseOf('init-retry')).toBe('Pending');
  });
});

describe('restart policies', () => {
  it('Never: exit 0 is Succeeded, exit 1 is Failed, and neither is restarted', async () => {
    const ok = await bed.createPod('never-ok', { restartPolicy: 'Never', containers: [busybox('c', 'exit 0')] });
    const fail = await bed.createPod('never-fail', { restartPolicy: 'Never', containers: [busybox('c', 'exit 1')] });
    await eventually(async () => (await phaseOf('never-ok')) === 'Succeeded', { ...ON_DOCKER, message: 'never-ok Succeeded' });
    await eventually(async () => (await phaseOf('never-fail')) === 'Failed', { ...ON_DOCKER, message: 'never-fail Failed' });
    // One more look at each finished Pod, which leaves it alone.
    const syncs = (p: { metadata: { uid: string } }) => bed.kubelet.podSyncs(p.metadata.uid);
    const [okBefore, failBefore] = [syncs(ok), syncs(fail)];
    await eventually(() => syncs(ok) > okBefore && syncs(fail) > failBefore, { ...ON_DOCKER, message: 'another sync of both' });
    expect(await statusOf('never-ok', 'c')).toMatchObject({ restartCount: 0, state: { terminated: { exitCode: 0, reason: 'Completed' } } });
    expect(await statusOf('never-fail', 'c')).toMatchObject({ restartCount: 0, state: { terminated: { exitCode: 1, reason: 'Error' } } });
    // The finished Pod's sandbox is stopped: nothing of it runs any more.
    await eventually(
      async () => {
        const cs = await bed.env.docker.listContainers({ filters: { label: [`${LABEL_POD_UID}=${ok.metadata.uid}`] } });
        return cs.length === 0;
      },
      { ...ON_DOCKER, message: 'nothing of never-ok running' },
    );
  });

  it('OnFailure: exit 0 is Succeeded; a failing container is restarted', async () => {
    await bed.createPod('onfailure-ok', { restartPolicy: 'OnFailure', containers: [busybox('c', 'exit 0')] });
    await bed.createPod('onfailure-fail', { restartPolicy: 'OnFailure', containers: [busybox('c', 'exit 3')] });
    await eventually(async () => (await phaseOf('onfailure-ok')) === 'Succeeded', { ...ON_DOCKER, message: 'onfailure-ok Succeeded' });
    const s = await eventually(
      async () => {
        const c = await statusOf('onfailure-fail', 'c');
        return (c?.restartCount ?? 0) >= 1 && c;
      },
      { ...ON_DOCKER, message: 'onfailure-fail restarted' },
    );
    expect(s.lastState?.terminated?.exitCode ?? s.state?.terminated?.exitCode).toBe(3);
    expect(await phaseOf('onfailure-fail')).toBe('Running');
    expect((await statusOf('onfailure-ok', 'c'))?.restartCount).toBe(0);
  });
});

describe('probes', () => {
  it('a failing liveness probe restarts the container, with Unhealthy and Killing events', async () => {
    await bed.createPod('liveness', {
      containers: [
        {
          ...busybox('c', 'touch /tmp/healthy; sleep 2; rm /tmp/healthy; exec sleep 3600'),
          livenessProbe: { exec: { command: ['cat', '/tmp/healthy'] }, periodSeconds: 1, failureThreshold: 1 },
        },
      ],
    });
    await eventually(async () => ((await statusOf('liveness', 'c'))?.restartCount ?? 0) >= 1, {
      ...ON_DOCKER,
      message: 'a liveness restart',
      timeoutMs: 20_000,
    });
    const evs = await events('liveness');
    expect(evs).toContainEqual(
      expect.objectContaining({
        type: 'Warning',
        reason: 'Unhealthy',
        message: expect.stringMatching(/^Liveness probe failed: cat: can't open '\/tmp\/healthy'/),
      }),
    );
    expect(evs).toContainEqual(expect.objectContaining({ reason: 'Killing', message: 'Container c failed liveness probe, will be restarted' }));
  });

  it('a startup probe holds back readiness until it succeeds; one that keeps failing restarts the container', async () => {
    await bed.createPod('startup', {
      containers: [
        {
          ...busybox('web', 'sleep 2; touch /tmp/started; mkdir -p /www; exec httpd -f -p 8080 -h /www'),
          startupProbe: { exec: { command: ['cat', '/tmp/started'] }, periodSeconds: 1, failureThreshold: 30 },
          readinessProbe: { tcpSocket: { port: 8080 }, periodSeconds: 1 },
        },
      ],
    });
    await bed.createPod('never-starts', {
      containers: [{ ...busybox('c', 'exec sleep 3600'), startupProbe: { exec: { command: ['false'] }, periodSeconds: 1, failureThreshold: 2 } }],
    });
    const early = await eventually(
      async () => {
        const c = await statusOf('startup', 'web');
        return c?.state?.running && c;
      },
      { ...ON_DOCKER, message: 'startup running, not yet started' },
    );
    expect(early).toMatchObject({ started: false, ready: false });
    const later = await eventually(
      async () => {
        const c = await statusOf('startup', 'web');
        return c?.ready && c;
      },
      { ...ON_DOCKER, message: 'startup started and ready' },
    );
    expect(later).toMatchObject({ started: true, restartCount: 0 });
    await eventually(async () => ((await statusOf('never-starts', 'c'))?.restartCount ?? 0) >= 1, {
      ...ON_DOCKER,
      message: 'never-starts restarted',
      timeoutMs: 20_000,
    });
    expect(await events('never-starts')).toContainEqual(
      expect.objectContaining({ reason: 'Killing', message: 'Container c failed startup probe, will be restarted' }),
    );
  });
});

describe('container config', () => {
  it('passes env (values and field references), workingDir and limits to Docker', async () => {
    const pod = await bed.createPod('config', {
      containers: [
        {
          ...busybox('c', 'echo "$GREETING $MY_NS $MY_POD $MY_IP $(pwd)"; exec sleep 3600'),
          workingDir: '/tmp',
          env: [
            { name: 'GREETING', value: 'hello' },
            { name: 'MY_NS', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
            { name: 'MY_POD', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
            { name: 'MY_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } },
          ],
          resources: { limits: { cpu: '500m', memory: '64Mi' } },
        },
      ],
    });
    const out = await eventually(
      async () => {
        const text = (await bed.logs('config', 'c')).trim();
        return text.startsWith('hello ') && text;
      },
      { ...ON_DOCKER, message: 'the container output' },
    );
    const [greeting, ns, name, ip, cwd] = out.split(' ');
    expect([greeting, ns, name, cwd]).toEqual(['hello', 'default', 'config', '/tmp']);
    expect(cidrContains(bed.env.subnet, ip ?? '')).toBe(true);
    // The container may print before the kubelet has written the status.
    expect(await eventually(async () => (await bed.getPod('config')).status?.podIP, { ...ON_DOCKER, message: 'the podIP in the status' })).toBe(ip);
    const [c] = await bed.appContainers(pod.metadata.uid, 'c');
    const info = await bed.env.docker.getContainer(c!.Id).inspect();
    expect(info.HostConfig.Memory).toBe(64 * 1024 * 1024);
    expect(info.HostConfig.NanoCpus).toBe(500_000_000);
  });

  it('a container over its memory limit is OOMKilled (exit code 137)', async () => {
    await bed.createPod('oom', {
      restartPolicy: 'Never',
      containers: [{ ...busybox('c', 'head -c 200000000 /dev/zero | tail'), resources: { limits: { memory: '16Mi' } } }],
    });
    await eventually(async () => (await phaseOf('oom')) === 'Failed', { ...ON_DOCKER, message: 'oom Failed', timeoutMs: 30_000 });
    expect((await statusOf('oom', 'c'))?.state?.terminated).toMatchObject({ exitCode: 137, reason: 'OOMKilled' });
  });
});

describe('Pod networking', () => {
  it('ClusterFirst: the cluster DNS in resolv.conf, and the Service range routed through the node', async () => {
    await bed.createPod('dns', { containers: [busybox('c', 'cat /etc/resolv.conf; ip route; echo end; exec sleep 3600')] });
    const out = await eventually(
      async () => {
        const text = await bed.logs('dns', 'c');
        return text.endsWith('end\n') && text;
      },
      { ...ON_DOCKER, message: 'the container output' },
    );
    expect(out).toContain('search default.svc.cluster.local svc.cluster.local cluster.local');
    expect(out).toContain('nameserver 10.96.0.10\noptions ndots:5\n');
    expect(out).toContain(`10.96.0.0/16 via ${bed.gateway}`);
  });

  it('dnsPolicy Default keeps the node resolver; None takes dnsConfig only', async () => {
    await bed.createPod('dns-default', { dnsPolicy: 'Default', containers: [busybox('c', 'cat /etc/resolv.conf; echo end; exec sleep 3600')] });
    await bed.createPod('dns-none', {
      dnsPolicy: 'None',
      dnsConfig: { nameservers: ['10.96.0.99'], searches: ['example.test'], options: [{ name: 'ndots', value: '2' }] },
      containers: [busybox('c', 'cat /etc/resolv.conf; echo end; exec sleep 3600')],
    });
    const def = await eventually(
      async () => {
        const text = await bed.logs('dns-default', 'c');
        return text.endsWith('end\n') && text;
      },
      { ...ON_DOCKER, message: 'dns-default output' },
    );
    expect(def).not.toContain('10.96.0.10');
    expect(def).toContain('nameserver 127.0.0.11'); // Docker's resolver on the pod network, as the node has
    const none = await eventually(
      async () => {
        const text = await bed.logs('dns-none', 'c');
        return text.endsWith('end\n') && text;
      },
      { ...ON_DOCKER, message: 'dns-none output' },
    );
    expect(none).toBe('search example.test\nnameserver 10.96.0.99\noptions ndots:2\nend\n');
  });
});

describe('graceful termination', () => {
  const deleteAndTime = async (name: string): Promise<number> => {
    const t0 = Date.now();
    await bed.client.delete({ version: 'v1', plural: 'pods', namespace: 'default', name });
    // The Pod stays, marked for deletion, until the kubelet has stopped its containers.
    expect((await bed.getPod(name)).metadata.deletionTimestamp).toBeTruthy();
    await eventually(
      async () => {
        try {
          await bed.getPod(name);
          return false;
        } catch (e) {
          return isNotFound(e);
        }
      },
      { ...ON_DOCKER, message: `${name} gone`, timeoutMs: 30_000 },
    );
    return Date.now() - t0;
  };
  const running = async (name: string): Promise<Pod> =>
    eventually(
      async () => {
        const p = await bed.getPod(name);
        return p.status?.phase === 'Running' && p;
      },
      { ...ON_DOCKER, message: `${name} Running` },
    );

  it('sends SIGTERM first: a container that handles it stops long before the grace period', async () => {
    await bed.createPod('term', {
      terminationGracePeriodSeconds: 30,
      containers: [busybox('c', 'trap "exit 0" TERM; while true; do sleep 0.2; done')],
    });
    await running('term');
    expect(await deleteAndTime('term')).toBeLessThan(10_000);
  });

  it('sends SIGKILL when the grace period is over', async () => {
    const pod = await bed.createPod('kill', { terminationGracePeriodSeconds: 3, containers: [busybox('c', 'exec sleep 3600')] });
    await running('kill');
    const took = await deleteAndTime('kill');
    expect(took).toBeGreaterThanOrEqual(3000);
    expect(took).toBeLessThan(15_000);
    const left = await bed.env.docker.listContainers({ all: true, filters: { label: [`${LABEL_POD_UID}=${pod.metadata.uid}`] } });
    expect(left).toEqual([]);
  });
});
