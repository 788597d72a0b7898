/**
 * Test peers on loopback: HTTP backends that answer with their own name and what they
 * received, a minimal WebSocket handshake (then a raw echo), and a client that sends one
 * request as curl would.
 */
import { createHash } from 'node:crypto';
import { createServer, request as httpRequest, type IncomingHttpHeaders, type Server } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { createServer as createNetServer, type Socket } from 'node:net';

export interface Echo {
  name: string;
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  bodyLength: number;
  bodySha256: string;
}

export interface TestBackend {
  name: string;
  host: string;
  port: number;
  /** TCP connections accepted so far. */
  connections: number;
  /** Requests received so far. */
  requests: number;
  close(): Promise<void>;
}

const WS_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';
export const wsAccept = (key: string) =>
  createHash('sha1')
    .update(key + WS_GUID)
    .digest('base64');

/**
 * A backend named `name`: answers JSON describing the request (`/big/N`: N bytes of 'x');
 * with `hang`, accepts requests and never answers. Upgrades: a WebSocket handshake, then
 * every chunk is echoed back prefixed with `name:`.
 */
export async function startBackend(name: string, o: { host?: string; hang?: boolean } = {}): Promise<TestBackend> {
  const host = o.host ?? '127.0.0.1';
  const sockets = new Set<Socket>();
  const server: Server = createServer((req, res) => {
    b.requests++;
    if (o.hang) return;
    const hash = createHash('sha256');
    let length = 0;
    req.on('data', (c: Buffer) => {
      length += c.length;
      hash.update(c);
    });
    req.on('end', () => {
      const big = /^\/big\/(\d+)$/.exec(req.url ?? '');
      if (big) {
        res.writeHead(200, { 'content-type': 'application/octet-stream', 'x-backend': name });
        res.end(Buffer.alloc(Number(big[1]), 'x'));
        return;
      }
      const echo: Echo = { name, method: req.method ?? '', url: req.url ?? '', headers: req.headers, bodyLength: length, bodySha256: hash.digest('hex') };
      res.writeHead(200, { 'content-type': 'application/json', 'x-backend': name });
      res.end(JSON.stringify(echo));
    });
  });
  server.keepAliveTimeout = 30_000;
  server.on('connection', (s: Socket) => {
    b.connections++;
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
  });
  server.on('upgrade', (req, socket: Socket, head: Buffer) => {
    const key = String(req.headers['sec-websocket-key'] ?? '');
    socket.write(
      `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${wsAccept(key)}\r\nX-Backend: ${name}\r\n\r\n`,
    );
    if (head.length) socket.write(`${name}:${head.toString()}`);
    socket.on('data', (d: Buffer) => socket.write(`${name}:${d.toString()}`));
    socket.on('error', () => {});
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, () => resolve());
  });
  const port = (server.address() as { port: number }).port;
  const b: TestBackend = {
    name,
    host,
    port,
    connections: 0,
    requests: 0,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
  return b;
}

/** A port on 127.0.0.1 that nothing listens on (bound, then closed). */
export async function closedPort(): Promise<number> {
  const s = createNetServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

export interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
  /** The backend's echo, when it answered one. */
  echo?: Echo;
}

export interface SendOptions {
  host?: string;
  method?: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
  https?: boolean;
  servername?: string;
  timeoutMs?: number;
}

/** One request to the proxy on 127.0.0.1 (a fresh connection, as curl makes), with a Host header. */
export function send(port: number, path: string, o: SendOptions = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const opts = {
      host: '127.0.0.1',
      port,
      path,
      method: o.method ?? 'GET',
      agent: false as const,
      headers: { ...(o.host ? { host: o.host } : {}), ...o.headers },
      timeout: o.timeoutMs ?? 10_000,
      ...(o.https ? { servername: o.servername ?? o.host?.replace(/:\d+$/, ''), rejectUnauthorized: false } : {}),
    };
    const req = (o.https ? httpsRequest : httpRequest)(opts, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        let echo: Echo | undefined;
        if (String(res.headers['content-type']).startsWith('application/json')) echo = JSON.parse(body) as Echo;
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body, echo });
      });
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`request to ${path} timed out`)));
    req.on('error', reject);
    req.end(o.body);
  });
}
