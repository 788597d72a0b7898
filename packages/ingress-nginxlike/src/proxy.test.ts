/**
 * The proxy on its own (a routing table built by hand, no API server), driven with raw
 * bytes where HTTP/1.1 details matter: pipelining, chunked bodies, HTTP/1.0 clients,
 * HEAD, 100-continue, close-delimited answers, stale keep-alive connections, bad input.
 */
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer as createNetServer, type Server as NetServer, connect as netConnect, type Socket } from 'node:net';
import { eventually } from '@minik8s/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IngressProxy } from './proxy.ts';
import { buildRoutes, type RouteInputs } from './routes.ts';
import { send, startBackend, type TestBackend } from './testing/backends.ts';
import { makeIngress, makeService, makeSlice } from './testing/fixtures.ts';

let proxy: IngressProxy;
let port: number;
let echo: TestBackend;
let chunky: Server;
let raw: NetServer;
let stale: NetServer;
const staleSeen = { connections: 0, requests: 0 };
let inputs: RouteInputs;

/** Sends bytes on a new connection and collects what comes back until `done` says so or the peer closes. */
function exchange(data: string | string[], done: (got: string) => boolean = () => false, timeoutMs = 5000): Promise<{ text: string; closed: boolean }> {
  return new Promise((resolve, reject) => {
    const s = netConnect({ host: '127.0.0.1', port });
    let text = '';
    let closed = false;
    const timer = setTimeout(() => {
      s.destroy();
      reject(new Error(`no complete answer; got ${JSON.stringify(text)}`));
    }, timeoutMs);
    const finish = () => {
      clearTimeout(timer);
      s.destroy();
      resolve({ text, closed });
    };
    s.on('data', (d: Buffer) => {
      text += d.toString('latin1');
      if (done(text)) finish();
    });
    s.on('end', () => {
      closed = true;
      finish();
    });
    s.on('error', reject);
    s.on('connect', async () => {
      for (const part of Array.isArray(data) ? data : [data]) {
        s.write(part);
        await new Promise((r) => setTimeout(r, 20));
      }
    });
  });
}

const count = (s: string, sub: string) => s.split(sub).length - 1;

async function listen(server: Server | NetServer): Promise<number> {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return (server.address() as { port: number }).port;
}

beforeAll(async () => {
  echo = await startBackend('echo');
  // Answers in chunks without a Content-Length; /slow-continue sends an interim 100 first.
  chunky = createHttpServer((req, res) => {
    req.resume();
    req.on('end', () => {
      if (req.url === '/interim') res.writeContinue();
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.write('part1,');
      setTimeout(() => res.end('part2'), 10);
    });
  });
  // An HTTP/1.0-style server: no Content-Length, the body ends when it closes.
  raw = createNetServer((s: Socket) => {
    s.once('data', () => {
      s.end('HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nuntil-close body');
    });
  });
  // Answers the first request on a connection; drops the connection at the second (a keep-alive race).
  stale = createNetServer((s: Socket) => {
    staleSeen.connections++;
    let n = 0;
    s.on('data', () => {
      staleSeen.requests++;
      if (n++ === 0) s.write('HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nfresh');
      else s.destroy();
    });
    s.on('error', () => {});
  });
  const ports = { chunky: await listen(chunky), raw: await listen(raw), stale: await listen(stale) };
  const svc = (name: string, p: number) => ({
    service: makeService(name, [{ name: 'http', port: 80, targetPort: 'http' }]),
    slice: makeSlice(name, { name: 'http', port: p }, ['127.0.0.1']),
  });
  const all = [svc('echo', echo.port), svc('chunky', ports.chunky), svc('raw', ports.raw), svc('stale', ports.stale)];
  const ing = makeIngress('t')
    .className('nginx')
    .rule(
      't.test',
      ['/chunky', 'Prefix', 'chunky', 80],
      ['/interim', 'Prefix', 'chunky', 80],
      ['/raw', 'Prefix', 'raw', 80],
      ['/stale', 'Prefix', 'stale', 80],
      ['/', 'Prefix', 'echo', 80],
    )
    .obj();
  proxy = new IngressProxy({ httpPort: 0, httpsPort: 0, bindAddress: '127.0.0.1' });
  inputs = { ingresses: [ing], ingressClasses: [], services: all.map((x) => x.service), endpointSlices: all.map((x) => x.slice), secrets: [] };
  proxy.setRoutes(buildRoutes(inputs));
  port = (await proxy.listen()).http;
});

