/**
 * The controller against a real API server (in-process, embedded store) and real HTTP
 * backends on loopback: what a user sees with curl through the ingress.
 */
import { connect as netConnect } from 'node:net';
import { type PeerCertificate, connect as tlsConnect } from 'node:tls';
import { startTestApiServer, type TestApiServer } from '@minik8s/apiserver/testing';
import type { KubeClient, KubeObject } from '@minik8s/client/kube';
import { createCa, issueCertificate } from '@minik8s/client/pki';
import { eventually } from '@minik8s/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENDPOINT_SLICES, INGRESS_CLASSES, INGRESSES, type RunningIngressController, SECRETS, SERVICES, startIngressController } from './controller.ts';
import type { Ingress, IngressClass } from './internal/types.ts';
import { type AccessEntry, FAKE_CERTIFICATE_CN } from './proxy.ts';
import { closedPort, send, startBackend, type TestBackend, wsAccept } from './testing/backends.ts';
import { makeIngress, makeIngressClass, makeService, makeSlice, makeTlsSecret } from './testing/fixtures.ts';

const NS = 'default';
let api: TestApiServer;
let client: KubeClient;
let ctl: RunningIngressController;
let httpPort: number;
let httpsPort: number;
const backends: Record<string, TestBackend> = {};
const accessLog: AccessEntry[] = [];

const create = (ref: { group?: string; version: string; plural: string }, obj: KubeObject) =>
  client.create({ ...ref, namespace: obj.metadata.namespace ?? NS }, obj);
const createIngress = (i: Ingress) => create(INGRESSES, i);

/** A Service `name` (port 80 "http" → targetPort "http") whose endpoints are the given backends (one slice each) and extra slices. */
async function service(name: string, members: Array<TestBackend | { port: number; ready?: boolean }>): Promise<void> {
  await create(SERVICES, {
    ...makeService(name, [{ name: 'http', port: 80, targetPort: 'http' }]),
    spec: { ports: [{ name: 'http', port: 80, targetPort: 'http' }], selector: { app: name } },
  });
  let i = 0;
  for (const m of members) {
    const notReady = 'ready' in m && m.ready === false ? ['127.0.0.1'] : [];
    await create(ENDPOINT_SLICES, makeSlice(name, { name: 'http', port: m.port }, ['127.0.0.1'], { name: `${name}-${i++}`, notReady }));
  }
}

const get = (path: string, host: string, o: Parameters<typeof send>[2] = {}) => send(o.https ? httpsPort : httpPort, path, { host, ...o });

