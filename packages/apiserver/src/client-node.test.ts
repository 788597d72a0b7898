/**
 * The official JavaScript client (@kubernetes/client-node) against a real API server:
 * list, watch, an informer, and optimistic concurrency under contention.
 */
import * as k8s from '@kubernetes/client-node';
import { eventually } from '@minik8s/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApiServer, type TestApiServer } from './testing/cluster.ts';

describe('@kubernetes/client-node against the API server', () => {
  let s: TestApiServer;
  let kc: k8s.KubeConfig;
  let core: k8s.CoreV1Api;
  beforeAll(async () => {
    s = await startTestApiServer();
    kc = new k8s.KubeConfig();
    kc.loadFromFile(s.kubeconfigPath);
    core = kc.makeApiClient(k8s.CoreV1Api);
  });
  afterAll(async () => {
    await s?.close();
  });

  it('creates, lists and reads objects', async () => {
    await core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'one', labels: { app: 'x' } }, data: { a: '1' } } });
    const list = await core.listNamespacedConfigMap({ namespace: 'default' });
    expect(list.items.map((c) => c.metadata?.name)).toContain('one');
    expect(Number(list.metadata?.resourceVersion)).toBeGreaterThan(0);
    const one = await core.readNamespacedConfigMap({ namespace: 'default', name: 'one' });
    expect(one.data).toEqual({ a: '1' });
    const err = await core.readNamespacedConfigMap({ namespace: 'default', name: 'missing' }).catch((e: unknown) => e);
    expect((err as { code?: number }).code).toBe(404);
  });

  it('watches from a list resourceVersion and sees every change in order', async () => {
    const list = await core.listNamespacedConfigMap({ namespace: 'default' });
    const events: string[] = [];
    const watch = new k8s.Watch(kc);
    const req = await watch.watch(
      '/api/v1/namespaces/default/configmaps',
      { resourceVersion: list.metadata?.resourceVersion },
      (type, obj: k8s.V1ConfigMap) => events.push(`${type} ${obj.metadata?.name} ${obj.data?.v ?? ''}`),
      () => {},
    );
    await core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'w' }, data: { v: '1' } } });
    await core.patchNamespacedConfigMap(
      { namespace: 'default', name: 'w', body: { data: { v: '2' } } },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
    );
    await core.deleteNamespacedConfigMap({ namespace: 'default', name: 'w' });
    await eventually(() => events.length >= 3);
    req.abort();
    expect(events).toEqual(['ADDED w 1', 'MODIFIED w 2', 'DELETED w 2']);
  });

  it('keeps an informer cache in step with the server', async () => {
    const informer = k8s.makeInformer(kc, '/api/v1/namespaces/default/configmaps', () => core.listNamespacedConfigMap({ namespace: 'default' }));
    await informer.start();
    try {
      await core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'inf' }, data: { v: 'a' } } });
      await eventually(() => informer.get('inf', 'default') !== undefined);
      await core.deleteNamespacedConfigMap({ namespace: 'default', name: 'inf' });
      await eventually(() => informer.get('inf', 'default') === undefined);
      expect(informer.list('default').map((c) => c.metadata?.name)).toContain('one');
    } finally {
      await informer.stop();
    }
  });

  it('deletes a collection by label selector', async () => {
    for (const [name, tier] of [
      ['dc1', 'tmp'],
      ['dc2', 'tmp'],
      ['dc3', 'keep'],
    ]) {
      await core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name, labels: { tier: tier! } } } });
    }
    await core.deleteCollectionNamespacedConfigMap({ namespace: 'default', labelSelector: 'tier=tmp' });
    const left = await core.listNamespacedConfigMap({ namespace: 'default', labelSelector: 'tier' });
    expect(left.items.map((c) => c.metadata?.name)).toEqual(['dc3']);
  });

  it('loses no update when 50 writers update one object with resourceVersion preconditions', async () => {
    await core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'counter' }, data: { n: '0' } } });
    let conflicts = 0;
    await Promise.all(
      Array.from({ length: 50 }, async () => {
        for (;;) {
          const cur = await core.readNamespacedConfigMap({ namespace: 'default', name: 'counter' });
          cur.data = { n: String(Number(cur.data?.n) + 1) };
          try {
            await core.replaceNamespacedConfigMap({ namespace: 'default', name: 'counter', body: cur });
            return;
          } catch (e) {
            if ((e as { code?: number }).code !== 409) throw e;
            conflicts++;
            // As client-go's RetryOnConflict: a short jittered pause, so 50 writers do not retry in lockstep.
            await new Promise((r) => setTimeout(r, Math.random() * 20));
          }
        }
      }),
    );
    const final = await core.readNamespacedConfigMap({ namespace: 'default', name: 'counter' });
    expect(final.data?.n).toBe('50');
    expect(conflicts).toBeGreaterThan(0);
  }, 120_000);
});
