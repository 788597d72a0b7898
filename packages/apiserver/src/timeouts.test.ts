/**
 * Requests and connections are bounded in time as kube-apiserver bounds them: a request
 * that is not long-running is answered within the request timeout (504 Timeout), a body
 * that trickles in does not hold a connection past it, an error answered before the body
 * was read closes the connection, headers that trickle in are cut off (408), `?timeout=`
 * shortens the deadline and a bad one is 400, and watches are not cut short. The server
 * here runs with short timeouts (1.5 s per request, 1 s for headers) so the test is quick.
 */
import { connect, type TLSSocket } from 'node:tls';
import { kubeconfigTls } from '@minik8s/client/kube';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApiServer, type TestApiServer } from './testing/cluster.ts';

const REQUEST_MS = 1500;
const HEADERS_MS = 1000;

interface Conn {
  socket: TLSSocket;
  /** Everything the server sent so far. */
  received(): string;
  /** Resolves with the ms from opening to the server closing the connection. */
  closed: Promise<number>;
}

describe('request and connection timeouts', () => {
  let s: TestApiServer;
  let tls: { ca: string; cert: string; key: string };
  let port: number;

  beforeAll(async () => {
    s = await startTestApiServer({ timeouts: { requestMs: REQUEST_MS, headersMs: HEADERS_MS } });
    tls = kubeconfigTls(s.kubeconfigPath);
    port = Number(new URL(s.url).port);
  });
  afterAll(async () => {
    await s?.close();
  });

  async function open(withCertificate: boolean): Promise<Conn> {
    const opened = Date.now();
    const socket = connect({ host: '127.0.0.1', port, servername: 'localhost', ca: tls.ca, ...(withCertificate ? { cert: tls.cert, key: tls.key } : {}) });
    let text = '';
    socket.setEncoding('utf8');
    socket.on('data', (d: string) => {
      text += d;
    });
    socket.on('error', () => {});
    const closed = new Promise<number>((resolve) => socket.once('close', () => resolve(Date.now() - opened)));
    await new Promise<void>((resolve, reject) => {
      socket.once('secureConnect', resolve);
      socket.once('error', reject);
    });
    return { socket, received: () => text, closed };
  }

  /** Writes one byte every `everyMs` until the connection closes or `maxBytes` are sent. */
  function trickle(c: Conn, everyMs: number, maxBytes: number): void {
    let sent = 0;
    const t = setInterval(() => {
      if (c.socket.destroyed || sent++ >= maxBytes) return clearInterval(t);
      c.socket.write('x');
    }, everyMs);
    c.closed.then(() => clearInterval(t));
  }

  const revision = async () => (await s.client.request<{ metadata: { resourceVersion: string } }>({ path: '/api/v1/namespaces' })).metadata.resourceVersion;

  it('closes the connection right after a 401 to a body still trickling in', async () => {
    const c = await open(false);
    c.socket.write(
      'POST /api/v1/namespaces/default/configmaps HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{',
    );
    trickle(c, 100, 1000);
    const ms = await c.closed;
    expect(c.received()).toMatch(/^HTTP\/1\.1 401 /);
    expect(c.received()).toMatch(/connection: close/i);
    expect(ms).toBeLessThan(1000);
  });

  it('answers a body that trickles past the request timeout with 504 Timeout, closes the connection, and stores nothing', async () => {
    const before = await revision();
    const c = await open(true);
    c.socket.write(
      'POST /api/v1/namespaces/default/configmaps HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{',
    );
    trickle(c, 100, 1000);
    const ms = await c.closed;
    const reply = c.received();
    expect(reply).toMatch(/^HTTP\/1\.1 504 /);
    const status = JSON.parse(reply.slice(reply.indexOf('\r\n\r\n') + 4));
    expect(status).toMatchObject({
      kind: 'Status',
      status: 'Failure',
      reason: 'Timeout',
      code: 504,
      message: 'Timeout: request did not complete within requested timeout - context deadline exceeded',
    });
    expect(ms).toBeGreaterThanOrEqual(REQUEST_MS - 100);
    expect(ms).toBeLessThan(REQUEST_MS + 1500);
    expect(await revision()).toBe(before);
  });

  it('cuts off headers that trickle in (408) within the header timeout and the check interval', async () => {
    const c = await open(true);
    c.socket.write('GET /api/v1/namespaces HTTP/1.1\r\nHost: localhost\r\nX-Slow: ');
    trickle(c, 100, 1000);
    const ms = await c.closed;
    expect(c.received()).toMatch(/^HTTP\/1\.1 408 /);
    expect(ms).toBeLessThan(HEADERS_MS + 1500);
  });

  it('keeps a connection that got a complete request and an error open for the next request', async () => {
    const c = await open(true);
    c.socket.write('GET /api/v1/namespaces/default/configmaps/missing HTTP/1.1\r\nHost: localhost\r\n\r\n');
    c.socket.write('GET /api/v1/namespaces/default HTTP/1.1\r\nHost: localhost\r\n\r\n');
    await expect.poll(() => (c.received().match(/HTTP\/1\.1 \d{3}/g) ?? []).join(','), { timeout: 3000 }).toBe('HTTP/1.1 404,HTTP/1.1 200');
    expect(c.socket.destroyed).toBe(false);
    c.socket.destroy();
  });

  it('takes ?timeout= when it is shorter, and refuses one that is not a duration (400)', async () => {
    const ok = await s.client.request<{ kind: string }>({ path: '/api/v1/namespaces?timeout=10s' });
    expect(ok.kind).toBe('NamespaceList');
    const bad = await fetchStatus('/api/v1/namespaces?timeout=ten');
    expect(bad).toMatchObject({ code: 400, reason: 'BadRequest', message: 'invalid timeout specified in the request URL - time: invalid duration "ten"' });
  });

  it('does not cut a watch short at the request timeout', async () => {
    const c = await open(true);
    const started = Date.now();
    c.socket.write('GET /api/v1/namespaces?watch=true&timeoutSeconds=3 HTTP/1.1\r\nHost: localhost\r\n\r\n');
    // The stream ends (its last chunk) when timeoutSeconds is up, not at the request timeout.
    await expect.poll(() => c.received().endsWith('\r\n0\r\n\r\n'), { timeout: 6000, interval: 50 }).toBe(true);
    const ms = Date.now() - started;
    expect(c.received()).toMatch(/^HTTP\/1\.1 200 /);
    expect(c.received()).toContain('"type":"ADDED"');
    expect(ms).toBeGreaterThanOrEqual(2900);
    c.socket.destroy();
  }, 15_000);

  async function fetchStatus(path: string): Promise<Record<string, unknown>> {
    const c = await open(true);
    c.socket.write(`GET ${path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n`);
    await c.closed;
    const reply = c.received();
    return JSON.parse(reply.slice(reply.indexOf('\r\n\r\n') + 4));
  }
});