beforeAll(async () => {
  api = await startTestApiServer();
  client = api.client;
  for (const n of ['a1', 'a2', 'a3', 'b1', 'r1', 'k1']) backends[n] = await startBackend(n);
  backends.hang = await startBackend('hang', { hang: true });
  const dead = await closedPort();

  await client.create(INGRESS_CLASSES, makeIngressClass('nginx'));
  await service('app-a', [backends.a1!, backends.a2!, backends.a3!]);
  await service('app-b', [backends.b1!]);
  await service('app-retry', [{ port: dead }, backends.r1!]);
  await service('app-keepalive', [backends.k1!]);
  await service('app-dead', [{ port: dead }]);
  await service('app-notready', [{ port: backends.a1!.port, ready: false }]);
  await service('app-hang', [backends.hang]);

  const ca = await createCa('test-ingress-ca');
  const secure = await issueCertificate(ca, { cn: 'secure.test', dns: ['secure.test'], usage: ['server'] });
  const wild = await issueCertificate(ca, { cn: '*.tls-wild.test', dns: ['*.tls-wild.test'], usage: ['server'] });
  await create(SECRETS, makeTlsSecret('secure-tls', secure.cert, secure.key));
  await create(SECRETS, makeTlsSecret('wild-tls', wild.cert, wild.key));

  const ing = (name: string) => makeIngress(name).className('nginx');
  await createIngress(ing('web').rule('web.test', ['/a', 'Prefix', 'app-a', 80], ['/b', 'Prefix', 'app-b', 'http']).obj());
  await createIngress(ing('paths').rule('paths.test', ['/exact', 'Exact', 'app-b', 80], ['/', 'Prefix', 'app-a', 80]).obj());
  await createIngress(ing('wild').rule('*.wild.test', ['/', 'Prefix', 'app-b', 80]).obj());
  await createIngress(ing('secure').rule('secure.test', ['/', 'Prefix', 'app-b', 80]).tls(['secure.test'], 'secure-tls').obj());
  await createIngress(ing('tls-wild').rule('*.tls-wild.test', ['/', 'Prefix', 'app-b', 80]).tls(['*.tls-wild.test'], 'wild-tls').obj());
  await createIngress(
    ing('no-redirect')
      .annotate('nginx.ingress.kubernetes.io/ssl-redirect', 'false')
      .rule('optout.test', ['/', 'Prefix', 'app-b', 80])
      .tls(['optout.test'])
      .obj(),
  );
  await createIngress(ing('force').annotate('nginx.ingress.kubernetes.io/force-ssl-redirect', 'true').rule('force.test', ['/', 'Prefix', 'app-b', 80]).obj());
  await createIngress(
    ing('rewrite')
      .annotate('nginx.ingress.kubernetes.io/rewrite-target', '/$2')
      .rule('rewrite.test', ['/something(/|$)(.*)', 'ImplementationSpecific', 'app-b', 80])
      .obj(),
  );
  await createIngress(
    ing('errors')
      .annotate('nginx.ingress.kubernetes.io/proxy-read-timeout', '1')
      .rule(
        'errors.test',
        ['/retry', 'Prefix', 'app-retry', 80],
        ['/dead', 'Prefix', 'app-dead', 80],
        ['/notready', 'Prefix', 'app-notready', 80],
        ['/missing', 'Prefix', 'no-such-service', 80],
        ['/hang', 'Prefix', 'app-hang', 80],
        ['/keepalive', 'Prefix', 'app-keepalive', 80],
      )
      .obj(),
  );
  await createIngress(makeIngress('other-class').className('traefik').rule('other.test', ['/', 'Prefix', 'app-b', 80]).obj());
  await createIngress(makeIngress('no-class').rule('noclass.test', ['/', 'Prefix', 'app-b', 80]).obj());

  ctl = await startIngressController({
    client,
    httpPort: 0,
    httpsPort: 0,
    bindAddress: '127.0.0.1',
    redirectHttpsPort: 8443,
    publishAddress: '127.0.0.1',
    accessLog: { info: (e) => accessLog.push({ ...e }) },
  });
  httpPort = ctl.ports.http;
  httpsPort = ctl.ports.https;
  await eventually(async () => (await get('/b', 'web.test')).status === 200, { message: 'routes' });
});

afterAll(async () => {
  await ctl?.stop();
  for (const b of Object.values(backends)) await b.close();
  await api?.close();
});

