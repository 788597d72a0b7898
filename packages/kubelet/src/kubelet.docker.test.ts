/**
 * The kubelet against a real in-process API server and real Docker: what a user sees
 * in Pod status, in `docker ps` and from the logs endpoint.
 */
import type { KubeClient } from '@minik8s/client/kube';
import { eventually } from '@minik8s/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cidrContains } from './internal/ip.ts';
import { type DockerTestEnv, type KubeletTestBed, kubeletTestBed, ON_DOCKER } from './internal/test-env.ts';
import { LABEL_POD_UID } from './runtime/labels.ts';

const IMAGE = 'minik8s/busybox:latest';
const PODS = { version: 'v1', plural: 'pods', namespace: 'default' } as const;

let bed: KubeletTestBed;
let client: KubeClient;
let env: DockerTestEnv;
let nodeName: string;
const createPod: KubeletTestBed['createPod'] = (name, spec) => bed.createPod(name, spec);
const getPod = (name: string) => bed.getPod(name);
const appContainers = (uid: string, name?: string) => bed.appContainers(uid, name);
const logs = (pod: string, container: string, query?: string) => bed.logs(pod, container, query);

beforeAll(async () => {
  bed = await kubeletTestBed('kl');
  ({ client, env, nodeName } = bed);
}, 120_000);

afterAll(() => bed?.close(), 60_000);

