/**
 * Raw request paths over a socket (inject and fetch would resolve `..` themselves):
 * dot segments and encoded slashes in a namespace or name never reach another key.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type InjectServer, startInjectServer } from './internal/inject-server.ts';

describe('dot segments and encoded slashes in resource paths', () => {
  let s: InjectServer;
  beforeAll(async () => {
    s = await startInjectServer();
    await s.call('POST', '/api/v1/namespaces', { metadata: { name: 'other' } });
    await s.call('POST', '/api/v1/namespaces/other/configmaps', { metadata: { name: 'secret-cm' } });
    await s.call('POST', '/api/v1/namespaces/default/configmaps', { metadata: { name: 'mine' } });
  });
  afterAll(async () => {
    await s?.close();
  });

  const badRequest = (message: string) => ({ status: 400, json: { kind: 'Status', status: 'Failure', reason: 'BadRequest', code: 400, message } });

  it('refuses `.` and `..` as a namespace instead of listing every namespace', async () => {
    expect(await s.raw('GET', '/api/v1/namespaces/../configmaps')).toMatchObject(badRequest(`Namespace parameter invalid: "..": may not be '..'`));
    expect(await s.raw('GET', '/api/v1/namespaces/%2e%2e/configmaps')).toMatchObject(badRequest(`Namespace parameter invalid: "..": may not be '..'`));
    expect(await s.raw('GET', '/api/v1/namespaces/./configmaps?limit=5')).toMatchObject(badRequest(`Namespace parameter invalid: ".": may not be '.'`));
    expect(await s.raw('GET', '/api/v1/watch/namespaces/../configmaps')).toMatchObject({ status: 400 });
    expect(await s.raw('DELETE', '/api/v1/namespaces/../configmaps')).toMatchObject({ status: 400 });
    const list = await s.raw('GET', '/api/v1/namespaces/other/configmaps');
    expect((list.json.items as Array<{ metadata: { name: string } }>).map((i) => i.metadata.name)).toEqual(['secret-cm']);
  });

  it('refuses encoded slashes and percent signs in a namespace or name', async () => {
    expect(await s.raw('GET', '/api/v1/namespaces/default%2F..%2Fother/configmaps')).toMatchObject(
      badRequest(`Namespace parameter invalid: "default/../other": may not contain '/'`),
    );
    expect(await s.raw('GET', '/api/v1/namespaces/default/configmaps/a%2Fb')).toMatchObject(badRequest(`Name parameter invalid: "a/b": may not contain '/'`));
    expect(await s.raw('GET', '/api/v1/namespaces/default/configmaps/a%25b')).toMatchObject(badRequest(`Name parameter invalid: "a%b": may not contain '%'`));
    expect(await s.raw('GET', '/api/v1/namespaces/default/configmaps/%zz')).toMatchObject({ status: 400 });
  });

  it('refuses `..` as a name, on reads and writes of namespaced and cluster-scoped kinds', async () => {
    expect(await s.raw('GET', '/api/v1/namespaces/default/configmaps/..')).toMatchObject(badRequest(`Name parameter invalid: "..": may not be '..'`));
    expect(await s.raw('PUT', '/api/v1/namespaces/default/configmaps/..', { metadata: { name: '..' } })).toMatchObject({ status: 400 });
    expect(await s.raw('GET', '/api/v1/namespaces/..')).toMatchObject(badRequest(`Name parameter invalid: "..": may not be '..'`));
    expect(await s.raw('DELETE', '/api/v1/namespaces/.')).toMatchObject({ status: 400 });
    expect((await s.raw('GET', '/api/v1/namespaces/other')).status).toBe(200);
  });

  it('still serves ordinary paths, with their query strings', async () => {
    const res = await s.raw('GET', '/api/v1/namespaces/default/configmaps?labelSelector=');
    expect(res.status).toBe(200);
    expect((res.json.items as Array<{ metadata: { name: string } }>).map((i) => i.metadata.name)).toEqual(['mine']);
    expect((await s.raw('GET', '/api/v1/namespaces/default/configmaps/mine')).status).toBe(200);
  });
});
