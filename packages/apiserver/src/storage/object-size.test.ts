import { StatusError } from '@minik8s/api';
import { EtcdError, GrpcCode, type KvClient } from '@minik8s/client/etcd';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApiServer, type TestApiServer } from '../testing/cluster.ts';
import { ObjectStore } from './object-store.ts';

const CM = '/api/v1/namespaces/default/configmaps';
// Events: a kind whose strings no per-kind rule bounds (ConfigMaps and Secrets stop at 1 MiB of data first).
const EV = '/api/v1/namespaces/default/events';
const KiB = 1024;
const TOO_LARGE = { kind: 'Status', status: 'Failure', reason: 'RequestEntityTooLarge', code: 413, message: 'etcdserver: request is too large' };

describe('the object size limit (1.5 MiB encoded, as etcd)', () => {
  let s: TestApiServer;
  beforeAll(async () => {
    s = await startTestApiServer();
  });
  afterAll(async () => {
    await s?.close();
  });

  const send = async (method: 'GET' | 'POST' | 'PUT' | 'PATCH', path: string, body?: unknown, contentType = 'application/json') => {
    const r = await s.client.requestRaw({ method, path, body: body === undefined ? undefined : JSON.stringify(body), contentType });
    return { code: r.statusCode, json: JSON.parse(r.body.toString('utf8')) };
  };
  const cm = (name: string, size: number) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, data: { v: 'x'.repeat(size) } });
  const ev = (name: string, size: number) => ({
    apiVersion: 'v1',
    kind: 'Event',
    metadata: { name },
    involvedObject: { kind: 'Pod', namespace: 'default', name: 'p' },
    message: 'x'.repeat(size),
  });

  it('refuses a create over the limit (the body itself is under 3 MiB) and stores nothing', async () => {
    expect(await send('POST', EV, ev('big', 1600 * KiB))).toMatchObject({ code: 413, json: TOO_LARGE });
    expect((await send('GET', `${EV}/big`)).code).toBe(404);
    expect((await send('POST', EV, ev('big', 1400 * KiB))).code).toBe(201);
  });

  it('refuses an update, a patch of each kind and an apply that would grow an object over it', async () => {
    const created = await send('POST', EV, ev('grow', 1000 * KiB));
    expect(created.code).toBe(201);
    const rv = created.json.metadata.resourceVersion;
    const reason = 'y'.repeat(600 * KiB);
    const attempts = [
      await send('PUT', `${EV}/grow`, { ...created.json, reason }),
      await send('PATCH', `${EV}/grow`, { reason }, 'application/merge-patch+json'),
      await send('PATCH', `${EV}/grow`, { reason }, 'application/strategic-merge-patch+json'),
      // Under the copy limit of a JSON patch, over the object limit once copied.
      await send('PATCH', `${EV}/grow`, [{ op: 'copy', from: '/message', path: '/reason' }], 'application/json-patch+json'),
      await send('PATCH', `${EV}/grow?fieldManager=test&force=true`, { ...ev('grow', 1000 * KiB), reason }, 'application/apply-patch+yaml'),
    ];
    expect(attempts.map((a) => a.code)).toEqual([413, 413, 413, 413, 413]);
    for (const a of attempts) expect(a.json).toMatchObject(TOO_LARGE);
    const after = await send('GET', `${EV}/grow`);
    expect(after.json.metadata.resourceVersion).toBe(rv);
    expect(after.json.reason).toBeUndefined();
  });

  it('no longer stores a 100 MiB object built by 50 copies of a 2 MiB value', async () => {
    expect((await send('POST', CM, cm('copies', 10))).code).toBe(201);
    const ops = [
      { op: 'add', path: '/data/v', value: 'x'.repeat(2048 * KiB) },
      ...Array.from({ length: 50 }, (_, i) => ({ op: 'copy', from: '/data/v', path: `/data/c${i}` })),
    ];
    const r = await send('PATCH', `${CM}/copies`, ops, 'application/json-patch+json');
    expect(r.code).toBeGreaterThanOrEqual(400);
    expect(r.code).toBeLessThan(500);
    expect((await send('GET', `${CM}/copies`)).json.data).toEqual({ v: 'x'.repeat(10) });
  });
});

describe('ObjectStore over an etcd with a lower --max-request-bytes', () => {
  it('answers its refusal as the same 413', async () => {
    const refusing = {
      txn: async () => {
        throw new EtcdError('etcdserver: request is too large', { code: GrpcCode.INVALID_ARGUMENT, httpStatus: 400 });
      },
    } as unknown as KvClient;
    const store = new ObjectStore(refusing);
    const obj = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'a', namespace: 'default' } };
    const err = await store.create('/registry/configmaps/default/a', obj).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StatusError);
    expect((err as StatusError).toStatus()).toMatchObject(TOO_LARGE);
  });
});