describe('kubelet', () => {
  it('registers a Ready node and renews its lease', async () => {
    const node = await eventually(
      async () => {
        const n = await client.get<{
          metadata: { name: string; labels?: Record<string, string> };
          spec?: { podCIDR?: string };
          status?: Record<string, unknown>;
        }>({
          version: 'v1',
          plural: 'nodes',
          name: nodeName,
        });
        const ready = (n.status?.conditions as Array<{ type: string; status: string; reason?: string }> | undefined)?.find((c) => c.type === 'Ready');
        return ready?.status === 'True' && n;
      },
      { ...ON_DOCKER, message: 'a Ready node' },
    );
    expect(node.metadata.labels?.['kubernetes.io/hostname']).toBe(nodeName);
    expect(node.spec?.podCIDR).toBe(env.subnet);
    expect((node.status?.capacity as Record<string, string> | undefined)?.pods).toBe('110');
    expect(node.status?.daemonEndpoints).toEqual({ kubeletEndpoint: { Port: bed.kubelet.port } });
    const lease = await eventually(
      () =>
        client.get<{ metadata: { name: string }; spec?: { holderIdentity?: string; leaseDurationSeconds?: number } }>({
          group: 'coordination.k8s.io',
          version: 'v1',
          plural: 'leases',
          namespace: 'kube-node-lease',
          name: nodeName,
        }),
      { ...ON_DOCKER, message: 'the lease' },
    );
    expect(lease.spec).toMatchObject({ holderIdentity: nodeName, leaseDurationSeconds: 40 });
  });

  it('runs a Pod to Running and Ready; its containers share localhost; logs with tailLines', async () => {
    await createPod('web', {
      containers: [
        {
          name: 'web',
          image: IMAGE,
          imagePullPolicy: 'IfNotPresent',
          command: ['sh', '-c', 'mkdir -p /www && echo hello-from-$(POD) > /www/index.html && exec httpd -f -p 8080 -h /www'],
          env: [{ name: 'POD', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } }],
          readinessProbe: { httpGet: { path: '/', port: 8080 }, periodSeconds: 1 },
        },
        {
          name: 'client',
          image: IMAGE,
          imagePullPolicy: 'IfNotPresent',
          command: ['sh', '-c', 'echo first; while true; do wget -qO- http://localhost:8080/ 2>&1; sleep 1; done'],
        },
      ],
    });
    const pod = await eventually(
      async () => {
        const p = await getPod('web');
        return p.status?.phase === 'Running' && p.status.conditions?.find((c) => c.type === 'Ready')?.status === 'True' && p;
      },
      { ...ON_DOCKER, message: 'web Running and Ready' },
    );
    expect(cidrContains(env.subnet, pod.status?.podIP ?? '')).toBe(true);
    expect(pod.status?.podIPs).toEqual([{ ip: pod.status?.podIP }]);
    expect(pod.status?.hostIP).toBe(bed.gateway);
    const web = pod.status?.containerStatuses?.find((c) => c.name === 'web');
    expect(web).toMatchObject({ ready: true, started: true, restartCount: 0, image: IMAGE });
    expect(web?.containerID).toMatch(/^docker:\/\/[0-9a-f]{64}$/);
    expect(web?.state?.running?.startedAt).toBeTruthy();
    const out = await eventually(
      async () => {
        const text = await logs('web', 'client');
        return text.includes('hello-from-web') && text;
      },
      { ...ON_DOCKER, message: 'the client reaching web over localhost' },
    );
    expect(out.startsWith('first\n')).toBe(true);
    const tail = await logs('web', 'client', '?tailLines=1');
    expect(tail.trim().split('\n')).toHaveLength(1);
    expect((await fetch(`http://127.0.0.1:${bed.kubelet.port}/containerLogs/default/web/nope`)).status).toBe(404);
    expect(await (await fetch(`http://127.0.0.1:${bed.kubelet.port}/healthz`)).text()).toBe('ok');
  });

  it('a crashing container goes into CrashLoopBackOff with a growing restartCount', async () => {
    const pod = await createPod('crash', {
      containers: [{ name: 'c', image: IMAGE, imagePullPolicy: 'IfNotPresent', command: ['sh', '-c', 'echo boom; exit 3'] }],
    });
    const cs = await eventually(
      async () => {
        const p = await getPod('crash');
        const s = p.status?.containerStatuses?.[0];
        return s?.state?.waiting?.reason === 'CrashLoopBackOff' && (s.restartCount ?? 0) >= 1 && s;
      },
      { ...ON_DOCKER, message: 'CrashLoopBackOff' },
    );
    expect(cs.state?.waiting?.message).toMatch(
      new RegExp(`^back-off \\d+(\\.\\d+)?m?s restarting failed container=c pod=crash_default\\(${pod.metadata?.uid}\\)$`),
    );
    expect(cs.lastState?.terminated).toMatchObject({ exitCode: 3, reason: 'Error' });
    await eventually(async () => ((await getPod('crash')).status?.containerStatuses?.[0]?.restartCount ?? 0) >= 2, {
      ...ON_DOCKER,
      message: 'restartCount 2',
      timeoutMs: 15_000,
    });
    expect((await getPod('crash')).status?.phase).toBe('Running');
    expect(await logs('crash', 'c', '?previous=true')).toBe('boom\n');
  });

  it('a missing image: ErrImagePull, then ImagePullBackOff; Never: ErrImageNeverPull', async () => {
    await createPod('noimage', { containers: [{ name: 'c', image: 'minik8s/does-not-exist:v1', imagePullPolicy: 'IfNotPresent' }] });
    await createPod('never', { containers: [{ name: 'c', image: 'minik8s/does-not-exist:v1', imagePullPolicy: 'Never' }] });
    const seen = new Set<string>();
    await eventually(
      async () => {
        const r = (await getPod('noimage')).status?.containerStatuses?.[0]?.state?.waiting?.reason;
        if (r) seen.add(r);
        return seen.has('ErrImagePull') && seen.has('ImagePullBackOff');
      },
      { ...ON_DOCKER, message: 'ErrImagePull then ImagePullBackOff' },
    );
    const never = await eventually(
      async () => {
        const s = (await getPod('never')).status?.containerStatuses?.[0]?.state?.waiting;
        return s?.reason === 'ErrImageNeverPull' && s;
      },
      { ...ON_DOCKER, message: 'ErrImageNeverPull' },
    );
    expect(never.message).toBe('Container image "minik8s/does-not-exist:v1" is not present with pull policy of Never');
    expect((await getPod('noimage')).status?.phase).toBe('Pending');
  });

  it('recreates an app container removed with docker rm -f, restartCount 1', async () => {
    const pod = await createPod('rmf', { containers: [{ name: 'c', image: IMAGE, imagePullPolicy: 'IfNotPresent', command: ['sleep', '3600'] }] });
    const uid = pod.metadata!.uid!;
    await eventually(async () => (await getPod('rmf')).status?.phase === 'Running', { ...ON_DOCKER, message: 'rmf Running' });
    const [first] = await appContainers(uid, 'c');
    await env.docker.getContainer(first!.Id).remove({ force: true });
    const s = await eventually(
      async () => {
        const cs = (await getPod('rmf')).status?.containerStatuses?.[0];
        return cs?.restartCount === 1 && cs.state?.running && cs;
      },
      { ...ON_DOCKER, message: 'restartCount 1' },
    );
    expect(s.containerID).not.toBe(`docker://${first!.Id}`);
  });

  it('a restarted kubelet adopts running containers without restarting them', async () => {
    const pod = await getPod('rmf');
    const before = pod.status?.containerStatuses?.[0];
    await bed.restart();
    // The new kubelet has looked at the Pod (its first sync, then the relist's or the resync's) and left it alone.
    await eventually(() => bed.kubelet.podSyncs(pod.metadata!.uid!) >= 2, { ...ON_DOCKER, message: 'two syncs of rmf by the new kubelet' });
    const after = (await getPod('rmf')).status?.containerStatuses?.[0];
    expect(after?.containerID).toBe(before?.containerID);
    expect(after?.restartCount).toBe(1);
    expect(after?.state?.running?.startedAt).toBe(before?.state?.running?.startedAt);
    expect((await appContainers(pod.metadata!.uid!)).map((c) => c.State)).toEqual(['running']);
  });

  it('deleting a Pod removes its containers and sandbox', async () => {
    const pod = await getPod('rmf');
    await client.delete({ ...PODS, name: 'rmf' });
    await eventually(async () => (await env.docker.listContainers({ all: true, filters: { label: [`${LABEL_POD_UID}=${pod.metadata!.uid}`] } })).length === 0, {
      ...ON_DOCKER,
      message: 'containers gone',
      timeoutMs: 20_000,
    });
  });
});
