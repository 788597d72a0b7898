/**
 * `pods/{name}/eviction` as upstream answers it: 201 and the Pod deleted when no budget
 * stands in the way, 429 with the budget's reason when one does, the budget's
 * disruptionsAllowed taken in the same step, and nothing changed by a refusal or a dry run.
 */
import type { KubeObject } from '@minik8s/api';
import type { KubeApiError } from '@minik8s/client/kube';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApiServer, type TestApiServer } from '../../testing/cluster.ts';

// biome-ignore lint/suspicious/noExplicitAny: objects read loosely
type Any = any;

const NS = 'default';
const READY = { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] };
const PODS = { version: 'v1', plural: 'pods', namespace: NS };
const PDBS = { group: 'policy', version: 'v1', plural: 'poddisruptionbudgets', namespace: NS };

describe('the eviction subresource', () => {
  let s: TestApiServer;
  beforeAll(async () => {
    s = await startTestApiServer();
  });
  afterAll(async () => {
    await s?.close();
  });

  /** A Pod with `labels`, Running and Ready (unless told otherwise). */
  async function pod(name: string, labels: Record<string, string>, status: Any = READY, nodeName?: string) {
    const spec = { containers: [{ name: 'c', image: 'busybox' }], ...(nodeName ? { nodeName } : {}) };
    await s.client.create(PODS, { apiVersion: 'v1', kind: 'Pod', metadata: { name, labels }, spec } as KubeObject);
    const cur = await s.client.get({ ...PODS, name });
    await s.client.updateStatus({ ...PODS, name }, { ...cur, status } as KubeObject);
  }

  /** A budget whose status says what the disruption controller would have written. */
  async function budget(name: string, app: string, status: Any, spec: Any = { minAvailable: 1 }) {
    const created = await s.client.create(PDBS, {
      apiVersion: 'policy/v1',
      kind: 'PodDisruptionBudget',
      metadata: { name },
      spec: { selector: { matchLabels: { app } }, ...spec },
    } as KubeObject);
    if (status) await s.client.updateStatus({ ...PDBS, name }, { ...created, status: { observedGeneration: 1, ...status } } as KubeObject);
  }

  const evict = (name: string, body: Any = {}, query?: Record<string, string>) =>
    s.client.request<Any>({
      method: 'POST',
      path: `/api/v1/namespaces/${NS}/pods/${name}/eviction`,
      query,
      body: { apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name, namespace: NS }, ...body },
    });
  const refusal = (p: Promise<unknown>) =>
    p.then(
      () => undefined,
      (e) => (e as KubeApiError).status,
    );
  const exists = (name: string) =>
    s.client.get({ ...PODS, name }).then(
      () => true,
      () => false,
    );

  it('deletes a Pod no budget selects: 201 Status Success', async () => {
    await pod('free', { app: 'free' });
    expect(await evict('free', { deleteOptions: { gracePeriodSeconds: 0 } })).toMatchObject({ kind: 'Status', status: 'Success', code: 201 });
    expect(await exists('free')).toBe(false);
  });

  it('refuses with 429 while the budget allows no disruption, naming its numbers, and changes nothing', async () => {
    await pod('guarded', { app: 'tight' });
    await budget('tight', 'tight', { disruptionsAllowed: 0, currentHealthy: 1, desiredHealthy: 1, expectedPods: 1 });
    const before = await s.client.get({ ...PODS, name: 'guarded' });
    const st = await refusal(evict('guarded'));
    expect(st).toMatchObject({
      code: 429,
      reason: 'TooManyRequests',
      message: "Cannot evict pod as it would violate the pod's disruption budget.",
      details: { causes: [{ reason: 'DisruptionBudget', message: 'The disruption budget tight needs 1 healthy pods and has 1 currently' }] },
    });
    const after = await s.client.get({ ...PODS, name: 'guarded' });
    expect(after.metadata.resourceVersion).toBe(before.metadata.resourceVersion);
  });

  it('takes one disruption from the budget and records the Pod, then deletes it with the DisruptionTarget condition', async () => {
    await pod('loose-1', { app: 'loose' }, undefined, 'node-a');
    await budget('loose', 'loose', { disruptionsAllowed: 1, currentHealthy: 2, desiredHealthy: 1, expectedPods: 2 });
    await evict('loose-1');
    const pdb = (await s.client.get({ ...PDBS, name: 'loose' })) as Any;
    expect(pdb.status.disruptionsAllowed).toBe(0);
    expect(Object.keys(pdb.status.disruptedPods)).toEqual(['loose-1']);
    expect(pdb.status.conditions).toContainEqual(expect.objectContaining({ type: 'DisruptionAllowed', status: 'False', reason: 'InsufficientPods' }));
    // Graceful (the Pod is on a node): it is marked and waits for its kubelet.
    const gone = (await s.client.get({ ...PODS, name: 'loose-1' })) as Any;
    expect(gone.metadata.deletionTimestamp).toBeTruthy();
    expect(gone.status.conditions).toContainEqual(expect.objectContaining({ type: 'DisruptionTarget', status: 'True', reason: 'EvictionByEvictionAPI' }));
  });

  it('refuses while the budget status is older than its spec (still being processed)', async () => {
    await pod('fresh', { app: 'fresh' });
    await budget('fresh', 'fresh', null);
    const st = await refusal(evict('fresh'));
    expect(st).toMatchObject({
      code: 429,
      details: { causes: [{ reason: 'DisruptionBudget', message: 'The disruption budget fresh is still being processed by the server.' }] },
    });
    expect(await exists('fresh')).toBe(true);
  });

  it('evicts a Pending Pod whatever its budget, and an unready one when the budget is met', async () => {
    await pod('pending', { app: 'tight' }, { phase: 'Pending' });
    await evict('pending', { deleteOptions: { gracePeriodSeconds: 0 } });
    expect(await exists('pending')).toBe(false);
    await pod('unready', { app: 'met' }, { phase: 'Running', conditions: [{ type: 'Ready', status: 'False' }] });
    await budget('met', 'met', { disruptionsAllowed: 0, currentHealthy: 2, desiredHealthy: 2, expectedPods: 3 });
    await evict('unready', { deleteOptions: { gracePeriodSeconds: 0 } });
    expect(await exists('unready')).toBe(false);
    expect(((await s.client.get({ ...PDBS, name: 'met' })) as Any).status.disruptedPods ?? {}).toEqual({});
  });

  it('dryRun changes nothing; a name that differs from the path is 400; two budgets are 500; a missing Pod is 404', async () => {
    await pod('dry', { app: 'dry' });
    await budget('dry', 'dry', { disruptionsAllowed: 1, currentHealthy: 1, desiredHealthy: 0, expectedPods: 1 });
    await evict('dry', {}, { dryRun: 'All' });
    expect(await exists('dry')).toBe(true);
    expect(((await s.client.get({ ...PDBS, name: 'dry' })) as Any).status.disruptionsAllowed).toBe(1);

    const mismatch = await refusal(
      s.client.request({
        method: 'POST',
        path: `/api/v1/namespaces/${NS}/pods/dry/eviction`,
        body: { apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name: 'other' } },
      }),
    );
    expect(mismatch).toMatchObject({ code: 400, message: 'name in URL does not match name in Eviction object' });

    await budget('dry-2', 'dry', { disruptionsAllowed: 1, currentHealthy: 1, desiredHealthy: 0, expectedPods: 1 });
    expect(await refusal(evict('dry'))).toMatchObject({
      code: 500,
      message: 'Internal error occurred: This pod has more than one PodDisruptionBudget, which the eviction subresource does not support.',
    });
    expect(await refusal(evict('nobody'))).toMatchObject({ code: 404, message: 'pods "nobody" not found' });
  });
});
