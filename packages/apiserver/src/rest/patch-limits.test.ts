import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApiServer, type TestApiServer } from '../testing/cluster.ts';

const CM = '/api/v1/namespaces/default/configmaps';

describe('JSON patch limits', () => {
  let s: TestApiServer;
  beforeAll(async () => {
    s = await startTestApiServer();
  });
  afterAll(async () => {
    await s?.close();
  });

  const send = async (method: 'GET' | 'POST' | 'PUT' | 'PATCH', path: string, body: unknown, contentType = 'application/json') => {
    const r = await s.client.requestRaw({ method, path, body: JSON.stringify(body), contentType });
    return { code: r.statusCode, json: JSON.parse(r.body.toString('utf8')) };
  };

  it('refuses a patch whose copies double the object, fast, and stores nothing', async () => {
    await send('POST', CM, { metadata: { name: 'amplify' }, data: { a: '1' } });
    // Each copy puts /zz inside itself: 26 copies would make 2^26 nested arrays.
    const ops = [{ op: 'add', path: '/zz', value: [[1]] }, ...Array.from({ length: 26 }, () => ({ op: 'copy', from: '/zz', path: '/zz/0' }))];
    const started = performance.now();
    const r = await send('PATCH', `${CM}/amplify`, ops, 'application/json-patch+json');
    const took = performance.now() - started;
    expect(r.code).toBe(422);
    expect(r.json).toMatchObject({ kind: 'Status', status: 'Failure', reason: 'Invalid', code: 422 });
    expect(r.json.details.causes[0].message).toMatch(/past the limit of 3145728 bytes/);
    // Measured at about 10 ms; the bound leaves room for a busy CI machine.
    expect(took).toBeLessThan(250);
    const after = await send('GET', `${CM}/amplify`, undefined);
    expect(after.json.zz).toBeUndefined();
    expect(after.json.metadata.resourceVersion).toBeDefined();
  });

  it('still applies copies under the limit', async () => {
    await send('POST', CM, { metadata: { name: 'copies' }, data: { a: '1' } });
    const ops = [{ op: 'copy', from: '/data/a', path: '/data/b' }];
    const r = await send('PATCH', `${CM}/copies`, ops, 'application/json-patch+json');
    expect(r.code).toBe(200);
    expect(r.json.data).toEqual({ a: '1', b: '1' });
  });

  it("keeps the library's answers for a bad copy or move", async () => {
    await send('POST', CM, { metadata: { name: 'bad-from' }, data: { a: '1' } });
    for (const op of ['copy', 'move']) {
      const r = await send('PATCH', `${CM}/bad-from`, [{ op, from: '/data/nope', path: '/data/b' }], 'application/json-patch+json');
      expect({ op, code: r.code }).toEqual({ op, code: 400 });
      expect(r.json.message).toMatch(/from a path that does not exist/);
    }
    const moved = await send('PATCH', `${CM}/bad-from`, [{ op: 'move', from: '/data/a', path: '/data/c' }], 'application/json-patch+json');
    expect(moved.json.data).toEqual({ c: '1' });
  });

  it('does not clone a large object once per move', async () => {
    await send('POST', CM, { metadata: { name: 'big' }, data: { a: 'x'.repeat(1024 * 1024) } });
    const ops = Array.from({ length: 5_000 }, () => [
      { op: 'move', from: '/data/a', path: '/data/b' },
      { op: 'move', from: '/data/b', path: '/data/a' },
    ]).flat();
    const started = performance.now();
    const r = await send('PATCH', `${CM}/big`, ops, 'application/json-patch+json');
    expect(r.code).toBe(200);
    expect(performance.now() - started).toBeLessThan(2000);
  });

  it('refuses a patch of more than 10,000 operations with 413', async () => {
    await send('POST', CM, { metadata: { name: 'many' }, data: { a: '1' } });
    const ops = Array.from({ length: 10_001 }, () => ({ op: 'test', path: '/data/a', value: '1' }));
    const r = await send('PATCH', `${CM}/many`, ops, 'application/json-patch+json');
    expect(r.code).toBe(413);
    expect(r.json).toMatchObject({ kind: 'Status', reason: 'RequestEntityTooLarge', code: 413 });
  });
});
