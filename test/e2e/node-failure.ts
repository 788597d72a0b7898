/**
 * A lost node on the compose cluster: `docker stop minik8s-node-1` silences its kubelet;
 * after the controller-manager's --node-monitor-grace-period (15 s in compose) node-1 is
 * Unknown and tainted node.kubernetes.io/unreachable:NoExecute, its Pods are deleted
 * once their default toleration (5 s in compose) runs out, and the Deployment's
 * replacements run on node-2. `docker start` brings node-1 back Ready, untainted, and
 * its kubelet removes the containers of the Pods deleted meanwhile (they kept running
 * on the host's Docker). Registered by the suite that owns the cluster; node-1 is
 * started again whatever happens.
 */
import type { KubeObject, Node, Pod } from '@minik8s/api';
import { eventually } from '@minik8s/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { type Cluster, must, ON_CLUSTER, run } from './harness.ts';

const NS = 'node-failure';
const REPLICAS = 6;
/** The target: every replica Running and Ready on the other node this soon after the stop. */
const RECOVERY_TARGET_MS = 60_000;

const deployment = `apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: ${NS}}
spec:
  replicas: ${REPLICAS}
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      terminationGracePeriodSeconds: 2
      containers:
      - name: app
        image: minik8s/echo:v1
        env: [{name: POD_NAME, valueFrom: {fieldRef: {fieldPath: metadata.name}}}]
        readinessProbe: {httpGet: {path: /healthz, port: 8080}, periodSeconds: 1}
`;

const isReady = (p: Pod) => p.status?.conditions?.some((x) => x.type === 'Ready' && x.status === 'True') ?? false;

export function describeNodeFailure(cluster: () => Cluster): void {
  const c = () => cluster();
  const kubectl = async (args: string[], input?: string) => {
    const r = await c().kubectl(args, input);
    expect(r.code, r.stderr).toBe(0);
    return r.stdout;
  };
  const pods = async () => (await c().client.list<Pod & KubeObject>({ version: 'v1', plural: 'pods', namespace: NS }, { labelSelector: 'app=web' })).items;
  const node = (name: string) => c().client.get<Node & KubeObject>({ version: 'v1', plural: 'nodes', name });
  const containersOf = async (uid: string) =>
    (await must('docker', ['ps', '-aq', '--filter', `label=io.kubernetes.pod.uid=${uid}`])).stdout.split('\n').filter(Boolean);
  let stopped = false;
  let lostUids: string[] = [];

  describe('node failure', () => {
    afterAll(async () => {
      if (stopped) await run('docker', ['start', 'minik8s-node-1']);
      await eventually(async () => (await node('node-1')).status?.conditions?.some((x) => x.type === 'Ready' && x.status === 'True'), {
        ...ON_CLUSTER,
        message: 'node-1 Ready again',
      }).catch(() => undefined);
      await c().kubectl(['delete', 'namespace', NS, '--wait=false']);
    }, 120_000);

    it(`runs all ${REPLICAS} replicas Ready on node-2 within ${RECOVERY_TARGET_MS / 1000} s of docker stop minik8s-node-1`, async () => {
      await kubectl(['create', 'namespace', NS]);
      await kubectl(['apply', '-f', '-'], deployment);
      await kubectl(['rollout', 'status', '-n', NS, 'deploy/web', '--timeout=120s']);
      const before = await pods();
      const onNode1 = before.filter((p) => p.spec?.nodeName === 'node-1');
      expect(onNode1.length, 'the Deployment spreads over both nodes').toBeGreaterThan(0);
      expect(before.some((p) => p.spec?.nodeName === 'node-2')).toBe(true);
      lostUids = onNode1.map((p) => p.metadata.uid!);

      const t0 = Date.now();
      stopped = true;
      await must('docker', ['stop', 'minik8s-node-1']);
      const recovered = await eventually(
        async () => {
          const live = (await pods()).filter((p) => !p.metadata.deletionTimestamp);
          return live.length === REPLICAS && live.every((p) => p.spec?.nodeName === 'node-2' && p.status?.phase === 'Running' && isReady(p)) ? live : undefined;
        },
        { timeoutMs: 120_000, intervalMs: 250, message: `${REPLICAS} Ready replicas on node-2` },
      );
      const seconds = (Date.now() - t0) / 1000;
      process.stdout.write(`node failure: ${REPLICAS} replicas Running and Ready on node-2 ${seconds.toFixed(1)} s after docker stop\n`);
      expect(recovered).toHaveLength(REPLICAS);
      expect(seconds * 1000).toBeLessThan(RECOVERY_TARGET_MS);

      const n1 = await node('node-1');
      expect(n1.status?.conditions?.find((x) => x.type === 'Ready')).toMatchObject({ status: 'Unknown', reason: 'NodeStatusUnknown' });
      expect(n1.spec?.taints?.map((t) => `${t.key}:${t.effect}`).sort()).toEqual([
        'node.kubernetes.io/unreachable:NoExecute',
        'node.kubernetes.io/unreachable:NoSchedule',
      ]);
      const nodes = await kubectl(['get', 'nodes']);
      expect(nodes).toMatch(/^node-1\s+NotReady\s/m);
      // The lost Pods were deleted by the taint manager (they stay Terminating: no kubelet finishes them).
      const events = await kubectl(['get', 'events', '-n', NS, '--field-selector', 'reason=TaintManagerEviction', '-o', 'name']);
      expect(events.split('\n').filter(Boolean).length).toBeGreaterThanOrEqual(lostUids.length);
    }, 240_000);

    it('docker start brings node-1 back Ready and untainted, and its kubelet removes the stale containers', async () => {
      expect(lostUids.length).toBeGreaterThan(0);
      expect((await Promise.all(lostUids.map(containersOf))).flat().length, 'the lost Pods still run on the host Docker').toBeGreaterThan(0);
      await must('docker', ['start', 'minik8s-node-1']);
      stopped = false;
      await eventually(
        async () => {
          const n1 = await node('node-1');
          return n1.status?.conditions?.some((x) => x.type === 'Ready' && x.status === 'True') && !n1.spec?.taints?.length;
        },
        { ...ON_CLUSTER, message: 'node-1 Ready without taints' },
      );
      await eventually(
        async () => {
          const left = new Set((await pods()).map((p) => p.metadata.uid));
          const stale = (await Promise.all(lostUids.map(containersOf))).flat();
          return lostUids.every((u) => !left.has(u)) && stale.length === 0;
        },
        { ...ON_CLUSTER, message: 'the lost Pods gone from the API and their containers removed' },
      );
      const live = (await pods()).filter((p) => !p.metadata.deletionTimestamp);
      expect(live.filter(isReady)).toHaveLength(REPLICAS);
    }, 180_000);
  });
}
