/**
 * StatefulSets on the compose cluster: three echo Pods with a headless Service come up
 * one after another (each created only once the one before is Ready), each answers by
 * its own DNS name `web-<n>.web.<ns>.svc.cluster.local` from a client Pod, scaling down
 * removes the highest ordinal first, and an image change (echo v1 → v2) rolls from the
 * highest ordinal down, stopping at the partition. Uses the locally built minik8s/echo
 * images. Registered by the suite that owns the cluster.
 */
import type { Pod } from '@minik8s/api';
import { eventually } from '@minik8s/testing';
import { describe, expect, it } from 'vitest';
import { type Cluster, must, ON_CLUSTER } from './harness.ts';

const NS = 'statefulsets';

const statefulSet = (image: string) => `apiVersion: v1
kind: Service
metadata: {name: web, namespace: ${NS}}
spec:
  clusterIP: None
  selector: {app: web}
  ports: [{name: http, port: 8080}]
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: web, namespace: ${NS}}
spec:
  serviceName: web
  replicas: 3
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      terminationGracePeriodSeconds: 2
      containers:
      - name: app
        image: ${image}
        ports: [{name: http, containerPort: 8080}]
        env: [{name: POD_NAME, valueFrom: {fieldRef: {fieldPath: metadata.name}}}]
        readinessProbe: {httpGet: {path: /healthz, port: 8080}, periodSeconds: 1}
`;

const clientPod = `apiVersion: v1
kind: Pod
metadata: {name: client, namespace: ${NS}}
spec:
  terminationGracePeriodSeconds: 0
  containers:
  - {name: c, image: minik8s/busybox:latest, imagePullPolicy: IfNotPresent, command: [sleep, '3600']}
`;

