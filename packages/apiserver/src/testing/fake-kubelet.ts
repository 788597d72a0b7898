/**
 * A stand-in for a kubelet's `/containerLogs/{ns}/{pod}/{container}` endpoint, for
 * tests of `pods/log`: HTTPS with a serving certificate from the test cluster's CA (IP
 * SAN 127.0.0.1), asking for a client certificate, and answering from a table of
 * per-container logs. It records every request, who made it, and when it was closed.
 */
import { readFileSync } from 'node:fs';
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { TLSSocket } from 'node:tls';
import { issueCertificate, loadCa } from '@minik8s/client/pki';

export interface FakeContainer {
  /** Lines already written (each ends in a newline when served). */
  lines?: string[];
  /** Lines written one by one, `followEveryMs` apart, to a `follow=true` request. */
  followLines?: string[];
  /** Answer this status and plain-text body instead (e.g. 400 "is waiting to start"). */
  error?: { code: number; body: string };
}

export interface KubeletRequest {
  path: string;
  query: URLSearchParams;
  /** The client certificate's CN (undefined for plain HTTP or none). */
  clientCn?: string;
  closed: boolean;
}

export interface FakeKubelet {
  port: number;
  requests: KubeletRequest[];
  /** `ns/pod/container` → what to serve. */
  containers: Map<string, FakeContainer>;
  close(): Promise<void>;
}

/** Timestamps prefixed to each line for `timestamps=true`, like the kubelet's RFC 3339 nano stamps. */
export const FAKE_TIMESTAMP = '2025-01-02T03:04:05.000000006Z';

export async function startFakeKubelet(o: { pkiDir?: string; followEveryMs?: number } = {}): Promise<FakeKubelet> {
  const requests: KubeletRequest[] = [];
  const containers = new Map<string, FakeContainer>();
  const open = new Set<ServerResponse>();
  const handler = (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const socket = req.socket as TLSSocket;
    const cn = typeof socket.getPeerCertificate === 'function' ? socket.getPeerCertificate()?.subject?.CN : undefined;
    const record: KubeletRequest = { path: url.pathname, query: url.searchParams, clientCn: Array.isArray(cn) ? cn[0] : cn, closed: false };
    requests.push(record);
    res.on('close', () => {
      record.closed = true;
      open.delete(res);
    });
    const m = /^\/containerLogs\/([^/]+)\/([^/]+)\/([^/]+)$/.exec(url.pathname);
    const c = m ? containers.get(`${m[1]}/${m[2]}/${m[3]}`) : undefined;
    if (!c) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('404 page not found\n');
      return;
    }
    if (c.error) {
      res.writeHead(c.error.code, { 'content-type': 'text/plain' }).end(c.error.body);
      return;
    }
    const q = url.searchParams;
    const stamp = (l: string) => (q.get('timestamps') === 'true' ? `${FAKE_TIMESTAMP} ${l}` : l);
    let lines = c.lines ?? [];
    const tail = q.get('tailLines');
    if (tail !== null) lines = Number(tail) === 0 ? [] : lines.slice(-Number(tail));
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.write(lines.map((l) => `${stamp(l)}\n`).join(''));
    if (q.get('follow') !== 'true') return void res.end();
    open.add(res);
    const queue = [...(c.followLines ?? [])];
    const tick = setInterval(() => {
      const next = queue.shift();
      if (next === undefined) return clearInterval(tick);
      res.write(`${stamp(next)}\n`);
    }, o.followEveryMs ?? 100);
    res.on('close', () => clearInterval(tick));
  };

  let server: ReturnType<typeof createHttpServer>;
  if (o.pkiDir) {
    const ca = await loadCa(readFileSync(join(o.pkiDir, 'ca.crt'), 'utf8'), readFileSync(join(o.pkiDir, 'ca.key'), 'utf8'));
    const serving = await issueCertificate(ca, { cn: 'node-1', usage: ['server'], ips: ['127.0.0.1'], dns: ['node-1'] });
    server = createHttpsServer({ key: serving.key, cert: serving.cert, ca: ca.cert, requestCert: true, rejectUnauthorized: true }, handler);
  } else {
    server = createHttpServer(handler);
  }
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    requests,
    containers,
    close: () =>
      new Promise<void>((resolve) => {
        for (const r of open) r.destroy();
        server.close(() => resolve());
        server.closeAllConnections?.();
      }),
  };
}

/** A Node object whose kubelet is the fake one on loopback. */
export function fakeNodeStatus(port: number) {
  return {
    addresses: [
      { type: 'Hostname', address: 'node-1' },
      { type: 'InternalIP', address: '127.0.0.1' },
    ],
    daemonEndpoints: { kubeletEndpoint: { Port: port } },
  };
}
