/**
 * What a user sees writing ConfigMaps and Secrets with bad keys or too much data, and
 * numbers that do not fit their field: upstream's 422, and nothing stored.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type InjectServer, startInjectServer } from '../../rest/internal/inject-server.ts';

const CMS = '/api/v1/namespaces/default/configmaps';
const SECRETS = '/api/v1/namespaces/default/secrets';
const KEY_MSG =
  "a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')";
const causesOf = (json: Record<string, unknown>) => (json.details as { causes: Array<{ field: string; message: string }> }).causes;

describe('ConfigMap and Secret data, and integer fields', () => {
  let s: InjectServer;
  beforeAll(async () => {
    s = await startInjectServer();
  });
  afterAll(async () => {
    await s?.close();
  });
  const names = async (path: string) => ((await s.call('GET', path)).json.items as Array<{ metadata: { name: string } }>).map((i) => i.metadata.name);

  it('refuses ConfigMap keys that are not config keys, with IsConfigMapKey messages', async () => {
    const long = 'k'.repeat(300);
    const res = await s.call('POST', CMS, { metadata: { name: 'keys' }, data: { '../../../../tmp/x': 'a', 'a\u0000b': 'b', [long]: 'c', ok: 'd' } });
    expect(res.status).toBe(422);
    expect(causesOf(res.json)).toEqual([
      { reason: 'FieldValueInvalid', field: 'data[../../../../tmp/x]', message: `Invalid value: "../../../../tmp/x": ${KEY_MSG}` },
      { reason: 'FieldValueInvalid', field: 'data[../../../../tmp/x]', message: `Invalid value: "../../../../tmp/x": must not start with '..'` },
      { reason: 'FieldValueInvalid', field: 'data[a\u0000b]', message: `Invalid value: "a\\x00b": ${KEY_MSG}` },
      { reason: 'FieldValueInvalid', field: `data[${long}]`, message: `Invalid value: "${long}": must be no more than 253 characters` },
    ]);
    const dup = await s.call('POST', CMS, { metadata: { name: 'dup' }, data: { a: 'x' }, binaryData: { a: 'eA==', '..': 'eA==' } });
    expect(causesOf(dup.json).map((c) => `${c.field}: ${c.message}`)).toEqual([
      'data[a]: Invalid value: "a": duplicate of key present in binaryData',
      'binaryData[a]: Invalid value: "a": duplicate of key present in data',
      `binaryData[..]: Invalid value: "..": ${KEY_MSG}`.replace(KEY_MSG, "must not be '..'"),
    ]);
    expect(await names(CMS)).toEqual([]);
  });

  it('refuses more than 1 MiB of ConfigMap data (data and binaryData together)', async () => {
    const half = 'x'.repeat(600 * 1024);
    const big = await s.call('POST', CMS, { metadata: { name: 'big' }, data: { a: half }, binaryData: { b: Buffer.from(half).toString('base64') } });
    expect(big.status).toBe(422);
    expect(big.json.message).toBe('ConfigMap "big" is invalid: []: Too long: must have at most 1048576 bytes');
    const huge = await s.call('POST', CMS, { metadata: { name: 'huge' }, data: { a: 'x'.repeat(2.9 * 1024 * 1024) } });
    expect(huge.status).toBe(422);
    const limit = await s.call('POST', CMS, { metadata: { name: 'limit' }, data: { a: 'x'.repeat(1024 * 1024) } });
    expect(limit.status).toBe(201);
    expect(await names(CMS)).toEqual(['limit']);
  });

  it('stores stringData in data, base64, over the same key, and never returns it, on create and on update', async () => {
    const created = await s.call('POST', SECRETS, { metadata: { name: 'creds' }, data: { password: 'cGFzcw==', user: 'b2xk' }, stringData: { user: 'admin' } });
    expect(created.status).toBe(201);
    expect(created.json.data).toEqual({ password: 'cGFzcw==', user: Buffer.from('admin').toString('base64') });
    expect(created.json.stringData).toBeUndefined();
    const updated = await s.call('PUT', `${SECRETS}/creds`, { ...created.json, stringData: { token: 'é ok' } });
    expect(updated.status).toBe(200);
    expect(Buffer.from((updated.json.data as Record<string, string>).token!, 'base64').toString('utf8')).toBe('é ok');
    const read = await s.call('GET', `${SECRETS}/creds`);
    expect(Object.keys(read.json.data as Record<string, string>).sort()).toEqual(['password', 'token', 'user']);
    expect(read.json.stringData).toBeUndefined();
    expect((await s.call('DELETE', `${SECRETS}/creds`)).status).toBe(200);
  });

  it('refuses a Secret without the keys its type needs (422, nothing stored), counting stringData', async () => {
    const tls = await s.call('POST', SECRETS, { metadata: { name: 'tls' }, type: 'kubernetes.io/tls', data: { 'tls.crt': 'eA==' } });
    expect(tls.status).toBe(422);
    expect(tls.json.message).toBe('Secret "tls" is invalid: data[tls.key]: Required value');
    const docker = await s.call('POST', SECRETS, {
      metadata: { name: 'reg' },
      type: 'kubernetes.io/dockerconfigjson',
      stringData: { '.dockerconfigjson': '{not json' },
    });
    expect(docker.status).toBe(422);
    expect(causesOf(docker.json).map((c) => c.field)).toEqual(['data[.dockerconfigjson]']);
    const basic = await s.call('POST', SECRETS, { metadata: { name: 'basic' }, type: 'kubernetes.io/basic-auth', data: {} });
    expect(causesOf(basic.json).map((c) => c.field)).toEqual(['data[username]', 'data[password]']);
    const sa = await s.call('POST', SECRETS, { metadata: { name: 'sa' }, type: 'kubernetes.io/service-account-token' });
    expect(sa.json.message).toBe('Secret "sa" is invalid: metadata.annotations[kubernetes.io/service-account.name]: Required value');
    expect(await names(SECRETS)).toEqual([]);
    const ok = await s.call('POST', SECRETS, { metadata: { name: 'tls' }, type: 'kubernetes.io/tls', stringData: { 'tls.crt': 'c', 'tls.key': 'k' } });
    expect(ok.status).toBe(201);
    expect((await s.call('DELETE', `${SECRETS}/tls`)).status).toBe(200);
  });

  it('keeps an immutable ConfigMap or Secret as it is, and a Secret its type (422 on update)', async () => {
    const cm = await s.call('POST', CMS, { metadata: { name: 'frozen' }, immutable: true, data: { a: '1' } });
    const changed = await s.call('PUT', `${CMS}/frozen`, { ...cm.json, data: { a: '2' } });
    expect(changed.status).toBe(422);
    expect(changed.json.message).toBe('ConfigMap "frozen" is invalid: data: Forbidden: field is immutable when `immutable` is set');
    const thawed = await s.call('PUT', `${CMS}/frozen`, { ...cm.json, immutable: false });
    expect(thawed.json.message).toBe('ConfigMap "frozen" is invalid: immutable: Forbidden: field is immutable when `immutable` is set');
    const labelled = await s.call('PUT', `${CMS}/frozen`, { ...cm.json, metadata: { ...(cm.json.metadata as object), labels: { x: 'y' } } });
    expect(labelled.status).toBe(200);
    const secret = await s.call('POST', SECRETS, { metadata: { name: 'frozen' }, immutable: true, stringData: { a: '1' } });
    const newValue = await s.call('PUT', `${SECRETS}/frozen`, { ...secret.json, stringData: { a: '2' } });
    expect(newValue.json.message).toBe('Secret "frozen" is invalid: data: Forbidden: field is immutable when `immutable` is set');
    const retyped = await s.call('PUT', `${SECRETS}/frozen`, { ...secret.json, type: 'example.com/other' });
    expect(retyped.json.message).toBe('Secret "frozen" is invalid: type: Invalid value: "example.com/other": field is immutable');
    for (const path of [`${CMS}/frozen`, `${SECRETS}/frozen`]) expect((await s.call('DELETE', path)).status).toBe(200);
  });

  it('refuses bad Secret keys in data and stringData, and more than 1 MiB', async () => {
    const keys = await s.call('POST', SECRETS, { metadata: { name: 'keys' }, data: { '../x': 'eA==' }, stringData: { 'a/b': 'y' } });
    expect(keys.status).toBe(422);
    expect(causesOf(keys.json).map((c) => c.field)).toEqual(['data[../x]', 'data[../x]', 'data[a/b]']);
    const big = await s.call('POST', SECRETS, {
      metadata: { name: 'big' },
      data: { a: Buffer.alloc(800 * 1024).toString('base64') },
      stringData: { b: 'y'.repeat(300 * 1024) },
    });
    expect(big.status).toBe(422);
    expect(big.json.message).toBe('Secret "big" is invalid: data: Too long: must have at most 1048576 bytes');
    expect(await names(SECRETS)).toEqual([]);
  });

  it('refuses integers that do not fit their int32 field (replicas, Service ports)', async () => {
    const deploy = (replicas: string) =>
      `{"metadata":{"name":"d"},"spec":{"replicas":${replicas},"selector":{"matchLabels":{"a":"b"}},"template":{"metadata":{"labels":{"a":"b"}},"spec":{"containers":[{"name":"c","image":"i"}]}}}}`;
    const inf = await s.call('POST', '/apis/apps/v1/namespaces/default/deployments', deploy('1e400'));
    expect(inf.status).toBe(422);
    expect(inf.json.message).toContain('spec.replicas in body must be of type integer');
    const huge = await s.call('POST', '/apis/apps/v1/namespaces/default/deployments', deploy('18446744073709551616'));
    expect(huge.status).toBe(422);
    expect(huge.json.message).toContain('spec.replicas in body must be of type int32');
    const port = await s.call('POST', '/api/v1/namespaces/default/services', '{"metadata":{"name":"s"},"spec":{"ports":[{"port":1e400}]}}');
    expect(port.status).toBe(422);
    expect(causesOf(port.json).map((c) => c.field)).toEqual(['spec.ports[0].port']);
    expect(await names('/apis/apps/v1/namespaces/default/deployments')).toEqual([]);
    expect(await names('/api/v1/namespaces/default/services')).not.toContain('s');
  });
});
