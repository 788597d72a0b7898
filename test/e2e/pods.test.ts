/**
 * Pods as real Docker containers, through the compose cluster (`pnpm cluster up`):
 * a Deployment spreads over both nodes, the kubelet restarts what Docker loses, crash
 * loops and missing images show upstream's reasons, rollouts respect maxUnavailable and
 * undo, scaling, deletion, kubelet and API server restarts leave running Pods alone,
 * and `down`/`up` keeps every object. The images are built here, locally; nothing is pulled.
 */
import { rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Deployment, KubeObject, Pod } from '@minik8s/api';
import type { Lease } from '@minik8s/client/kube';
import { eventually } from '@minik8s/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeCronJobs } from './cronjobs.ts';
import { describeDaemonSets } from './daemonsets.ts';
import { describeDrain } from './drain.ts';
import { type Cluster, clusterAlreadyRunning, must, ON_CLUSTER, ROOT, startCluster } from './harness.ts';
import { describeJobs } from './jobs.ts';
import { describeNodeFailure } from './node-failure.ts';
import { describeStatefulSets } from './statefulsets.ts';
import { describeTraffic } from './traffic.ts';

const NS = 'e2e';
const PODS = { version: 'v1', plural: 'pods', namespace: NS };
const DEPLOYS = { group: 'apps', version: 'v1', plural: 'deployments', namespace: NS };
const LEASES = { group: 'coordination.k8s.io', version: 'v1', plural: 'leases', namespace: 'kube-node-lease' };
const NODES = ['node-1', 'node-2'];
let c: Cluster;

const deployment = (name: string, image: string, replicas: number) => `apiVersion: apps/v1
kind: Deployment
metadata: {name: ${name}, namespace: ${NS}}
spec:
  replicas: ${replicas}
  selector: {matchLabels: {app: ${name}}}
  strategy: {rollingUpdate: {maxSurge: 1, maxUnavailable: 1}}
  template:
    metadata: {labels: {app: ${name}}}
    spec:
      terminationGracePeriodSeconds: 2
      containers:
      - name: app
        image: ${image}
        env: [{name: POD_NAME, valueFrom: {fieldRef: {fieldPath: metadata.name}}}]
        readinessProbe: {httpGet: {path: /healthz, port: 8080}, periodSeconds: 1}
`;

/**
 * Waits until each kubelet has renewed its node Lease `times` more times (every 10 s, the
 * first at its start): proof that it runs, talks to the API server, and has had its
 * loops (a relist every second, a resync every 10 s) act on what they found.
 */
async function leaseRenewals(times: number): Promise<void> {
  const renewTime = async (node: string) => (await c.client.get<Lease>({ ...LEASES, name: node })).spec?.renewTime;
  const seen = await Promise.all(NODES.map(async (node) => [await renewTime(node)]));
  await eventually(
    async () => {
      const now = await Promise.all(NODES.map(renewTime));
      now.forEach((t, i) => {
        if (t !== seen[i]!.at(-1)) seen[i]!.push(t);
      });
      return seen.every((s) => s.length > times);
    },
    { ...ON_CLUSTER, message: `both kubelets to renew their Lease ${times} times` },
  );
}

async function podsOf(app: string): Promise<Pod[]> {
  return (await c.client.list<Pod & { metadata: { name: string } }>(PODS, { labelSelector: `app=${app}` })).items as Pod[];
}

/** App containers Docker runs for a Pod (not the sandbox). */
async function containersOf(pod: string): Promise<string[]> {
  const r = await must('docker', [
    'ps',
    '-q',
    '--filter',
    `label=io.kubernetes.pod.name=${pod}`,
    '--filter',
    `label=io.kubernetes.pod.namespace=${NS}`,
    '--filter',
    'label=io.kubernetes.docker.type=container',
  ]);
  return r.stdout.split('\n').filter(Boolean);
}

