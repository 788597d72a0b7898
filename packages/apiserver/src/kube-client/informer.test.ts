/**
 * @minik8s/client's informers against this API server (here, not in the client package,
 * which cannot depend on the API server): sync, follow changes, and re-list after the
 * server answers a watch with 410 (here: an API server restarted on the same data, whose
 * watch cache no longer reaches back to the version the informer last saw).
 */

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Informer, isGone, KubeClient, type KubeList, type KubeObject, type ListerWatcher, objectKey, runWorkers, WorkQueue } from '@minik8s/client/kube';
import { eventually } from '@minik8s/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApiServer } from '../main.ts';
import { startTestApiServer, type TestApiServer } from '../testing/cluster.ts';

const CM = { version: 'v1', plural: 'configmaps' };
const cm = (name: string, data: Record<string, string> = {}, labels?: Record<string, string>): KubeObject => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name, ...(labels ? { labels } : {}) },
  data,
});

describe('Informer against the API server', () => {
  let server: TestApiServer;
  let client: KubeClient;
  beforeAll(async () => {
    server = await startTestApiServer();
    client = server.client;
    await client.create({ version: 'v1', plural: 'namespaces' }, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'inf' } });
  });
  afterAll(async () => {
    await server?.close();
  });

  it('syncs, follows adds, updates and deletes, and feeds a work queue', async () => {
    const ref = { ...CM, namespace: 'inf' };
    await client.create(ref, cm('before', { v: '1' }, { app: 'x' }));
    await client.create(ref, cm('unlabelled'));
    const informer = new Informer(client, ref, { labelSelector: { app: 'x' }, pageSize: 1, backoff: () => 50, freezeObjects: true });
    const queue = new WorkQueue();
    const seen: string[] = [];
    informer.addEventHandler({
      onAdd: (o) => queue.add(objectKey(o)),
      onUpdate: (_old, o) => queue.add(objectKey(o)),
      onDelete: (o) => queue.add(objectKey(o)),
    });
    const reconciled: string[] = [];
    const workers = runWorkers(queue, (key) => {
      // Level-based: read the current state from the cache, not the event.
      const o = informer.get(key);
      reconciled.push(`${key}=${o ? (o.data as Record<string, string>).v : 'gone'}`);
      return undefined;
    });
    informer.onAdd((o) => seen.push(`add ${o.metadata.name}`));
    informer.onUpdate((_a, b) => seen.push(`update ${b.metadata.name}`));
    informer.onDelete((o) => seen.push(`delete ${o.metadata.name}`));
    informer.start();
    await informer.waitForSync();
    expect(informer.keys()).toEqual(['inf/before']);

    const created = await client.create(ref, cm('live', { v: '1' }, { app: 'x' }));
    await client.update(ref, { ...created, data: { v: '2' } });
    await client.delete({ ...ref, name: 'before' });
    await eventually(() => seen.length >= 4);
    expect(seen).toEqual(['add before', 'add live', 'update live', 'delete before']);
    expect(informer.keys()).toEqual(['inf/live']);
    expect((informer.get('inf/live')!.data as Record<string, string>).v).toBe('2');
    await eventually(() => reconciled.includes('inf/before=gone') && reconciled.includes('inf/live=2'));
    await informer.stop();
    queue.shutDown();
    await workers;
  });

  it('re-lists after the server answers 410 and carries on watching', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'informer-410-'));
    const ref = { ...CM, namespace: 'default' };
    try {
      // First life of the API server: the informer's last list was taken here.
      const first = await startApiServer({ dataDir: join(dir, 'data'), securePort: 0 });
      const c1 = KubeClient.fromKubeconfig({ kubeconfig: first.kubeconfigPath });
      await c1.create(ref, cm('a'));
      await c1.create(ref, cm('b'));
      const stale = await c1.list(ref);
      await c1.create(ref, cm('c')); // written after that list
      await c1.close();
      await first.close();

      // Second life: its watch cache starts after `stale`'s version.
      const second = await startApiServer({ dataDir: join(dir, 'data'), securePort: 0 });
      const c2 = KubeClient.fromKubeconfig({ kubeconfig: second.kubeconfigPath });
      try {
        const direct = c2.watch(ref, { resourceVersion: stale.metadata.resourceVersion });
        const err = await (async () => {
          try {
            for await (const _ of direct) {
              // nothing expected
            }
          } catch (e) {
            return e;
          }
        })();
        expect(isGone(err)).toBe(true);

        // An informer whose first list is the stale one, as if it had synced before the restart.
        let lists = 0;
        const lw: ListerWatcher = {
          list: async (r, o) => (lists++ === 0 ? (structuredClone(stale) as KubeList) : c2.list(r, o)),
          watch: (r, o) => c2.watch(r, o),
        };
        const errors: unknown[] = [];
        const informer = new Informer(lw, ref, { backoff: () => 10, onError: (e) => errors.push(e) });
        const adds: string[] = [];
        informer.onAdd((o, initial) => adds.push(`${o.metadata.name}${initial ? ' (list)' : ''}`));
        informer.start();
        await informer.waitForSync();
        await eventually(() => lists >= 2 && informer.get('default/c') !== undefined);
        expect(errors.some(isGone)).toBe(true);
        await c2.create(ref, cm('d'));
        await eventually(() => informer.get('default/d') !== undefined);
        expect(informer.keys().sort()).toEqual(['default/a', 'default/b', 'default/c', 'default/d']);
        expect(adds).toEqual(['a (list)', 'b (list)', 'c (list)', 'd']);
        await informer.stop();
      } finally {
        await c2.close();
        await second.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
