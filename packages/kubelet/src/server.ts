/**
 * The node server on :10250: `/healthz` and `/containerLogs/{namespace}/{pod}/{container}`
 * with upstream's query parameters (follow, tailLines, sinceSeconds, sinceTime,
 * timestamps, previous, limitBytes), streamed as text/plain. HTTPS with client
 * certificates required when a client CA is given (the API server proxies pods/log
 * here), plain HTTP otherwise (tests).
 */
import { createServer as createHttp, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttps } from 'node:https';
import type { Logger } from 'pino';
import { LABEL_CONTAINER_NAME, LABEL_POD_UID, LABEL_TYPE, TYPE_CONTAINER } from './runtime/labels.ts';
import type { ContainerInfo, ContainerRuntime } from './runtime/runtime.ts';
import { attemptsOf } from './status.ts';

export interface NodeServerOptions {
  runtime: ContainerRuntime;
  /** The uid of a Pod bound to this node, from the kubelet's cache. */
  podUid(namespace: string, name: string): string | undefined;
  log: Logger;
  tls?: { cert: string | Buffer; key: string | Buffer; ca?: string | Buffer };
  /** Answers /healthz and /readyz (the component runtime's checks); without it /healthz is a plain ok. */
  probe?: (path: string) => Promise<{ status: number; body: string } | undefined>;
}

function fail(res: ServerResponse, code: number, message: string): void {
  res.writeHead(code, { 'content-type': 'text/plain; charset=utf-8' });
  res.end(message);
}

async function containerLogs(o: NodeServerOptions, req: IncomingMessage, res: ServerResponse, url: URL, parts: string[]): Promise<void> {
  const [namespace, pod, container] = parts.map(decodeURIComponent) as [string, string, string];
  const uid = o.podUid(namespace, pod);
  if (!uid) return fail(res, 404, `pod "${pod}" in namespace "${namespace}" not found`);
  let infos: ContainerInfo[] = [];
  // A restart removes the attempt before the previous one: if one vanished between the
  // list and its inspection, look again rather than miss `previous`.
  for (let tries = 0; tries < 3; tries++) {
    const all = (await o.runtime.list({ [LABEL_POD_UID]: uid })).filter(
      (c) => c.labels[LABEL_TYPE] === TYPE_CONTAINER && c.labels[LABEL_CONTAINER_NAME] === container,
    );
    if (!all.length) return fail(res, 404, `container "${container}" in pod "${pod}" is not available`);
    infos = (await Promise.all(all.map((c) => o.runtime.inspect(c.id)))).filter((c) => !!c);
    if (infos.length === all.length) break;
  }
  const attempts = attemptsOf(infos, container);
  const q = url.searchParams;
  const previous = q.get('previous') === 'true';
  const target = previous ? attempts[1] : attempts[0];
  if (!target) {
    return fail(
      res,
      400,
      previous ? `previous terminated container "${container}" in pod "${pod}" not found` : `container "${container}" in pod "${pod}" is waiting to start`,
    );
  }
  const num = (k: string) => {
    const v = q.get(k);
    if (v === null || v === '') return undefined;
    const n = Number(v);
    if (!Number.isFinite(n) || n < 0) throw new Error(`${k}: "${v}" is not a non-negative number`);
    return n;
  };
  let tail: number | undefined;
  let since: number | undefined;
  let limit: number | undefined;
  try {
    tail = num('tailLines');
    limit = num('limitBytes');
    const sinceSeconds = num('sinceSeconds');
    if (sinceSeconds !== undefined) since = Date.now() / 1000 - sinceSeconds;
    const sinceTime = q.get('sinceTime');
    if (sinceTime) {
      const t = Date.parse(sinceTime);
      if (Number.isNaN(t)) throw new Error(`sinceTime: "${sinceTime}" is not an RFC 3339 time`);
      since = t / 1000;
    }
  } catch (e) {
    return fail(res, 400, (e as Error).message);
  }
  const ac = new AbortController();
  req.on('close', () => ac.abort());
  const follow = q.get('follow') === 'true' && !previous;
  const stream = await o.runtime.logs(target.id, {
    follow,
    ...(tail !== undefined ? { tail } : {}),
    ...(since !== undefined ? { since: Math.floor(since) } : {}),
    timestamps: q.get('timestamps') === 'true',
    signal: ac.signal,
  });
  res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-cache' });
  res.flushHeaders();
  let sent = 0;
  stream.on('data', (chunk: Buffer) => {
    if (limit !== undefined) {
      const room = limit - sent;
      if (room <= 0) return;
      if (chunk.length > room) chunk = chunk.subarray(0, room);
    }
    sent += chunk.length;
    res.write(chunk);
    if (limit !== undefined && sent >= limit) {
      stream.destroy();
      res.end();
    }
  });
  stream.on('end', () => res.end());
  stream.on('error', () => res.end());
  res.on('close', () => stream.destroy());
}

export function createNodeServer(o: NodeServerOptions): Server {
  const handler = (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const parts = url.pathname.split('/').filter(Boolean);
    if (req.method !== 'GET') return fail(res, 405, 'method not allowed');
    if (o.probe && (url.pathname === '/healthz' || url.pathname === '/readyz')) {
      void o.probe(req.url ?? '/').then((r) => {
        res.writeHead(r?.status ?? 404, { 'content-type': 'text/plain; charset=utf-8' });
        res.end(r?.body ?? '404 page not found');
      });
      return;
    }
    if (url.pathname === '/healthz') {
      res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' });
      return void res.end('ok');
    }
    if (parts[0] === 'containerLogs' && parts.length === 4) {
      containerLogs(o, req, res, url, parts.slice(1)).catch((e: Error) => {
        o.log.warn({ err: e, path: url.pathname }, 'containerLogs failed');
        if (!res.headersSent) fail(res, 500, e.message);
        else res.end();
      });
      return;
    }
    fail(res, 404, '404 page not found');
  };
  if (o.tls) {
    return createHttps({ cert: o.tls.cert, key: o.tls.key, ...(o.tls.ca ? { ca: o.tls.ca, requestCert: true, rejectUnauthorized: true } : {}) }, handler);
  }
  return createHttp(handler);
}
