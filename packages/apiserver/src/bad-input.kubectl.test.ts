/**
 * Bad input gets the Kubernetes error a user expects, and nothing is stored.
 */
import { readFileSync } from 'node:fs';
import { Agent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { startTestApiServer, type TestApiServer } from './testing/cluster.ts';

describe('bad input', () => {
  let s: TestApiServer;
  let agent: Agent;
  const call = async (method: string, path: string, body: string, contentType = 'application/json') => {
    const res = await request(`${s.url}${path}`, { method: method as 'POST', body, headers: { 'content-type': contentType }, dispatcher: agent });
    return { status: res.statusCode, json: (await res.body.json()) as Record<string, unknown> };
  };
  const configMapNames = async () => (await s.kubectl(['get', 'cm', '-o', 'name'])).stdout.split('\n').filter(Boolean);

  beforeAll(async () => {
    s = await startTestApiServer();
    const kc = parse(readFileSync(s.kubeconfigPath, 'utf8'));
    const b64 = (x: string) => Buffer.from(x, 'base64').toString();
    agent = new Agent({
      connect: {
        ca: b64(kc.clusters[0].cluster['certificate-authority-data']),
        cert: b64(kc.users[0].user['client-certificate-data']),
        key: b64(kc.users[0].user['client-key-data']),
      },
    });
  });
  afterAll(async () => {
    await agent?.close();
    await s?.close();
  });

  it('answers malformed JSON and YAML with a 400 naming the line and column', async () => {
    const json = await call('POST', '/api/v1/namespaces/default/configmaps', '{\n  "metadata": {"name": "x",}\n}');
    expect(json.status).toBe(400);
    expect(json.json).toMatchObject({ kind: 'Status', status: 'Failure', reason: 'BadRequest', code: 400 });
    expect(json.json.message).toMatch(/^error decoding JSON: .* at line 2, column 28$/);
    const yaml = await call('PATCH', '/api/v1/namespaces/default/configmaps/x?fieldManager=t', 'metadata:\n  name: [x\n', 'application/apply-patch+yaml');
    expect(yaml.status).toBe(400);
    expect(yaml.json.message).toMatch(/^error decoding YAML: line \d+, column \d+: /);
    expect(await configMapNames()).toEqual([]);
  });

  it('refuses bodies over 3 MiB with 413', async () => {
    const big = JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'big' }, data: { x: 'a'.repeat(3 * 1024 * 1024) } });
    const r = await call('POST', '/api/v1/namespaces/default/configmaps', big);
    expect(r.status).toBe(413);
    expect(r.json).toMatchObject({ reason: 'RequestEntityTooLarge', message: 'Request entity too large: limit is 3145728' });
    expect(await configMapNames()).toEqual([]);
  });

  it('refuses a kind that does not match the URL, and bad names with 422 and field paths', async () => {
    const wrong = await call('POST', '/api/v1/namespaces/default/configmaps', '{"apiVersion":"v1","kind":"Secret","metadata":{"name":"x"}}');
    expect(wrong.status).toBe(400);
    expect(wrong.json.message).toBe('the kind in the data (Secret) does not match the expected kind (ConfigMap)');
    const badName = await s.kubectl(['create', '-f', '-'], {
      input: '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"Bad_Name","labels":{"ok":"-no-"}}}',
    });
    expect(badName.code).toBe(1);
    expect(badName.stderr).toContain('The ConfigMap "Bad_Name" is invalid: \n* metadata.name: Invalid value: "Bad_Name": a lowercase RFC 1123 subdomain');
    expect(badName.stderr).toContain('* metadata.labels: Invalid value: "-no-": a valid label must be');
    expect(await configMapNames()).toEqual([]);
  });

  it('checks workloads beyond the schema, as upstream', async () => {
    const bad = `apiVersion: apps/v1
kind: Deployment
metadata: {name: bad}
spec:
  replicas: -1
  selector: {matchLabels: {app: x}}
  template:
    metadata: {labels: {app: z}}
    spec:
      restartPolicy: Never
      containers: [{name: web, image: ""}, {name: web, image: nginx}]
`;
    const r = await s.kubectl(['apply', '-f', '-'], { input: bad });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('The Deployment "bad" is invalid: \n');
    for (const line of [
      '* spec.replicas: Invalid value: -1: must be greater than or equal to 0',
      '* spec.template.metadata.labels: Invalid value: map[string]string{"app":"z"}: `selector` does not match template `labels`',
      '* spec.template.spec.containers[0].image: Required value',
      '* spec.template.spec.containers[1].name: Duplicate value: "web"',
      '* spec.template.spec.restartPolicy: Unsupported value: "Never": supported values: "Always"',
    ]) {
      expect(r.stderr).toContain(line);
    }
    expect((await s.kubectl(['get', 'deploy', 'bad'])).code).toBe(1);
  });

  it('tells kubectl about kinds the server does not have', async () => {
    const r = await s.kubectl(['apply', '-f', '-'], { input: 'apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w}\n' });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('no matches for kind "Widget" in version "example.com/v1"');
  });

  it('asks for credentials', async () => {
    const r = await request(`${s.url}/api/v1/namespaces`, { dispatcher: new Agent({ connect: { rejectUnauthorized: false } }) });
    expect(r.statusCode).toBe(401);
    expect(await r.body.json()).toMatchObject({ reason: 'Unauthorized', code: 401 });
  });
});
