/**
 * @minik8s/client's KubeClient against this API server. These tests live here, not in the
 * client package, because the client cannot depend on the API server that depends on it.
 */

import {
  Discovery,
  GoneError,
  isAlreadyExists,
  isConflict,
  isInvalid,
  isNotFound,
  KubeApiError,
  KubeClient,
  KubeConnectionError,
  type KubeObject,
  type Status,
  type WatchEvent,
  WatchStream,
} from '@minik8s/client/kube';
import { eventually } from '@minik8s/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApiServer, type TestApiServer } from '../testing/cluster.ts';

const CM = { version: 'v1', plural: 'configmaps' };
const PODS = { version: 'v1', plural: 'pods' };

interface ConfigMap extends KubeObject {
  data?: Record<string, string>;
}

let server: TestApiServer;
let client: KubeClient;

beforeAll(async () => {
  server = await startTestApiServer();
  client = server.client;
});

afterAll(async () => {
  await server?.close();
});

const cm = (name: string, data: Record<string, string> = {}, labels?: Record<string, string>): ConfigMap => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name, ...(labels ? { labels } : {}) },
  data,
});

async function caught(p: Promise<unknown>): Promise<KubeApiError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof KubeApiError) return e;
    throw e;
  }
  throw new Error('expected the request to fail');
}