describe('routing', () => {
  it('routes by host and path to two Services', async () => {
    expect((await get('/a/x', 'web.test')).echo?.name).toMatch(/^a[123]$/);
    expect((await get('/b', 'web.test')).echo?.name).toBe('b1');
    expect((await get('/b/deeper?q=1', 'WEB.test:80')).echo).toMatchObject({ name: 'b1', url: '/b/deeper?q=1' });
    const none = await get('/c', 'web.test');
    expect(none.status).toBe(404);
    expect(none.body).toBe('default backend - 404');
  });

  it('balances round-robin: every endpoint within a few requests, evenly', async () => {
    const seen: Record<string, number> = {};
    for (let i = 0; i < 30; i++) {
      const n = (await get('/a', 'web.test')).echo!.name;
      seen[n] = (seen[n] ?? 0) + 1;
    }
    expect(Object.keys(seen).sort()).toEqual(['a1', 'a2', 'a3']);
    for (const n of Object.values(seen)) expect(n).toBe(10);
  });

  it('prefers Exact over Prefix, and Prefix matches by path element', async () => {
    expect((await get('/exact', 'paths.test')).echo?.name).toBe('b1');
    expect((await get('/exact/', 'paths.test')).echo?.name).toMatch(/^a/);
    expect((await get('/exactly', 'paths.test')).echo?.name).toMatch(/^a/);
  });

  it('matches a wildcard host on exactly one label', async () => {
    expect((await get('/', 'x.wild.test')).echo?.name).toBe('b1');
    expect((await get('/', 'x.y.wild.test')).status).toBe(404);
    expect((await get('/', 'wild.test')).status).toBe(404);
  });

  it('answers an unknown host from the default backend', async () => {
    const r = await get('/', 'nowhere.test');
    expect([r.status, r.body]).toEqual([404, 'default backend - 404']);
  });

  it('serves only Ingresses of its class', async () => {
    expect((await get('/', 'other.test')).status).toBe(404);
    expect((await get('/', 'noclass.test')).status).toBe(404);
  });

  it('rewrites the path with rewrite-target capture groups, keeping the query', async () => {
    expect((await get('/something/new/path?x=1', 'rewrite.test')).echo?.url).toBe('/new/path?x=1');
    expect((await get('/something', 'rewrite.test')).echo?.url).toBe('/');
    expect((await get('/SOMETHING/else', 'rewrite.test')).echo?.url).toBe('/else');
  });
});

