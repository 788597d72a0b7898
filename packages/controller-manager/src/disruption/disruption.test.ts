/**
 * The disruption controller against a real API server, with the Deployment and
 * ReplicaSet controllers and a stand-in kubelet: budgets count what upstream counts, and
 * the eviction subresource and the controller together let exactly the allowed number
 * of Pods go.
 */
import type { KubeObject } from '@minik8s/api';
import type { KubeApiError } from '@minik8s/client/kube';
import { eventually } from '@minik8s/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEPLOYMENTS, PODDISRUPTIONBUDGETS, PODS, refTo } from '../internal/resources.ts';
import { createNamespace, fakeKubelet, type Harness, listPods, startHarness } from '../testing/harness.ts';
import { scaled } from './disruption-controller.ts';

// biome-ignore lint/suspicious/noExplicitAny: objects read loosely
type Any = any;
const NS = 'pdb-test';

describe('disruption controller', () => {
  let h: Harness;
  let kubelet: { stop(): Promise<void> };
  beforeAll(async () => {
    h = await startHarness(['deployment', 'replicaset', 'disruption']);
    await createNamespace(h.client, NS);
    kubelet = fakeKubelet(h.client, NS, 20);
  });
  afterAll(async () => {
    await kubelet?.stop();
    await h?.close();
  });

  async function deployment(name: string, replicas: number) {
    await h.client.create(DEPLOYMENTS, {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name, namespace: NS },
      spec: {
        replicas,
        selector: { matchLabels: { app: name } },
        template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'c', image: 'busybox' }] } },
      },
    } as KubeObject);
    await eventually(async () => (await listPods(h.client, NS, `app=${name}`)).filter((p) => p.status?.phase === 'Running').length === replicas, {
      message: `${replicas} running pods of ${name}`,
    });
  }
  const budget = (name: string, app: string, spec: Any) =>
    h.client.create(PODDISRUPTIONBUDGETS, {
      apiVersion: 'policy/v1',
      kind: 'PodDisruptionBudget',
      metadata: { name, namespace: NS },
      spec: { selector: { matchLabels: { app } }, ...spec },
    } as KubeObject);
  const status = (name: string, want: Any) =>
    eventually(
      async () => {
        const s = ((await h.client.get(refTo(PODDISRUPTIONBUDGETS, NS, name))) as Any).status;
        return s && Object.entries(want).every(([k, v]) => JSON.stringify(s[k]) === JSON.stringify(v)) && s;
      },
      { message: `${name} status ${JSON.stringify(want)}` },
    );

  it('minAvailable 2 of a 3-replica Deployment: 3 healthy, 2 desired, 1 disruption allowed', async () => {
    await deployment('web', 3);
    await budget('web-min', 'web', { minAvailable: 2 });
    const s = await status('web-min', { currentHealthy: 3, desiredHealthy: 2, expectedPods: 3, disruptionsAllowed: 1, observedGeneration: 1 });
    expect(s.conditions).toEqual([expect.objectContaining({ type: 'DisruptionAllowed', status: 'True', reason: 'SufficientPods', observedGeneration: 1 })]);
  });

  it('maxUnavailable 50% counts against the Deployment replicas, rounding up', async () => {
    await deployment('half', 3);
    await budget('half-max', 'half', { maxUnavailable: '50%' });
    await status('half-max', { currentHealthy: 3, desiredHealthy: 1, expectedPods: 3, disruptionsAllowed: 2 });
  });

  it('lets one eviction through, refuses the next with 429 until the replacement is Ready', async () => {
    const [first, second] = await listPods(h.client, NS, 'app=web');
    const evict = (name: string) =>
      h.client.request({
        method: 'POST',
        path: `/api/v1/namespaces/${NS}/pods/${name}/eviction`,
        body: { apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name, namespace: NS } },
      });
    await evict(first!.metadata!.name!);
    const refused = await evict(second!.metadata!.name!).then(
      () => undefined,
      (e) => (e as KubeApiError).status,
    );
    expect(refused).toMatchObject({ code: 429, message: "Cannot evict pod as it would violate the pod's disruption budget." });
    // The ReplicaSet replaces the evicted Pod; once it is Ready the budget allows one again.
    await status('web-min', { currentHealthy: 3, disruptionsAllowed: 1 });
    await evict(second!.metadata!.name!);
    await expect(h.client.get(refTo(PODS, NS, second!.metadata!.name!))).rejects.toMatchObject({ code: 404 });
  });

  it('minAvailable as a count takes bare Pods as they are: 1 of 1 allows nothing', async () => {
    await h.client.create(PODS, {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'bare', namespace: NS, labels: { app: 'bare' } },
      spec: { containers: [{ name: 'c', image: 'busybox' }] },
    } as KubeObject);
    await budget('bare-min', 'bare', { minAvailable: 1 });
    await status('bare-min', { currentHealthy: 1, desiredHealthy: 1, expectedPods: 1, disruptionsAllowed: 0 });
  });

  it('rounds percentages up as upstream', () => {
    expect(scaled('50%', 3)).toBe(2);
    expect(scaled('10%', 1)).toBe(1);
    expect(scaled(2, 10)).toBe(2);
  });
});