describe('KubeClient against the API server', () => {
  it('uses the kubeconfig context namespace', () => {
    expect(client.namespace).toBe('default');
    expect(client.config.server).toBe(server.url);
  });

  it('creates, gets, lists by label, updates, patches and deletes', async () => {
    const created = await client.create({ ...CM, namespace: 'default' }, cm('crud', { a: '1' }, { app: 'crud' }));
    expect(created.metadata.uid).toBeTruthy();
    expect(created.metadata.namespace).toBe('default');

    const got = await client.get<ConfigMap>({ ...CM, namespace: 'default', name: 'crud' });
    expect(got.data).toEqual({ a: '1' });

    // The namespace can come from the object.
    await client.create(CM, { metadata: { name: 'other', namespace: 'default' } } as ConfigMap);
    const list = await client.list<ConfigMap>({ ...CM, namespace: 'default' }, { labelSelector: { app: 'crud' } });
    expect(list.items.map((i) => i.metadata.name)).toEqual(['crud']);
    expect(Number(list.metadata.resourceVersion)).toBeGreaterThan(0);
    const byField = await client.list({ ...CM, namespace: 'default' }, { fieldSelector: 'metadata.name=other' });
    expect(byField.items.map((i) => i.metadata.name)).toEqual(['other']);

    const updated = await client.update<ConfigMap>({ ...CM }, { ...got, data: { a: '2' } });
    expect(updated.data).toEqual({ a: '2' });
    expect(updated.metadata.resourceVersion).not.toBe(got.metadata.resourceVersion);

    const merged = await client.patch<ConfigMap>({ ...CM, namespace: 'default', name: 'crud' }, { data: { b: '3' } }, { type: 'merge' });
    expect(merged.data).toEqual({ a: '2', b: '3' });
    const jsonPatched = await client.patch<ConfigMap>({ ...CM, namespace: 'default', name: 'crud' }, [{ op: 'remove', path: '/data/a' }], { type: 'json' });
    expect(jsonPatched.data).toEqual({ b: '3' });
    const strategic = await client.patch<ConfigMap>(
      { ...CM, namespace: 'default', name: 'crud' },
      { metadata: { labels: { tier: 'x' } } },
      { type: 'strategic' },
    );
    expect(strategic.metadata.labels).toEqual({ app: 'crud', tier: 'x' });
    const applied = await client.patch<ConfigMap>({ ...CM, namespace: 'default', name: 'applied' }, cm('applied', { k: 'v' }), {
      type: 'apply',
      fieldManager: 'test',
      force: true,
    });
    expect(applied.data).toEqual({ k: 'v' });

    // Gone at once, the server answers a Status naming the object (as upstream for ConfigMaps).
    const deleted = await client.delete<Status>({ ...CM, namespace: 'default', name: 'crud' });
    expect(deleted).toMatchObject({ kind: 'Status', status: 'Success', details: { name: 'crud', kind: 'configmaps' } });
    expect(isNotFound(await caught(client.get({ ...CM, namespace: 'default', name: 'crud' })))).toBe(true);
  });

  it('a stale resourceVersion on update is a 409 Conflict; an existing name an AlreadyExists', async () => {
    const v1 = await client.create({ ...CM, namespace: 'default' }, cm('race', { n: '1' }));
    await client.update({ ...CM }, { ...v1, data: { n: '2' } });
    const e = await caught(client.update({ ...CM }, { ...v1, data: { n: '3' } }));
    expect(e.code).toBe(409);
    expect(isConflict(e)).toBe(true);
    expect(isAlreadyExists(e)).toBe(false);
    expect(e.message).toBe(
      'Operation cannot be fulfilled on configmaps "race": the object has been modified; please apply your changes to the latest version and try again',
    );
    expect(e.request).toEqual({ method: 'PUT', path: '/api/v1/namespaces/default/configmaps/race' });

    const dup = await caught(client.create({ ...CM, namespace: 'default' }, cm('race')));
    expect(isAlreadyExists(dup)).toBe(true);
    expect(isConflict(dup)).toBe(false);
    expect(dup.status).toMatchObject({ kind: 'Status', code: 409, reason: 'AlreadyExists', details: { name: 'race', kind: 'configmaps' } });

    // Delete preconditions are compare-and-swap too.
    const pre = await caught(client.delete({ ...CM, namespace: 'default', name: 'race' }, { preconditions: { resourceVersion: v1.metadata.resourceVersion } }));
    expect(isConflict(pre)).toBe(true);
  });

  it('a missing object is a 404 NotFound with the upstream message', async () => {
    const e = await caught(client.get({ ...CM, namespace: 'default', name: 'nope' }));
    expect(isNotFound(e)).toBe(true);
    expect(e.message).toBe('configmaps "nope" not found');
    expect(e.reason).toBe('NotFound');
    const unknown = await caught(client.list({ version: 'v1', plural: 'widgets' }));
    expect(isNotFound(unknown)).toBe(true);
  });

  it('invalid names are 422 Invalid', async () => {
    const e = await caught(client.create({ ...CM, namespace: 'default' }, cm('Bad_Name')));
    expect(isInvalid(e)).toBe(true);
    expect(e.details?.causes?.[0]?.field).toBe('metadata.name');
  });

  it('updateStatus changes only the status; update leaves it alone', async () => {
    const pod = await client.create<KubeObject>(
      { ...PODS, namespace: 'default' },
      { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'st' }, spec: { containers: [{ name: 'c', image: 'busybox' }] } },
    );
    const withStatus = await client.updateStatus({ ...PODS }, { ...pod, status: { phase: 'Running' }, spec: { containers: [] } });
    expect(pod.status).toEqual({ phase: 'Pending', qosClass: 'BestEffort' });
    expect(withStatus.status).toEqual({ phase: 'Running' });
    expect((withStatus.spec as { containers: unknown[] }).containers).toHaveLength(1);
    const specOnly = await client.update({ ...PODS }, { ...withStatus, status: { phase: 'Failed' }, metadata: { ...withStatus.metadata, labels: { x: 'y' } } });
    expect((specOnly.status as { phase: string }).phase).toBe('Running');
    expect(specOnly.metadata.labels).toEqual({ x: 'y' });
  });

  it('pages lists with limit and continue; listAll follows them', async () => {
    await client.create({ version: 'v1', plural: 'namespaces' }, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'paging' } });
    for (let i = 0; i < 5; i++) await client.create({ ...CM, namespace: 'paging' }, cm(`p${i}`));
    const first = await client.list({ ...CM, namespace: 'paging' }, { limit: 2 });
    expect(first.items.map((i) => i.metadata.name)).toEqual(['p0', 'p1']);
    expect(first.metadata.continue).toBeTruthy();
    const second = await client.list({ ...CM, namespace: 'paging' }, { limit: 2, continue: first.metadata.continue });
    expect(second.items.map((i) => i.metadata.name)).toEqual(['p2', 'p3']);
    const all = await client.listAll({ ...CM, namespace: 'paging' }, { pageSize: 2 });
    expect(all.items.map((i) => i.metadata.name)).toEqual(['p0', 'p1', 'p2', 'p3', 'p4']);
    expect(all.metadata.continue).toBeUndefined();
  });

  it('watching from a list resourceVersion sees ADDED, MODIFIED and DELETED in order', async () => {
    await client.create({ version: 'v1', plural: 'namespaces' }, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'watching' } });
    const ref = { ...CM, namespace: 'watching' };
    const list = await client.list(ref);
    // Written before the watch starts: the watch replays them from the list's version.
    const a = await client.create(ref, cm('w1', { v: '1' }));
    await client.update(ref, { ...a, data: { v: '2' } });
    await client.delete({ ...ref, name: 'w1' });

    const w = client.watch<ConfigMap>(ref, { resourceVersion: list.metadata.resourceVersion });
    const seen: Array<[string, string | undefined, string | undefined]> = [];
    for await (const ev of w) {
      seen.push([ev.type, ev.object.metadata.name, ev.object.data?.v]);
      if (seen.length === 3) break;
    }
    expect(seen).toEqual([
      ['ADDED', 'w1', '1'],
      ['MODIFIED', 'w1', '2'],
      ['DELETED', 'w1', '2'],
    ]);
    expect(w.stopped).toBe(true);
  });

  it('a live watch follows changes; stop() ends the iteration quietly', async () => {
    const ref = { ...CM, namespace: 'default' };
    const list = await client.list(ref);
    const w = client.watch<ConfigMap>(ref, { resourceVersion: list.metadata.resourceVersion, labelSelector: 'live=yes' });
    const events: WatchEvent<ConfigMap>[] = [];
    const consumed = (async () => {
      for await (const ev of w) events.push(ev);
    })();
    await client.create(ref, cm('live-ignored'));
    await client.create(ref, cm('live', {}, { live: 'yes' }));
    await eventually(() => events.length >= 1);
    w.stop();
    await consumed;
    expect(events.map((e) => `${e.type} ${e.object.metadata.name}`)).toEqual(['ADDED live']);
  });

  it('a watch on one name (field selector) and timeoutSeconds ending the watch', async () => {
    const ref = { ...CM, namespace: 'default' };
    await client.create(ref, cm('one'));
    await client.create(ref, cm('two'));
    const named = client.watch({ ...ref, name: 'one' }, { timeoutSeconds: 1 });
    const names: Array<string | undefined> = [];
    const start = Date.now();
    for await (const ev of named) names.push(ev.object.metadata.name);
    expect(names).toEqual(['one']);
    expect(Date.now() - start).toBeLessThan(5000);
  });

  it('a watch from a version the server no longer has throws GoneError', async () => {
    // A fake watch body: the server's answer to a too-old resourceVersion.
    const body = `${JSON.stringify({
      type: 'ERROR',
      object: { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'too old resource version: 1 (5)', reason: 'Expired', code: 410 },
    })}\n`;
    const w = new WatchStream(
      async () =>
        (async function* () {
          yield Buffer.from(body);
        })(),
      { method: 'GET', path: '/x', server: 'https://x' },
    );
    await expect(
      (async () => {
        for await (const _ of w) {
          // nothing
        }
      })(),
    ).rejects.toBeInstanceOf(GoneError);
  });

  it('discovery maps short names, kinds and group-qualified names to resources', async () => {
    const d = new Discovery(client);
    expect(await d.resolve('po')).toMatchObject({ group: '', version: 'v1', plural: 'pods', kind: 'Pod', namespaced: true });
    expect(await d.resolve('Pod')).toMatchObject({ plural: 'pods' });
    expect(await d.resolve('deploy')).toMatchObject({ group: 'apps', plural: 'deployments' });
    expect(await d.resolve('deployments.apps')).toMatchObject({ group: 'apps', plural: 'deployments' });
    expect(await d.resolve('deployments.v1.apps')).toMatchObject({ group: 'apps', version: 'v1' });
    expect(await d.resolve('ns')).toMatchObject({ plural: 'namespaces', namespaced: false });
    expect((await d.resolve('pods')).subresources).toContain('status');
    expect(await d.forKind('coordination.k8s.io/v1', 'Lease')).toMatchObject({ plural: 'leases', namespaced: true });
    await expect(d.resolve('widgets')).rejects.toThrowError('the server doesn\'t have a resource type "widgets"');
    await expect(d.forKind('v1', 'Widget')).rejects.toThrowError('no matches for kind "Widget" in version "v1"');

    // The legacy documents give the same answer.
    const legacy = new Discovery({
      request: (o) => client.request({ ...o, accept: 'application/json' }),
    });
    const [agg, leg] = [await d.resources(), await legacy.resources()];
    const brief = (rs: typeof agg) => rs.map((r) => `${r.group}/${r.version}/${r.plural}:${r.kind}:${r.namespaced}:${r.shortNames}:${r.subresources}`).sort();
    expect(brief(leg)).toEqual(brief(agg));
  });

  it('raw requests', async () => {
    const v = await client.request<{ gitVersion: string }>({ path: '/version' });
    expect(v.gitVersion).toMatch(/^v1\./);
    const raw = await client.requestRaw({ path: '/api/v1/namespaces/default/configmaps/nope' });
    expect(raw.statusCode).toBe(404);
    expect(JSON.parse(raw.body.toString()).reason).toBe('NotFound');
    expect(await client.request({ path: '/healthz' })).toBe('ok');
  });

  it('a server that is not there is a KubeConnectionError', async () => {
    const dead = new KubeClient({ ...client.config, server: 'https://127.0.0.1:1' }, { requestTimeoutMs: 2000 });
    try {
      await expect(dead.get({ ...CM, namespace: 'default', name: 'x' })).rejects.toBeInstanceOf(KubeConnectionError);
    } finally {
      await dead.close();
    }
  });

  it('without a client certificate the server answers 401', async () => {
    const anon = new KubeClient({ ...client.config, tls: { ca: client.config.tls.ca } });
    try {
      const e = await caught(anon.list(CM));
      expect(e.code).toBe(401);
      expect(e.reason).toBe('Unauthorized');
    } finally {
      await anon.close();
    }
  });
});
