/**
 * The kubelet's HTTP client, for httpGet probes and hooks, is as lenient as upstream's Go
 * client: self-signed HTTPS, bare-LF header lines, redirects not followed, Go's errors.
 */
import { createServer as createHttpsServer } from 'node:https';
import { type AddressInfo, createServer } from 'node:net';
import type { Container, Probe } from '@minik8s/api';
import { createCa, issueCertificate } from '@minik8s/client/pki';
import { afterAll, describe, expect, it } from 'vitest';
import { kubeletGet } from './http-get.ts';
import { runProbe } from './probes.ts';
import { FakeRuntime } from './runtime/fake.ts';

const closers: Array<() => void> = [];
afterAll(() => {
  for (const c of closers) c();
});

/** A raw TCP server answering every connection with `reply` as it is. */
async function raw(reply: string): Promise<number> {
  const server = createServer((s) => {
    s.once('data', () => s.end(reply));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  closers.push(() => server.close());
  return (server.address() as AddressInfo).port;
}

describe('kubeletGet', () => {
  it('reads header lines that end in a bare LF (busybox httpd CGI), and does not follow redirects', async () => {
    const lf = await raw('HTTP/1.1 200 OK\nContent-Type: text/plain\nContent-Length: 2\n\nok');
    expect(await kubeletGet(`http://127.0.0.1:${lf}/`, {}, 2000)).toEqual({ status: 200, body: 'ok' });
    const moved = await raw('HTTP/1.1 302 Found\r\nLocation: http://127.0.0.1:1/elsewhere\r\nContent-Length: 0\r\n\r\n');
    expect((await kubeletGet(`http://127.0.0.1:${moved}/`, {}, 2000)).status).toBe(302);
  });

  it('does not check an HTTPS server certificate, as a Pod serves a self-signed one', async () => {
    const ca = await createCa('pod-ca');
    const pem = await issueCertificate(ca, { cn: 'pod', ips: ['10.0.0.1'] });
    const server = createHttpsServer({ cert: pem.cert, key: pem.key }, (_req, res) => res.end('secure'));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    closers.push(() => server.close());
    const port = (server.address() as AddressInfo).port;
    expect(await kubeletGet(`https://127.0.0.1:${port}/healthz`, {}, 2000)).toEqual({ status: 200, body: 'secure' });
  });

  it('words a refused connection as Go does', async () => {
    const port = await raw('');
    closers.pop()?.();
    await expect(kubeletGet(`http://127.0.0.1:${port}/`, {}, 2000)).rejects.toThrow(
      `Get "http://127.0.0.1:${port}/": dial tcp 127.0.0.1:${port}: connect: connection refused`,
    );
  });

  it('lets an httpGet probe pass on a bare-LF answer and on a redirect (200-399)', async () => {
    const lf = await raw('HTTP/1.1 204 No Content\n\n');
    const c: Container = { name: 'c', image: 'x' };
    const probe = (port: number): Probe => ({ httpGet: { path: '/healthz', port } });
    const runtime = new FakeRuntime({});
    expect(await runProbe(runtime, probe(lf), c, 'id', '127.0.0.1')).toMatchObject({ ok: true });
    const moved = await raw('HTTP/1.1 301 Moved\r\nLocation: /x\r\nContent-Length: 0\r\n\r\n');
    expect(await runProbe(runtime, probe(moved), c, 'id', '127.0.0.1')).toMatchObject({ ok: true });
    const broken = await raw('HTTP/1.1 500 Oops\r\nContent-Length: 0\r\n\r\n');
    expect(await runProbe(runtime, probe(broken), c, 'id', '127.0.0.1')).toEqual({ ok: false, output: 'HTTP probe failed with statuscode: 500' });
  });
});
