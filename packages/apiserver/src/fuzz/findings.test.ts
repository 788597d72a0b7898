/**
 * What the fuzz suite (api-server.test.ts) found, each pinned by its own test: requests
 * refused before any handler still answer a Status; values of the wrong type or null
 * (names, kinds, ports, selector values, finalizers, Ingress rules) are a 4xx or handled
 * as upstream decodes them, never a 500; Warning headers are escaped and bounded; a YAML
 * body that takes the `yaml` library seconds no longer stops the event loop.
 */
import { readFileSync } from 'node:fs';
import { request } from 'node:https';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { connect } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApiServer, type TestApiServer } from '../testing/cluster.ts';

describe('fuzz findings', () => {
  let s: TestApiServer;
  let tls: { cert: string; key: string; ca: string };
  beforeAll(async () => {
    s = await startTestApiServer();
    const pki = (n: string) => readFileSync(join(s.dir, 'data', 'pki', n), 'utf8');
    tls = { cert: pki('admin.crt'), key: pki('admin.key'), ca: pki('ca.crt') };
  });
  afterAll(async () => {
    await s?.close();
  });

  /** Sends a request with the path byte for byte (latin1); answers status, headers and JSON. */
  const send = (method: string, path: string, body?: string, contentType = 'application/json') =>
    new Promise<{ status: number; headers: Record<string, unknown>; json: Record<string, unknown> }>((resolve, reject) => {
      const url = new URL(s.url);
      const req = request(
        { host: url.hostname, port: url.port, method, path, ...tls, agent: false, headers: body === undefined ? {} : { 'content-type': contentType } },
        (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (c: string) => {
            text += c;
          });
          res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, json: JSON.parse(text) }));
        },
      );
      req.on('error', reject);
      req.end(body);
    });

  it('answers a request line Node refuses with a BadRequest Status, and closes the connection', async () => {
    const url = new URL(s.url);
    const text = await new Promise<string>((resolve, reject) => {
      const socket = connect({ host: url.hostname, port: Number(url.port), ...tls }, () => {
        // A byte over 0x7f in the path: the HTTP parser refuses the request before Fastify sees it.
        socket.write(Buffer.concat([Buffer.from('GET /api/v1/namespaces/'), Buffer.from([0xe9, 0xff]), Buffer.from(' HTTP/1.1\r\nHost: x\r\n\r\n')]));
      });
      let out = '';
      socket.on('data', (c) => {
        out += c.toString('latin1');
      });
      socket.on('end', () => resolve(out));
      socket.on('error', reject);
    });
    const [head, body] = text.split('\r\n\r\n');
    expect(head).toMatch(/^HTTP\/1\.1 400 /);
    expect(head).toMatch(/\r\nConnection: close/i);
    expect(JSON.parse(body!)).toMatchObject({ kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'BadRequest', code: 400 });
  });

  it('answers a path whose percent-encoding is not UTF-8 with a BadRequest Status', async () => {
    const r = await send('GET', '/apis%c0%af/storage.k8s.io/v1/storageclasses');
    expect(r.status).toBe(400);
    expect(r.json).toMatchObject({ kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'BadRequest', code: 400 });
  });

  it('refuses a name, kind or apiVersion of the wrong type with a 4xx, even one whose toString is not a function', async () => {
    const evil = { toString: 1 };
    const cases: Array<[string, string, unknown, string?]> = [
      ['POST', '/api/v1/nodes', { apiVersion: 'v1', kind: 'Node', metadata: { name: evil } }],
      ['POST', '/apis/networking.k8s.io/v1/ingressclasses', { apiVersion: 'networking.k8s.io/v1', kind: evil, metadata: { name: 'x' } }],
      ['POST', '/api/v1/namespaces/default/configmaps', { apiVersion: evil, kind: 'ConfigMap', metadata: { name: 'x' } }],
      ['PATCH', '/api/v1/namespaces/default/configmaps/x?fieldManager=f', { apiVersion: evil, metadata: { name: 'x' } }, 'application/apply-patch+yaml'],
    ];
    await send('POST', '/api/v1/namespaces/default/pods', JSON.stringify({ metadata: { name: 'p' }, spec: { containers: [{ name: 'c', image: 'i' }] } }));
    cases.push(
      ['POST', '/api/v1/namespaces/default/pods/p/binding', { metadata: { name: evil }, target: {} }],
      ['POST', '/api/v1/namespaces/default/pods/p/binding', { metadata: { name: 'p' }, target: { kind: evil, name: 'n' } }],
    );
    for (const [method, path, body, type] of cases) {
      const r = await send(method, path, JSON.stringify(body), type);
      expect({ path, body, status: r.status, kind: r.json.kind }).toMatchObject({ path, body, kind: 'Status' });
      expect(r.status, `${method} ${path} ${JSON.stringify(body)}: ${r.json.message}`).toBeGreaterThanOrEqual(400);
      expect(r.status, `${method} ${path} ${JSON.stringify(body)}: ${r.json.message}`).toBeLessThan(500);
    }
  });

  it('escapes a warning that quotes a field name outside printable ASCII, where the raw name made the answer a 500', async () => {
    const r = await send('POST', '/api/v1/namespaces/default/configmaps', JSON.stringify({ metadata: { name: 'warned' }, 'd\u00e9j\u00e0\u65e5\u0001': 1 }));
    expect(r.status).toBe(201);
    expect(r.headers.warning).toBe('299 - "unknown field \\"d\\u00e9j\\u00e0\\u65e5\\u0001\\""');
  });

  it('bounds the Warning header as upstream (4096 characters of warnings), where 1,000 unknown fields made one of 37 KB that Node clients cannot read', async () => {
    const unknown = Object.fromEntries(Array.from({ length: 1000 }, (_, i) => [`unknownField${i}`, 1]));
    const r = await send('POST', '/api/v1/namespaces/default/configmaps', JSON.stringify({ metadata: { name: 'many-warnings' }, ...unknown }));
    expect(r.status).toBe(201);
    const header = String(r.headers.warning);
    expect(header.length).toBeLessThan(8 * 1024);
    expect(header).toMatch(/^299 - "unknown field \\"unknownField0\\"", 299 - /);
  });

  it('refuses a Service port that is null with a 422, not a 500', async () => {
    const r = await send(
      'POST',
      '/api/v1/namespaces/default/services',
      JSON.stringify({ metadata: { name: 'nullport' }, spec: { ports: [{ port: 80 }, null] } }),
    );
    expect(r.status).toBe(422);
    expect(r.json.message).toBe('Service "nullport" is invalid: spec.ports[1].port: Invalid value: 0: must be between 1 and 65535, inclusive');
  });

  it('defaults a null container port as upstream decodes it, an empty port, where apply failed with a 500', async () => {
    const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'nullport' }, spec: { containers: [{ name: 'c', image: 'i', ports: [null] }] } };
    const applied = await send('PATCH', '/api/v1/namespaces/default/pods/nullport?fieldManager=f', JSON.stringify(pod), 'application/apply-patch+yaml');
    expect(applied.status, String(applied.json.message)).toBeLessThan(500);
    const created = await send('POST', '/api/v1/namespaces/default/pods', JSON.stringify({ ...pod, metadata: { name: 'nullport2' } }));
    expect(created.status, String(created.json.message)).toBeLessThan(500);
    // Nothing stored holds the null for a reader to trip on.
    for (const name of ['nullport', 'nullport2']) {
      const got = await send('GET', `/api/v1/namespaces/default/pods/${name}`);
      if (got.status === 200)
        expect((got.json as { spec: { containers: Array<{ ports: unknown[] }> } }).spec.containers[0]!.ports).toEqual([{ protocol: 'TCP' }]);
    }
  });

  it('refuses a Deployment whose selector has an invalid label value, which its scale subresource could not render (a 500)', async () => {
    const labels = { app: 'http://x' };
    const d = {
      metadata: { name: 'badsel' },
      spec: { selector: { matchLabels: labels }, template: { metadata: { labels }, spec: { containers: [{ name: 'c', image: 'i' }] } } },
    };
    const r = await send('POST', '/apis/apps/v1/namespaces/default/deployments', JSON.stringify(d));
    expect(r.status).toBe(422);
    expect(r.json.message).toMatch(/^Deployment.apps "badsel" is invalid: spec.selector.matchLabels: Invalid value: "http:\/\/x": /);
  });

  it('renders the scale of a Deployment whose selector has a null label value (the empty string, as upstream decodes it), where it was a 500', async () => {
    const d = {
      metadata: { name: 'nullsel' },
      spec: { selector: { matchLabels: { app: null } }, template: { metadata: { labels: { app: '' } }, spec: { containers: [{ name: 'c', image: 'i' }] } } },
    };
    expect((await send('POST', '/apis/apps/v1/namespaces/default/deployments', JSON.stringify(d))).status).toBe(201);
    const scale = await send('GET', '/apis/apps/v1/namespaces/default/deployments/nullsel/scale');
    expect(scale.status).toBe(200);
    expect((scale.json as { status: { selector: string } }).status.selector).toBe('app=');
  });

  it('refuses finalizers that are not a list on an object being deleted with a 422, where it was a 500', async () => {
    await send('POST', '/api/v1/namespaces/default/configmaps', JSON.stringify({ metadata: { name: 'held', finalizers: ['example.com/hold'] } }));
    expect((await send('DELETE', '/api/v1/namespaces/default/configmaps/held')).status).toBe(200);
    const r = await send(
      'PUT',
      '/api/v1/namespaces/default/configmaps/held',
      JSON.stringify({ metadata: { name: 'held', finalizers: '2024-01-01T00:00:00Z' } }),
    );
    expect(r.status, String(r.json.message)).toBe(422);
  });

  it('refuses an update whose name is not a string with a 400, not a 500', async () => {
    await send('POST', '/api/v1/namespaces/default/secrets', JSON.stringify({ metadata: { name: 's' } }));
    const r = await send('PUT', '/api/v1/namespaces/default/secrets/s', JSON.stringify({ metadata: { name: { toString: 'Never' } } }));
    expect(r.status).toBe(400);
    expect(r.json.message).toBe('the name of the object ({"toString":"Never"}) does not match the name on the URL (s)');
  });

  it('prints a Table of an Ingress stored with a null rule, where the hosts column threw (a 500 on kubectl get)', async () => {
    const ing = { metadata: { name: 'nullrule' }, spec: { rules: [null, { host: 'a.example.com' }] } };
    expect((await send('POST', '/apis/networking.k8s.io/v1/namespaces/default/ingresses', JSON.stringify(ing))).status).toBe(201);
    const url = new URL(s.url);
    const table = await new Promise<{ status: number; json: { rows: Array<{ cells: unknown[] }> } }>((resolve, reject) => {
      const req = request(
        {
          host: url.hostname,
          port: url.port,
          path: '/apis/networking.k8s.io/v1/namespaces/default/ingresses/nullrule',
          ...tls,
          agent: false,
          headers: { accept: 'application/json;as=Table;v=v1;g=meta.k8s.io' },
        },
        (res) => {
          let text = '';
          res.on('data', (c) => {
            text += c;
          });
          res.on('end', () => resolve({ status: res.statusCode ?? 0, json: JSON.parse(text) }));
        },
      );
      req.on('error', reject);
      req.end();
    });
    expect(table.status).toBe(200);
    expect(table.json.rows[0]!.cells.slice(0, 3)).toEqual(['nullrule', '<none>', 'a.example.com']);
  });

  it('decodes a YAML body of 40,000 keys, refusing its duplicate key by line, without stopping the event loop', async () => {
    const keys = Array.from({ length: 40_000 }, (_, i) => `  k${i}: v${i}`);
    const yaml = `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: wide\ndata:\n${keys.join('\n')}\n  k7: again\n`;
    const delay = monitorEventLoopDelay({ resolution: 10 });
    delay.enable();
    const r = await send('PATCH', '/api/v1/namespaces/default/configmaps/wide?fieldManager=f', yaml, 'application/apply-patch+yaml');
    delay.disable();
    expect(r.status).toBe(400);
    expect(r.json.message).toBe('error decoding YAML: line 40006, column 3: Map keys must be unique at line 40006, column 3');
    // The library's own duplicate check took 16 s here, on the event loop (the bound leaves room for a busy machine).
    expect(delay.max / 1e6).toBeLessThan(1000);
  });

  it('decodes a small YAML body inline, with the same answers', async () => {
    const dup = await send('POST', '/api/v1/namespaces/default/configmaps', 'metadata:\n  name: a\n  name: b\n', 'application/yaml');
    expect(dup.json.message).toBe('error decoding YAML: line 3, column 3: Map keys must be unique at line 3, column 3');
    const ok = await send('POST', '/api/v1/namespaces/default/configmaps', 'metadata:\n  name: small\ndata:\n  a: "1"\n', 'application/yaml');
    expect(ok.status).toBe(201);
  });

  it('decodes deep flow mappings off the event loop, and within the depth limit without overflowing the stack', async () => {
    // Ten mappings 990 deep, 60 KB: on the event loop the yaml library stalled it for 140 ms,
    // then overflowed its stack (a 400 "Maximum call stack size exceeded"), under the depth limit of 1000.
    const deep = `${'{"a":'.repeat(990)}1${'}'.repeat(990)}`;
    const data = Array.from({ length: 10 }, (_, i) => `  k${i}: ${deep}`).join('\n');
    const delay = monitorEventLoopDelay({ resolution: 10 });
    delay.enable();
    const r = await send('POST', '/api/v1/namespaces/default/configmaps', `metadata:\n  name: deep\ndata:\n${data}\n`, 'application/yaml');
    delay.disable();
    expect(r.status).toBe(422);
    expect(delay.max / 1e6).toBeLessThan(400);
  });
});