describe('what the backend sees', () => {
  it('gets Host as sent and the X-Forwarded-* headers', async () => {
    const r = await get('/b', 'web.test:8080', { headers: { 'x-forwarded-for': '203.0.113.7', connection: 'keep-alive, x-hop', 'x-hop': '1' } });
    expect(r.echo!.headers).toMatchObject({
      host: 'web.test:8080',
      'x-forwarded-for': '203.0.113.7, 127.0.0.1',
      'x-real-ip': '127.0.0.1',
      'x-forwarded-host': 'web.test:8080',
      'x-forwarded-port': String(httpPort),
      'x-forwarded-proto': 'http',
      'x-forwarded-scheme': 'http',
    });
    expect(r.echo!.headers['x-hop']).toBeUndefined();
    expect(r.headers['x-backend']).toBe('b1');
  });

  it('streams request and response bodies both ways', async () => {
    const body = Buffer.alloc(3 * 1024 * 1024, 'abc');
    const r = await get('/b/upload', 'web.test', { method: 'POST', body, headers: { 'content-type': 'application/octet-stream' } });
    expect(r.echo).toMatchObject({ method: 'POST', bodyLength: body.length });
    const big = await get('/big/5000000', 'x.wild.test');
    expect([big.status, big.body.length]).toEqual([200, 5_000_000]);
  });

  it('reuses keep-alive connections to the Pods', async () => {
    const before = backends.k1!.connections;
    for (let i = 0; i < 50; i++) expect((await get('/keepalive', 'errors.test')).status).toBe(200);
    expect(backends.k1!.requests).toBeGreaterThanOrEqual(50);
    expect(backends.k1!.connections - before).toBeLessThanOrEqual(2);
  });

  it('proxies a WebSocket upgrade and echoes both ways', async () => {
    const sock = netConnect({ host: '127.0.0.1', port: httpPort });
    const key = Buffer.from('0123456789abcdef').toString('base64');
    let got = '';
    sock.on('data', (d: Buffer) => {
      got += d.toString();
    });
    await new Promise<void>((r) => sock.once('connect', () => r()));
    sock.write(
      `GET /b/ws HTTP/1.1\r\nHost: web.test\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
    );
    await eventually(() => got.includes('\r\n\r\n'), { message: '101' });
    expect(got).toMatch(/^HTTP\/1\.1 101 /);
    expect(got).toContain(`Sec-WebSocket-Accept: ${wsAccept(key)}`);
    got = '';
    sock.write('hello');
    await eventually(() => got === 'b1:hello', { message: 'echo' });
    sock.write('again');
    await eventually(() => got === 'b1:hellob1:again', { message: 'second echo' });
    sock.destroy();
  });
});

describe('failures', () => {
  it('retries a refused endpoint on the next one: no failures', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 20; i++) statuses.push((await get('/retry', 'errors.test')).status);
    expect(statuses.every((s) => s === 200)).toBe(true);
    const posted = await get('/retry', 'errors.test', { method: 'POST', body: 'payload' });
    const posted2 = await get('/retry', 'errors.test', { method: 'POST', body: 'payload' });
    expect([posted.status, posted2.status]).toEqual([200, 200]);
    expect([posted.echo!.bodyLength, posted2.echo!.bodyLength]).toEqual([7, 7]);
  });

  it('answers 503 when no endpoint is ready (or the Service is missing)', async () => {
    const r = await get('/notready', 'errors.test');
    expect(r.status).toBe(503);
    expect(r.body).toContain('503 Service Temporarily Unavailable');
    expect((await get('/missing', 'errors.test')).status).toBe(503);
  });

  it('answers 502 when the only endpoint refuses', async () => {
    const r = await get('/dead', 'errors.test');
    expect(r.status).toBe(502);
    expect(r.body).toContain('502 Bad Gateway');
  });

  it('answers 504 when the backend never answers (proxy-read-timeout: 1)', async () => {
    const t0 = Date.now();
    const r = await get('/hang', 'errors.test');
    expect(r.status).toBe(504);
    expect(r.body).toContain('504 Gateway Time-out');
    expect(Date.now() - t0).toBeGreaterThanOrEqual(900);
    expect(Date.now() - t0).toBeLessThan(5000);
  });
});

describe('TLS', () => {
  const peer = (servername: string | undefined) =>
    new Promise<PeerCertificate>((resolve, reject) => {
      const s = tlsConnect({ host: '127.0.0.1', port: httpsPort, ...(servername ? { servername } : {}), rejectUnauthorized: false }, () => {
        resolve(s.getPeerCertificate());
        s.destroy();
      });
      s.on('error', reject);
    });

  it('picks the certificate by SNI, wildcard included; the fake default one otherwise', async () => {
    const secure = await peer('secure.test');
    expect(secure.subject.CN).toBe('secure.test');
    expect(secure.subjectaltname).toBe('DNS:secure.test');
    expect((await peer('a.tls-wild.test')).subjectaltname).toBe('DNS:*.tls-wild.test');
    const other = await peer('unknown.test');
    expect(other.subject.CN).toBe(FAKE_CERTIFICATE_CN);
    expect(other.issuer.CN).toBe(FAKE_CERTIFICATE_CN); // self-signed
    expect((await peer(undefined)).subject.CN).toBe(FAKE_CERTIFICATE_CN);
  });

  it('proxies HTTPS requests with X-Forwarded-Proto https', async () => {
    const r = await get('/x', 'secure.test', { https: true });
    expect(r.echo).toMatchObject({ name: 'b1', headers: { 'x-forwarded-proto': 'https', 'x-forwarded-port': String(httpsPort) } });
  });

  it('tunnels a WebSocket over TLS (wss)', async () => {
    const s = tlsConnect({ host: '127.0.0.1', port: httpsPort, servername: 'secure.test', rejectUnauthorized: false });
    let got = '';
    s.on('data', (d: Buffer) => {
      got += d.toString();
    });
    await new Promise<void>((r) => s.once('secureConnect', () => r()));
    s.write(
      'GET /chat HTTP/1.1\r\nHost: secure.test\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n',
    );
    await eventually(() => got.includes('\r\n\r\n'), { message: '101' });
    expect(got).toMatch(/^HTTP\/1\.1 101 /);
    expect(got).toContain('Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=');
    got = '';
    s.write('over tls');
    await eventually(() => got === 'b1:over tls', { message: 'echo' });
    s.destroy();
  });

  it('redirects plain HTTP to https with 308 for hosts with TLS, unless ssl-redirect is "false"', async () => {
    const r = await get('/path?q=1', 'secure.test');
    expect(r.status).toBe(308);
    expect(r.headers.location).toBe('https://secure.test:8443/path?q=1');
    expect((await get('/', 'a.tls-wild.test')).headers.location).toBe('https://a.tls-wild.test:8443/');
    expect((await get('/', 'optout.test')).status).toBe(200);
    expect((await get('/', 'optout.test', { https: true })).status).toBe(200);
    const forced = await get('/f', 'force.test');
    expect([forced.status, forced.headers.location]).toEqual([308, 'https://force.test:8443/f']);
    expect((await get('/.well-known/acme-challenge/x', 'secure.test')).status).toBe(200);
  });
});

describe('changes', () => {
  it('adds and removes a route within a second of an Ingress change', async () => {
    // Timed from the API server's answer: the change exists from then on.
    await createIngress(makeIngress('dynamic').className('nginx').rule('dyn.test', ['/', 'Prefix', 'app-b', 80]).obj());
    const t0 = Date.now();
    await eventually(async () => (await get('/', 'dyn.test')).status === 200, { message: 'route added', timeoutMs: 3000 });
    expect(Date.now() - t0).toBeLessThan(1000);
    await client.delete({ ...INGRESSES, namespace: NS, name: 'dynamic' });
    const t1 = Date.now();
    await eventually(async () => (await get('/', 'dyn.test')).status === 404, { message: 'route removed', timeoutMs: 3000 });
    expect(Date.now() - t1).toBeLessThan(1000);
  });

  it('follows EndpointSlice changes', async () => {
    await create(ENDPOINT_SLICES, makeSlice('app-b', { name: 'http', port: backends.a1!.port }, ['127.0.0.1'], { name: 'app-b-extra' }));
    await eventually(async () => (await get('/b', 'web.test')).echo?.name === 'a1', { message: 'new endpoint', timeoutMs: 3000 });
    await client.delete({ ...ENDPOINT_SLICES, namespace: NS, name: 'app-b-extra' });
    await eventually(
      async () => {
        const names = new Set<string>();
        for (let i = 0; i < 4; i++) names.add((await get('/b', 'web.test')).echo!.name);
        return names.size === 1 && names.has('b1');
      },
      { message: 'endpoint gone', timeoutMs: 3000 },
    );
  });

  it('writes status.loadBalancer.ingress on served Ingresses only', async () => {
    const status = async (name: string) => (await client.get<Ingress>({ ...INGRESSES, namespace: NS, name })).status?.loadBalancer?.ingress;
    await eventually(async () => JSON.stringify(await status('web')) === JSON.stringify([{ ip: '127.0.0.1' }]), { message: 'status' });
    expect(await status('other-class')).toBeUndefined();
  });

  it('serves Ingresses without a class once its IngressClass is the default', async () => {
    expect((await get('/', 'noclass.test')).status).toBe(404);
    const cls = await client.get<IngressClass>({ ...INGRESS_CLASSES, name: 'nginx' });
    await client.update(
      { ...INGRESS_CLASSES, name: 'nginx' },
      { ...cls, metadata: { ...cls.metadata, annotations: { 'ingressclass.kubernetes.io/is-default-class': 'true' } } },
    );
    await eventually(async () => (await get('/', 'noclass.test')).status === 200, { message: 'default class', timeoutMs: 3000 });
    expect((await get('/', 'other.test')).status).toBe(404);
  });

  it('wrote an access log line per request', () => {
    const line = accessLog.find((l) => l.host === 'web.test' && l.path === '/b' && l.status === 200);
    expect(line).toMatchObject({ remote_addr: '127.0.0.1', method: 'GET', upstream_addr: expect.stringMatching(/^127\.0\.0\.1:\d+$/), ingress: 'default/web' });
    expect(typeof line!.request_time).toBe('number');
    expect(accessLog.some((l) => l.status === 404 && l.upstream_addr === '')).toBe(true);
  });
});
