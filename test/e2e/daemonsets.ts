/**
 * DaemonSets on the compose cluster: one Ready Pod on each of the two nodes, bound there
 * by the scheduler through the node affinity the controller sets, and an image change
 * rolled node by node with `kubectl rollout status` and listed by `rollout history`.
 * Uses the locally built minik8s/echo images. Registered by the suite that owns the cluster.
 */
import type { Pod } from '@minik8s/api';
import { eventually } from '@minik8s/testing';
import { describe, expect, it } from 'vitest';
import { type Cluster, ON_CLUSTER } from './harness.ts';

const NS = 'daemonsets';

const daemonSet = (image: string) => `apiVersion: apps/v1
kind: DaemonSet
metadata: {name: echo, namespace: ${NS}}
spec:
  selector: {matchLabels: {app: echo}}
  template:
    metadata: {labels: {app: echo}}
    spec:
      terminationGracePeriodSeconds: 2
      containers:
      - name: app
        image: ${image}
        env: [{name: POD_NAME, valueFrom: {fieldRef: {fieldPath: metadata.name}}}]
        readinessProbe: {httpGet: {path: /healthz, port: 8080}, periodSeconds: 1}
`;

export function describeDaemonSets(cluster: () => Cluster): void {
  const c = () => cluster();
  const kubectl = async (args: string[], input?: string) => {
    const r = await c().kubectl(args, input);
    expect(r.code, r.stderr).toBe(0);
    return r.stdout;
  };
  const pods = async () =>
    ((await c().client.list<Pod>({ version: 'v1', plural: 'pods', namespace: NS }, { labelSelector: 'app=echo' })).items as Pod[]).filter(
      (p) => !p.metadata.deletionTimestamp,
    );
  const isReady = (p: Pod) => p.status?.conditions?.some((x) => x.type === 'Ready' && x.status === 'True') ?? false;
  /** One Ready Pod of `image` on each node, or undefined. */
  const onEachNode = async (image: string) => {
    const ps = await pods();
    const ok = ps.length === 2 && ps.every((p) => isReady(p) && p.spec?.containers[0]?.image === image);
    return ok && new Set(ps.map((p) => p.spec?.nodeName)).size === 2 ? ps : undefined;
  };

  describe('daemonsets', () => {
    it('runs one Ready Pod on each node', async () => {
      await kubectl(['create', 'namespace', NS]);
      await kubectl(['apply', '-f', '-'], daemonSet('minik8s/echo:v1'));
      const out = await kubectl(['rollout', 'status', '-n', NS, 'ds/echo', '--timeout=120s']);
      expect(out).toContain('daemon set "echo" successfully rolled out');
      const ps = await eventually(() => onEachNode('minik8s/echo:v1'), { ...ON_CLUSTER, message: 'a ready echo:v1 pod per node' });
      expect(ps.map((p) => p.spec?.nodeName).sort()).toEqual(['node-1', 'node-2']);
      const ds = await kubectl(['get', 'ds', '-n', NS, 'echo']);
      expect(ds).toMatch(/^echo\s+2\s+2\s+2\s+2\s+2\s+<none>\s/m);
    });

    it('rolls an image change over both nodes and keeps the revisions', async () => {
      await kubectl(['set', 'image', '-n', NS, 'ds/echo', 'app=minik8s/echo:v2']);
      const out = await kubectl(['rollout', 'status', '-n', NS, 'ds/echo', '--timeout=180s']);
      expect(out).toContain('daemon set "echo" successfully rolled out');
      const ps = await eventually(() => onEachNode('minik8s/echo:v2'), { ...ON_CLUSTER, message: 'a ready echo:v2 pod per node' });
      expect(ps.map((p) => p.spec?.nodeName).sort()).toEqual(['node-1', 'node-2']);
      const history = await kubectl(['rollout', 'history', '-n', NS, 'ds/echo']);
      expect(history).toMatch(/^1\s+<none>$/m);
      expect(history).toMatch(/^2\s+<none>$/m);
    });

    it('removes its Pods when deleted', async () => {
      await kubectl(['delete', 'ds', '-n', NS, 'echo']);
      await eventually(async () => (await pods()).length === 0, { ...ON_CLUSTER, message: 'no echo pods', timeoutMs: 90_000 });
      await kubectl(['delete', 'namespace', NS, '--wait=false']);
    });
  });
}
