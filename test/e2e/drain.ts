/**
 * Planned maintenance on the compose cluster: `kubectl drain` of a node evicts a
 * Deployment's Pods through the eviction subresource, is refused while a
 * PodDisruptionBudget would be violated, and once the budget allows it moves every
 * replica to the other node; `kubectl uncordon` makes the node schedulable again.
 * Registered by the suite that owns the cluster.
 */
import type { Pod } from '@minik8s/api';
import { eventually } from '@minik8s/testing';
import { describe, expect, it } from 'vitest';
import { type Cluster, ON_CLUSTER } from './harness.ts';

const NS = 'drain';
const APP = 'drainme';

const manifest = `apiVersion: v1
kind: Namespace
metadata: {name: ${NS}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: ${APP}, namespace: ${NS}}
spec:
  replicas: 4
  selector: {matchLabels: {app: ${APP}}}
  template:
    metadata: {labels: {app: ${APP}}}
    spec:
      terminationGracePeriodSeconds: 2
      containers:
      - name: app
        image: minik8s/echo:v1
        readinessProbe: {httpGet: {path: /healthz, port: 8080}, periodSeconds: 1}
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: {name: ${APP}, namespace: ${NS}}
spec:
  minAvailable: 4
  selector: {matchLabels: {app: ${APP}}}
`;

export function describeDrain(cluster: () => Cluster): void {
  describe('draining a node', () => {
    const pods = async () =>
      (await cluster().client.list<Pod>({ version: 'v1', plural: 'pods', namespace: NS })).items.filter((p) => !p.metadata?.deletionTimestamp);
    const ready = (p: Pod) => p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');

    it('is refused while the PodDisruptionBudget would be violated, then moves every replica to the other node', async () => {
      const c = cluster();
      const applied = await c.kubectl(['apply', '-f', '-'], manifest);
      expect(applied.code, applied.stderr).toBe(0);
      await eventually(async () => (await pods()).filter(ready).length === 4, { ...ON_CLUSTER, message: '4 Ready replicas' });
      const pdb = { group: 'policy', version: 'v1', plural: 'poddisruptionbudgets', namespace: NS, name: APP };
      await eventually(async () => ((await c.client.get(pdb)) as { status?: { currentHealthy?: number } }).status?.currentHealthy === 4, {
        ...ON_CLUSTER,
        message: 'the budget to count 4 healthy Pods',
      });
      expect((await c.kubectl(['get', 'pdb', '-n', NS, APP])).stdout).toMatch(/^drainme\s+4\s+N\/A\s+0\s/m);
      const onNode1 = (await pods()).filter((p) => p.spec?.nodeName === 'node-1');
      expect(onNode1.length).toBeGreaterThan(0);

      // minAvailable 4 of 4: every eviction is refused (429); drain gives up at its timeout.
      const refused = await c.kubectl(['drain', 'node-1', '--ignore-daemonsets', '--delete-emptydir-data', `--pod-selector=app=${APP}`, '--timeout=12s']);
      expect(refused.code).not.toBe(0);
      expect(refused.stdout + refused.stderr).toContain("Cannot evict pod as it would violate the pod's disruption budget.");
      expect((await c.kubectl(['get', 'node', 'node-1'])).stdout).toMatch(/node-1\s+Ready,SchedulingDisabled/);
      expect((await pods()).filter((p) => p.spec?.nodeName === 'node-1').length).toBe(onNode1.length);

      // minAvailable 3: one at a time, each replaced on node-2 before the next may go.
      await c.kubectl(['patch', 'pdb', '-n', NS, APP, '--type=merge', '-p', '{"spec":{"minAvailable":3}}']);
      const drained = await c.kubectl(['drain', 'node-1', '--ignore-daemonsets', '--delete-emptydir-data', `--pod-selector=app=${APP}`, '--timeout=120s']);
      expect(drained.code, drained.stderr).toBe(0);
      expect(drained.stdout).toContain('node/node-1 drained');
      const moved = await eventually(
        async () => {
          const ps = await pods();
          return ps.length === 4 && ps.every((p) => p.spec?.nodeName === 'node-2' && ready(p)) && ps;
        },
        { ...ON_CLUSTER, message: 'all 4 replicas Ready on node-2' },
      );
      expect(moved).toHaveLength(4);

      const back = await c.kubectl(['uncordon', 'node-1']);
      expect(back.stdout).toContain('node/node-1 uncordoned');
      expect((await c.kubectl(['get', 'node', 'node-1'])).stdout).toMatch(/node-1\s+Ready\s/);
      await c.kubectl(['delete', 'namespace', NS, '--wait=false']);
    }, 240_000);
  });
}