afterAll(async () => {
  await proxy?.close();
  await echo?.close();
  for (const s of [chunky, raw, stale]) {
    if (!s) continue;
    if ('closeAllConnections' in s) s.closeAllConnections();
    await new Promise((r) => s.close(r));
  }
});

describe('HTTP/1.1 on one connection', () => {
  it('answers pipelined requests in order', async () => {
    const req = (p: string) => `GET ${p} HTTP/1.1\r\nHost: t.test\r\n\r\n`;
    const { text } = await exchange(req('/one') + req('/two') + req('/three'), (t) => count(t, '"name":"echo"') === 3);
    const urls = [...text.matchAll(/"url":"([^"]+)"/g)].map((m) => m[1]);
    expect(urls).toEqual(['/one', '/two', '/three']);
    expect(count(text, 'HTTP/1.1 200 OK')).toBe(3);
  });

  it('keeps a client connection alive across requests sent one by one', async () => {
    const req = (p: string) => `GET ${p} HTTP/1.1\r\nHost: t.test\r\n\r\n`;
    const { text, closed } = await exchange([req('/a'), req('/b')], (t) => count(t, '"name":"echo"') === 2);
    expect(closed).toBe(false);
    expect(count(text, 'HTTP/1.1 200')).toBe(2);
  });

  it('streams a chunked request body and a chunked response', async () => {
    const body = '5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n';
    const { text } = await exchange(`POST /echo HTTP/1.1\r\nHost: t.test\r\nTransfer-Encoding: chunked\r\n\r\n${body}`, (t) => t.includes('"bodyLength"'));
    expect(text).toContain('"bodyLength":11');
    const chunked = await exchange('GET /chunky HTTP/1.1\r\nHost: t.test\r\n\r\n', (t) => t.endsWith('0\r\n\r\n'));
    expect(chunked.text).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect(chunked.text.toLowerCase()).toContain('transfer-encoding: chunked');
    expect(chunked.text).toContain('part1,');
    expect(chunked.text).toContain('part2');
  });

  it('de-chunks for an HTTP/1.0 client and closes after the response', async () => {
    const { text, closed } = await exchange('GET /chunky HTTP/1.0\r\nHost: t.test\r\n\r\n');
    expect(closed).toBe(true);
    expect(text.toLowerCase()).not.toContain('transfer-encoding');
    expect(text.endsWith('\r\n\r\npart1,part2')).toBe(true);
  });

  it('passes a close-delimited response through and then closes', async () => {
    const { text, closed } = await exchange('GET /raw HTTP/1.1\r\nHost: t.test\r\n\r\n');
    expect(closed).toBe(true);
    expect(text).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect(text).toContain('Connection: close');
    expect(text.endsWith('until-close body')).toBe(true);
  });

  it('answers HEAD without a body', async () => {
    const { text } = await exchange(['HEAD / HTTP/1.1\r\nHost: t.test\r\n\r\n', 'GET /after HTTP/1.1\r\nHost: t.test\r\n\r\n'], (t) =>
      t.includes('"url":"/after"'),
    );
    expect(count(text, 'HTTP/1.1 200 OK')).toBe(2);
    expect(count(text, '"name":"echo"')).toBe(1);
  });

  it('sends 100 Continue to a client that expects it, and absorbs the upstream interim answers', async () => {
    const { text } = await exchange(['POST / HTTP/1.1\r\nHost: t.test\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\n', 'ping'], (t) =>
      t.includes('"bodyLength":4'),
    );
    expect(text.startsWith('HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK')).toBe(true);
    expect(text).not.toContain('"expect"');
    const interim = await exchange('GET /interim HTTP/1.1\r\nHost: t.test\r\n\r\n', (t) => t.endsWith('0\r\n\r\n'));
    expect(interim.text).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
  });

  it('retries a kept-alive connection the upstream dropped as it was reused', async () => {
    expect((await send(port, '/stale', { host: 't.test' })).body).toBe('fresh');
    const before = staleSeen.connections;
    expect((await send(port, '/stale', { host: 't.test' })).body).toBe('fresh');
    expect(staleSeen.connections).toBe(before + 1); // the dropped one, then a new one
  });
});