async function allPodContainers(): Promise<string[]> {
  const r = await must('docker', ['ps', '-aq', '--filter', `label=io.kubernetes.pod.namespace=${NS}`]);
  return r.stdout.split('\n').filter(Boolean);
}

const readyPods = async (app: string, n: number) => {
  const pods = await podsOf(app);
  const ready = pods.filter((p) => !p.metadata?.deletionTimestamp && p.status?.conditions?.some((x) => x.type === 'Ready' && x.status === 'True'));
  return ready.length === n && pods.length === n ? ready : undefined;
};

beforeAll(async () => {
  if (await clusterAlreadyRunning()) throw new Error('a minik8s cluster is already running: stop it (pnpm cluster down) before the end-to-end tests');
  const base = (await must('docker', ['images', '-q', 'node:20-bookworm-slim'])).stdout.trim() ? 'node:20-bookworm-slim' : 'minik8s/node-base:20';
  c = await startCluster();
  for (const v of ['v1', 'v2']) {
    await must('docker', [
      'build',
      '-q',
      '-t',
      `minik8s/echo:${v}`,
      '--build-arg',
      `BASE=${base}`,
      '--build-arg',
      `VERSION=${v}`,
      join(ROOT, 'test', 'e2e', 'images', 'echo'),
    ]);
  }
  await must('kubectl', ['create', 'namespace', NS], { env: { KUBECONFIG: c.kubeconfig, HOME: c.state } });
}, 900_000);

afterAll(async () => {
  if (!c) return;
  await c.client.close();
  const r = await c.cluster(['reset']);
  if (r.code !== 0) process.stderr.write(r.stdout + r.stderr);
  rmSync(c.state, { recursive: true, force: true });
}, 120_000);