export function describeStatefulSets(cluster: () => Cluster): void {
  const c = () => cluster();
  const kubectl = async (args: string[], input?: string) => {
    const r = await c().kubectl(args, input);
    expect(r.code, r.stderr).toBe(0);
    return r.stdout;
  };
  const pods = async () =>
    ((await c().client.list<Pod>({ version: 'v1', plural: 'pods', namespace: NS }, { labelSelector: 'app=web' })).items as Pod[])
      .filter((p) => !p.metadata.deletionTimestamp)
      .sort((a, b) => (a.metadata.name! < b.metadata.name! ? -1 : 1));
  const readyAt = (p: Pod) => Date.parse(p.status?.conditions?.find((x) => x.type === 'Ready' && x.status === 'True')?.lastTransitionTime ?? '') || undefined;
  const images = async () => Object.fromEntries((await pods()).map((p) => [p.metadata.name, p.spec?.containers[0]?.image]));
  /** An HTTP GET from inside the client Pod (busybox nc), by name. */
  const fromClient = async (host: string): Promise<string> => {
    const id = (
      await must('docker', ['ps', '-q', '--filter', 'label=io.kubernetes.pod.name=client', '--filter', 'label=io.kubernetes.docker.type=container'])
    ).stdout.trim();
    const r = await c().docker(['exec', id, 'sh', '-c', `printf 'GET / HTTP/1.0\\r\\nHost: ${host}\\r\\n\\r\\n' | nc -w 3 ${host} 8080 | tail -n 1`]);
    return r.stdout.trim();
  };
  const answers = (pod: string, version: string) =>
    eventually(async () => (await fromClient(`${pod}.web.${NS}.svc.cluster.local`)) === `${pod} ${version}`, {
      ...ON_CLUSTER,
      message: `${pod}.web answers ${version}`,
      timeoutMs: 30_000,
    });

  describe('statefulsets', () => {
    it('comes up in order, each Pod created once the previous one is Ready', async () => {
      await kubectl(['create', 'namespace', NS]);
      await kubectl(['apply', '-f', '-'], clientPod);
      await kubectl(['apply', '-f', '-'], statefulSet('minik8s/echo:v1'));
      const out = await kubectl(['rollout', 'status', '-n', NS, 'sts/web', '--timeout=180s']);
      expect(out.trimEnd().split('\n').at(-1)).toBe('partitioned roll out complete: 3 new pods have been updated...');
      const ps = await pods();
      expect(ps.map((p) => p.metadata.name)).toEqual(['web-0', 'web-1', 'web-2']);
      for (const i of [1, 2]) {
        const prevReady = readyAt(ps[i - 1]!);
        expect(prevReady).toBeDefined();
        expect(Date.parse(ps[i]!.metadata.creationTimestamp!)).toBeGreaterThanOrEqual(prevReady!);
      }
      for (const [i, p] of ps.entries()) {
        expect(p.spec).toMatchObject({ hostname: `web-${i}`, subdomain: 'web' });
        expect(p.metadata.labels).toMatchObject({ 'statefulset.kubernetes.io/pod-name': `web-${i}`, 'apps.kubernetes.io/pod-index': String(i) });
      }
      expect(await kubectl(['get', 'sts', '-n', NS, 'web'])).toMatch(/^web\s+3\/3\s+/m);
    });

    it('each Pod answers by its own DNS name from a client Pod', async () => {
      await kubectl(['wait', '-n', NS, '--for=condition=Ready', 'pod/client', '--timeout=60s']);
      for (const pod of ['web-0', 'web-1', 'web-2']) await answers(pod, 'v1');
    });

    it('scales down highest ordinal first', async () => {
      await kubectl(['scale', '-n', NS, 'sts/web', '--replicas=1']);
      const snapshots: string[] = [];
      await eventually(
        async () => {
          const names = (await pods()).map((p) => p.metadata.name).join(',');
          if (snapshots.at(-1) !== names) snapshots.push(names);
          return names === 'web-0';
        },
        { ...ON_CLUSTER, intervalMs: 100, message: 'down to web-0', timeoutMs: 90_000 },
      );
      // web-1 is never gone while web-2 is still there.
      expect(snapshots.filter((s) => s.includes('web-2') && !s.includes('web-1'))).toEqual([]);
      await kubectl(['scale', '-n', NS, 'sts/web', '--replicas=3']);
      await kubectl(['rollout', 'status', '-n', NS, 'sts/web', '--timeout=180s']);
      expect((await pods()).map((p) => p.metadata.name)).toEqual(['web-0', 'web-1', 'web-2']);
    });

    it('rolls an image change from the highest ordinal down, stopping at the partition', async () => {
      await kubectl(['patch', '-n', NS, 'sts/web', '-p', '{"spec":{"updateStrategy":{"rollingUpdate":{"partition":1}}}}']);
      const before = Object.fromEntries((await pods()).map((p) => [p.metadata.name, p.metadata.uid]));
      await kubectl(['set', 'image', '-n', NS, 'sts/web', 'app=minik8s/echo:v2']);
      const out = await kubectl(['rollout', 'status', '-n', NS, 'sts/web', '--timeout=180s']);
      expect(out.trimEnd().split('\n').at(-1)).toBe('partitioned roll out complete: 2 new pods have been updated...');
      await eventually(
        async () => JSON.stringify(await images()) === JSON.stringify({ 'web-0': 'minik8s/echo:v1', 'web-1': 'minik8s/echo:v2', 'web-2': 'minik8s/echo:v2' }),
        { ...ON_CLUSTER, message: 'web-1 and web-2 on v2' },
      );
      const ps = await pods();
      expect(ps[0]!.metadata.uid).toBe(before['web-0']);
      // web-2 was replaced first: it was Ready before web-1 was made again.
      expect(Date.parse(ps[1]!.metadata.creationTimestamp!)).toBeGreaterThanOrEqual(readyAt(ps[2]!)!);
      await answers('web-2', 'v2');
      await answers('web-0', 'v1');

      await kubectl(['patch', '-n', NS, 'sts/web', '-p', '{"spec":{"updateStrategy":{"rollingUpdate":{"partition":0}}}}']);
      await kubectl(['rollout', 'status', '-n', NS, 'sts/web', '--timeout=180s']);
      await eventually(async () => (await images())['web-0'] === 'minik8s/echo:v2', { ...ON_CLUSTER, message: 'web-0 on v2' });
      await answers('web-0', 'v2');
      const history = await kubectl(['rollout', 'history', '-n', NS, 'sts/web']);
      expect(history).toMatch(/^1\s+<none>$/m);
      expect(history).toMatch(/^2\s+<none>$/m);
    });

    it('removes its Pods when deleted', async () => {
      await kubectl(['delete', 'sts', '-n', NS, 'web']);
      await eventually(async () => (await pods()).length === 0, { ...ON_CLUSTER, message: 'no web pods', timeoutMs: 90_000 });
      await kubectl(['delete', 'namespace', NS, '--wait=false']);
    });
  });
}