describe('bad input', () => {
  it.each([
    ['a malformed request line', 'NONSENSE\r\n\r\n', 400],
    ['Content-Length with Transfer-Encoding', 'POST / HTTP/1.1\r\nHost: t.test\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n', 400],
    ['two different Content-Lengths', 'POST / HTTP/1.1\r\nHost: t.test\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd', 400],
    ['an unknown transfer coding', 'POST / HTTP/1.1\r\nHost: t.test\r\nTransfer-Encoding: gzip\r\n\r\n', 501],
    ['HTTP/1.1 without Host', 'GET / HTTP/1.1\r\n\r\n', 400],
    ['a space before the colon', 'GET / HTTP/1.1\r\nHost : t.test\r\n\r\n', 400],
    ['HTTP/2.0', 'GET / HTTP/2.0\r\nHost: t.test\r\n\r\n', 505],
    ['a bad chunk size', 'POST / HTTP/1.1\r\nHost: t.test\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n', 400],
  ])('answers %s with %i and closes', async (_what, data, status) => {
    const { text, closed } = await exchange(data);
    expect(text).toMatch(new RegExp(`^HTTP/1\\.1 ${status} `));
    expect(closed).toBe(true);
  });

  it('accepts an absolute-form request target', async () => {
    const { text } = await exchange('GET http://t.test/abs?x=1 HTTP/1.1\r\nHost: other\r\n\r\n', (t) => t.includes('"url"'));
    expect(text).toContain('"url":"/abs?x=1"');
    expect(text).toContain('"host":"other"');
  });

  it('answers an HTTP/1.0 request without Host from the default server', async () => {
    const { text, closed } = await exchange('GET / HTTP/1.0\r\n\r\n');
    expect(text).toMatch(/^HTTP\/1\.1 404 Not Found\r\n/);
    expect(text.endsWith('default backend - 404')).toBe(true);
    expect(closed).toBe(true);
  });
});

describe('table swaps', () => {
  it('keeps the round-robin position of backends that carry over', async () => {
    await send(port, '/x', { host: 't.test' });
    const before = proxy.routes.backends.get('default/echo:80')!;
    expect(before.next).toBeGreaterThan(0);
    proxy.setRoutes(buildRoutes(inputs));
    const after = proxy.routes.backends.get('default/echo:80')!;
    expect(after).not.toBe(before);
    expect(after.next).toBe(before.next);
    expect((await send(port, '/y', { host: 't.test' })).echo?.name).toBe('echo');
  });
});

describe('stopping', () => {
  it('lets a request in flight finish, then closes', async () => {
    let arrived = false;
    const slow = createHttpServer((_req, res) => {
      arrived = true;
      setTimeout(() => res.end('done late'), 300);
    });
    const p = new IngressProxy({ httpPort: 0, httpsPort: 0, bindAddress: '127.0.0.1' });
    const s = await listen(slow);
    const ing = makeIngress('s').className('nginx').rule('', ['/', 'Prefix', 'slow', 80]).obj();
    p.setRoutes(
      buildRoutes({
        ingresses: [ing],
        ingressClasses: [],
        services: [makeService('slow', [{ name: 'http', port: 80 }])],
        endpointSlices: [makeSlice('slow', { name: 'http', port: s }, ['127.0.0.1'])],
        secrets: [],
      }),
    );
    const { http } = await p.listen();
    const inFlight = send(http, '/', { host: 'x' });
    await eventually(() => arrived, { message: 'the request at the backend' });
    const closing = p.close(5000);
    const r = await inFlight;
    expect([r.status, r.body, r.headers.connection]).toEqual([200, 'done late', 'close']);
    await closing;
    await expect(send(http, '/', { host: 'x' })).rejects.toThrow(/ECONNREFUSED/);
    slow.closeAllConnections();
    await new Promise((r2) => slow.close(r2));
  });
});