describe('the compose cluster', () => {
  it('has two Ready nodes that kubectl lists', async () => {
    const r = await c.kubectl(['get', 'nodes']);
    expect(r.stdout).toMatch(/^node-1\s+Ready\s/m);
    expect(r.stdout).toMatch(/^node-2\s+Ready\s/m);
  });

  it('keeps its state private: the store, certificates and node directories are 0700', () => {
    const mode = (p: string) => (statSync(join(c.state, p)).mode & 0o777).toString(8);
    const dirs = ['.', 'pki', 'etcdlite', 'etcdlite/wal', 'apiserver', 'apiserver/pki', 'node-1', 'node-2'];
    expect(Object.fromEntries(dirs.map((d) => [d, mode(d)]))).toEqual(Object.fromEntries(dirs.map((d) => [d, '700'])));
  });

  it('runs a Deployment of 3 replicas as 3 containers spread over both nodes', async () => {
    await must('kubectl', ['apply', '-f', '-'], { env: { KUBECONFIG: c.kubeconfig, HOME: c.state }, input: deployment('web', 'minik8s/echo:v1', 3) });
    const pods = await eventually(() => readyPods('web', 3), { ...ON_CLUSTER, message: '3 ready pods', timeoutMs: 90_000 });
    const nodes = new Set(pods.map((p) => p.spec?.nodeName));
    expect(nodes).toEqual(new Set(['node-1', 'node-2']));
    for (const p of pods) {
      expect(await containersOf(p.metadata?.name as string)).toHaveLength(1);
      // Pod IPs come from the node's pod CIDR.
      expect(p.status?.podIP).toMatch(p.spec?.nodeName === 'node-1' ? /^10\.244\.1\./ : /^10\.244\.2\./);
    }
    const wide = await c.mkctl(['get', 'pods', '-n', NS, '-o', 'wide']);
    for (const p of pods) expect(wide.stdout).toContain(p.status?.podIP as string);
  });

  it('restarts an app container removed with docker rm -f (restartCount 1)', async () => {
    const [pod] = await podsOf('web');
    const name = pod?.metadata?.name as string;
    const [id] = await containersOf(name);
    await must('docker', ['rm', '-f', id as string]);
    const restarted = await eventually(
      async () => {
        const p = await c.client.get<Pod & { metadata: { name: string } }>({ ...PODS, name });
        const s = p.status?.containerStatuses?.[0];
        return s?.restartCount === 1 && s.ready ? p : undefined;
      },
      { ...ON_CLUSTER, message: 'restartCount 1' },
    );
    expect(restarted.status?.containerStatuses?.[0]?.restartCount).toBe(1);
    expect(await containersOf(name)).toHaveLength(1);
  });

  it('shows CrashLoopBackOff for a crashing container and ErrImagePull / ImagePullBackOff for a missing image', async () => {
    await must(
      'kubectl',
      ['run', 'crash', '-n', NS, '--image=minik8s/busybox:latest', '--image-pull-policy=IfNotPresent', '--', 'sh', '-c', 'echo dying; exit 3'],
      { env: { KUBECONFIG: c.kubeconfig, HOME: c.state } },
    );
    await must('kubectl', ['run', 'noimage', '-n', NS, '--image=minik8s/does-not-exist:v9'], { env: { KUBECONFIG: c.kubeconfig, HOME: c.state } });
    const seen = new Set<string>();
    await eventually(
      async () => {
        for (const name of ['crash', 'noimage']) {
          const p = await c.client.get<Pod & { metadata: { name: string } }>({ ...PODS, name });
          const reason = p.status?.containerStatuses?.[0]?.state?.waiting?.reason;
          if (reason) seen.add(`${name}:${reason}`);
        }
        return seen.has('crash:CrashLoopBackOff') && seen.has('noimage:ErrImagePull') && seen.has('noimage:ImagePullBackOff');
      },
      { ...ON_CLUSTER, message: 'CrashLoopBackOff and ImagePullBackOff', timeoutMs: 90_000, intervalMs: 100 },
    );
    const crash = await c.client.get<Pod & { metadata: { name: string } }>({ ...PODS, name: 'crash' });
    expect(crash.status?.containerStatuses?.[0]?.lastState?.terminated?.exitCode).toBe(3);
    const logs = await c.kubectl(['logs', '-n', NS, 'crash', '--previous']);
    expect(logs.stdout).toBe('dying\n');
    await must('kubectl', ['delete', 'pod', '-n', NS, 'crash', 'noimage', '--wait=true'], { env: { KUBECONFIG: c.kubeconfig, HOME: c.state } });
  });

  it('runs a Deployment of a locally built :latest image (pull policy Always) with a Warning PulledLocal event', async () => {
    const env = { env: { KUBECONFIG: c.kubeconfig, HOME: c.state } };
    await must('kubectl', ['create', 'deployment', 'local-latest', '-n', NS, '--image=minik8s/busybox:latest', '--', 'sleep', '3600'], env);
    const pod = await eventually(
      async () => {
        const pods = (await c.client.list<Pod>({ ...PODS }, { labelSelector: 'app=local-latest' })).items;
        return pods.find((p) => p.status?.containerStatuses?.[0]?.state?.running);
      },
      { ...ON_CLUSTER, message: 'the local-latest Pod to run' },
    );
    expect(pod.spec?.containers[0]?.imagePullPolicy).toBe('Always');
    const events = await c.client.list<KubeObject & { reason?: string; type?: string; message?: string; involvedObject: { name?: string } }>({
      version: 'v1',
      plural: 'events',
      namespace: NS,
    });
    const warning = events.items.find((e) => e.reason === 'PulledLocal' && e.involvedObject.name === pod.metadata?.name);
    expect(warning?.type).toBe('Warning');
    expect(warning?.message).toMatch(
      /^Failed to pull image "minik8s\/busybox:latest" \(.+\); running the image of that name on this node instead: sha256:[0-9a-f]{64}$/,
    );
    await must('kubectl', ['delete', 'deployment', '-n', NS, 'local-latest', '--wait=true'], env);
  });

  it('rolls an image update out within maxUnavailable, and rollout undo brings the old image back', async () => {
    const ac = new AbortController();
    const watch = c.client.watch<Pod & { metadata: { name: string } }>(PODS, { labelSelector: 'app=web', signal: ac.signal });
    const ready = new Map<string, boolean>();
    let minReady = Number.POSITIVE_INFINITY;
    const watching = (async () => {
      for await (const ev of watch) {
        const p = ev.object;
        const isReady =
          ev.type !== 'DELETED' && !p.metadata.deletionTimestamp && !!p.status?.conditions?.some((x) => x.type === 'Ready' && x.status === 'True');
        ready.set(p.metadata.name, isReady);
        if (ready.size >= 3) minReady = Math.min(minReady, [...ready.values()].filter(Boolean).length);
      }
    })().catch(() => {});
    await eventually(async () => ready.size >= 3, { ...ON_CLUSTER, message: 'watch primed' });
    await must('kubectl', ['set', 'image', '-n', NS, 'deployment/web', 'app=minik8s/echo:v2'], { env: { KUBECONFIG: c.kubeconfig, HOME: c.state } });
    const status = await c.kubectl(['rollout', 'status', '-n', NS, 'deployment/web', '--timeout=120s']);
    expect(status.stdout).toContain('deployment "web" successfully rolled out');
    const pods = await eventually(
      async () => {
        const r = await readyPods('web', 3);
        return r?.every((p) => p.spec?.containers[0]?.image === 'minik8s/echo:v2') ? r : undefined;
      },
      { ...ON_CLUSTER, message: '3 ready v2 pods' },
    );
    expect(pods).toHaveLength(3);
    expect(minReady).toBeGreaterThanOrEqual(2); // replicas 3 - maxUnavailable 1

    const undo = await c.mkctl(['rollout', 'undo', '-n', NS, 'deployment/web']);
    expect(undo.stdout).toBe('deployment.apps/web rolled back\n');
    await eventually(
      async () => {
        const r = await readyPods('web', 3);
        return r?.every((p) => p.spec?.containers[0]?.image === 'minik8s/echo:v1') ? r : undefined;
      },
      { ...ON_CLUSTER, message: '3 ready v1 pods again', timeoutMs: 120_000 },
    );
    ac.abort();
    await watching;
  });

  it('scales 3 -> 5 -> 1', async () => {
    expect((await c.mkctl(['scale', '-n', NS, 'deployment/web', '--replicas=5'])).stdout).toBe('deployment.apps/web scaled\n');
    await eventually(() => readyPods('web', 5), { ...ON_CLUSTER, message: '5 ready pods', timeoutMs: 90_000 });
    await must('kubectl', ['scale', '-n', NS, 'deployment/web', '--replicas=1'], { env: { KUBECONFIG: c.kubeconfig, HOME: c.state } });
    const [pod] = await eventually(() => readyPods('web', 1), { ...ON_CLUSTER, message: '1 pod', timeoutMs: 90_000 });
    await eventually(async () => (await allPodContainers()).length === 2, { ...ON_CLUSTER, message: '4 pods gone from Docker' }); // 1 pod = sandbox + app
    expect(pod).toBeDefined();
  });

  it('adopts running Pods when the kubelet container restarts, without restarting them', async () => {
    const before = await podsOf('web');
    const ids = new Map<string, string[]>();
    for (const p of before) ids.set(p.metadata?.name as string, await containersOf(p.metadata?.name as string));
    await must('docker', ['restart', 'minik8s-node-1', 'minik8s-node-2']);
    await eventually(async () => /node-1\s+Ready[\s\S]*node-2\s+Ready/.test((await c.kubectl(['get', 'nodes'])).stdout), {
      ...ON_CLUSTER,
      message: 'nodes Ready again',
    });
    // Give the new kubelets a full lease period (ten relists, a resync) to (wrongly) recreate
    // anything: Ready may still be the old kubelets' word, so wait for their start and one more.
    await leaseRenewals(2);
    for (const p of await podsOf('web')) {
      expect(await containersOf(p.metadata?.name as string)).toEqual(ids.get(p.metadata?.name as string));
      expect(p.status?.containerStatuses?.[0]?.restartCount).toBe(
        before.find((b) => b.metadata?.name === p.metadata?.name)?.status?.containerStatuses?.[0]?.restartCount,
      );
    }
  });

  it('keeps Pods running while the API server restarts, and the kubelets follow it again after', async () => {
    const before = await podsOf('web');
    const ids = new Map<string, string[]>();
    for (const p of before) ids.set(p.metadata?.name as string, await containersOf(p.metadata?.name as string));
    await must('docker', ['restart', 'minik8s-apiserver']);
    await eventually(async () => (await c.kubectl(['get', 'nodes'])).code === 0, { ...ON_CLUSTER, message: 'the API server answers again' });
    // The kubelets reach the new API server (and would act on what their watches missed).
    await leaseRenewals(1);
    for (const p of await podsOf('web')) {
      expect(await containersOf(p.metadata?.name as string)).toEqual(ids.get(p.metadata?.name as string));
    }
    // The kubelets' watches came back: a new replica runs, and goes again.
    expect((await c.kubectl(['scale', 'deployment/web', '-n', NS, '--replicas=2'])).code).toBe(0);
    await eventually(() => readyPods('web', 2), { ...ON_CLUSTER, message: '2 replicas Ready', timeoutMs: 60_000 });
    expect((await c.kubectl(['scale', 'deployment/web', '-n', NS, '--replicas=1'])).code).toBe(0);
    await eventually(() => readyPods('web', 1), { ...ON_CLUSTER, message: '1 replica again', timeoutMs: 60_000 });
  });

  it('keeps every object across down and up', async () => {
    const before = (await c.kubectl(['get', 'deploy,rs,pods', '-n', NS, '-o', 'name'])).stdout;
    const down = await c.cluster(['down']);
    expect(down.code).toBe(0);
    expect(await allPodContainers()).toEqual([]);
    const up = await c.cluster(['up', '--no-build']);
    expect(up.code, up.stdout + up.stderr).toBe(0);
    // Deployment and ReplicaSet are the same objects; the Pod may be the same too.
    const after = (await c.kubectl(['get', 'deploy,rs', '-n', NS, '-o', 'name'])).stdout;
    expect(before).toContain(after.trim());
    await eventually(() => readyPods('web', 1), { ...ON_CLUSTER, message: 'the pod runs again', timeoutMs: 90_000 });
  });

  it('removes every container when the Deployment is deleted', async () => {
    await must('kubectl', ['delete', 'deployment', '-n', NS, 'web'], { env: { KUBECONFIG: c.kubeconfig, HOME: c.state } });
    await eventually(async () => (await podsOf('web')).length === 0 && (await allPodContainers()).length === 0, {
      ...ON_CLUSTER,
      message: 'no pods and no containers',
      timeoutMs: 60_000,
    });
    const dep = await c.client.list<Deployment & { metadata: { name: string } }>(DEPLOYS);
    expect(dep.items).toEqual([]);
  });
});

// Services, DNS, LoadBalancer and the ingress, on the same cluster.
describeTraffic(() => c);

// kubectl drain, PodDisruptionBudgets and the eviction subresource, on the same cluster.
describeDrain(() => c);

// CronJobs make their Jobs, on the same cluster.
describeCronJobs(() => c);

// Jobs and the TTL-after-finished controller, on the same cluster.
describeJobs(() => c);

// DaemonSets, on the same cluster.
describeDaemonSets(() => c);

// StatefulSets (ordered Pods, DNS names, partitioned rolling updates), on the same cluster.
describeStatefulSets(() => c);

// A stopped node: its Pods replaced on the other, then the node back (last: it stops a node).
describeNodeFailure(() => c);
