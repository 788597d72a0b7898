/**
 * One client connection (plain or TLS) and the requests on it, on the raw socket:
 * request heads are read one at a time (pipelined requests wait their turn), each is
 * routed and either answered here (404, 503, redirect, 400) or handed to an Exchange
 * (exchange.ts) that proxies it; keep-alive, HTTP/1.0, draining on shutdown, access-log
 * entries, and the byte tunnel an upgrade becomes after the upstream's 101.
 */
import type { Socket } from 'node:net';
import type { Route } from '../routes.ts';
import { Exchange, MAX_HEAD, MAX_PENDING } from './exchange.ts';
import { CRLFCRLF, HttpError, parseRequestHead, type RequestHead } from './http1.ts';
import { PAGES, type Page } from './pages.ts';
import type { UpstreamConn, UpstreamOwner, UpstreamPool } from './upstream.ts';

export type Resolved = { kind: 'route'; route: Route; path: string } | { kind: 'page'; page: Page; location?: string };

/** One access-log entry (nginx's log variables, by their names). */
export interface AccessEntry {
  remote_addr: string;
  host: string;
  method: string;
  path: string;
  protocol: string;
  status: number;
  upstream_addr: string;
  /** Seconds, millisecond precision. */
  request_time: number;
  /** `namespace/name` of the Ingress ('' when none matched). */
  ingress: string;
  /** `service:port` ('' when none). */
  service: string;
}

/** Receives one entry per request (see access-log.ts). */
export interface AccessLogger {
  info(entry: AccessEntry): void;
}

/** What connections share: the proxy's routing and settings. */
export interface Engine {
  resolve(target: string, host: string, scheme: string): Resolved;
  readonly pool: UpstreamPool;
  readonly connectTimeoutMs: number;
  readonly readTimeoutMs: number;
  readonly tries: number;
  readonly accessLog: AccessLogger | undefined;
  readonly connections: Set<ClientConn>;
  /** Stopping: finish what is in flight, take nothing new. */
  readonly draining: boolean;
}

let dateCache = '';
let dateAt = 0;
function httpDate(): string {
  const now = Date.now();
  if (now - dateAt >= 1000) {
    dateAt = now - (now % 1000);
    dateCache = new Date(dateAt).toUTCString();
  }
  return dateCache;
}

const remoteOf = (s: Socket) => {
  const a = s.remoteAddress ?? '';
  return a.startsWith('::ffff:') ? a.slice(7) : a;
};

export class ClientConn {
  readonly remote: string;
  private buf: Buffer | null = null;
  private exchange: Exchange | null = null;
  private tunnel: UpstreamConn | null = null;
  private keepAlive = true;
  private closed = false;
  private ending = false;

  constructor(
    readonly socket: Socket,
    readonly engine: Engine,
    readonly scheme: string,
    readonly port: string,
    keepAliveTimeoutMs: number,
  ) {
    this.remote = remoteOf(socket);
    engine.connections.add(this);
    socket.setNoDelay(true);
    socket.setTimeout(keepAliveTimeoutMs);
    socket.on('data', (d: Buffer) => this.onData(d));
    socket.on('error', () => {});
    socket.on('close', () => this.onClose());
    socket.on('drain', () => {
      if (this.exchange) this.exchange.onClientDrain();
      else if (this.tunnel && !this.tunnel.closed) this.tunnel.socket.resume();
    });
    socket.on('timeout', () => {
      if (!this.exchange && !this.tunnel) socket.destroy();
    });
  }

  /** Idle between requests (safe to close). */
  get idle(): boolean {
    return !this.exchange && !this.tunnel;
  }

  /** Ends the connection after the request in flight (now, if none). */
  drain(): void {
    this.keepAlive = false;
    if (this.idle) this.socket.destroy();
  }

  private end(): void {
    this.ending = true;
    this.buf = null;
    this.socket.end();
  }

  private onData(d: Buffer): void {
    if (this.ending) return;
    const t = this.tunnel;
    if (t) {
      if (!t.socket.write(d)) this.socket.pause();
      return;
    }
    const ex = this.exchange;
    if (ex?.readingBody) {
      ex.onClientBody(d);
      return;
    }
    this.buf = this.buf ? Buffer.concat([this.buf, d]) : d;
    if (!ex) this.next();
    else if (this.buf.length > MAX_PENDING) this.socket.pause();
  }

  /** Bytes after a request's body: the start of the next request. */
  stash(rest: Buffer): void {
    this.buf = this.buf ? Buffer.concat([rest, this.buf]) : rest;
  }

  /** Takes the bytes received after the request head (they start the body). */
  takeBuffered(): Buffer | null {
    const b = this.buf;
    this.buf = null;
    return b;
  }

  private next(): void {
    while (!this.exchange && !this.tunnel && this.buf && !this.closed && !this.ending) {
      let buf = this.buf;
      // Empty lines before a request are allowed (RFC 9112 2.2).
      let s = 0;
      while (s < buf.length && (buf[s] === 13 || buf[s] === 10)) s++;
      if (s > 0) {
        buf = s < buf.length ? buf.subarray(s) : Buffer.alloc(0);
        this.buf = buf.length ? buf : null;
        if (!this.buf) return;
      }
      const end = buf.indexOf(CRLFCRLF);
      if (end < 0) {
        if (buf.length > MAX_HEAD) this.reject(400);
        return;
      }
      if (end > MAX_HEAD) {
        this.reject(400);
        return;
      }
      const head = buf.toString('latin1', 0, end);
      this.buf = end + 4 < buf.length ? buf.subarray(end + 4) : null;
      let req: RequestHead;
      try {
        req = parseRequestHead(head);
      } catch (e) {
        this.reject(e instanceof HttpError ? e.status : 400);
        return;
      }
      this.handle(req);
    }
    if (!this.exchange && this.socket.isPaused()) this.socket.resume();
  }

  private handle(req: RequestHead): void {
    const start = this.engine.accessLog ? performance.now() : 0;
    this.keepAlive = req.keepAlive && this.keepAlive && !this.engine.draining;
    let target = req.target;
    if (target.charCodeAt(0) !== 47 /* / */) {
      // Absolute form: the URL's host wins over the Host header, as in nginx.
      const m = /^https?:\/\/([^/?#]*)([^#]*)/i.exec(target);
      if (!m) {
        this.reject(400);
        return;
      }
      req.host = m[1]!;
      target = m[2] || '/';
      if (target.charCodeAt(0) !== 47) target = `/${target}`;
    } else if (!req.host && req.minor === 1) {
      this.reject(400);
      return;
    }
    const r = this.engine.resolve(target, req.host, this.scheme);
    if (r.kind === 'page') {
      // A body we will not read: close after answering.
      if (req.contentLength > 0 || req.chunked || req.upgrade) this.keepAlive = false;
      this.writePage(r.page, req.method === 'HEAD', r.location);
      this.log(req, target, r.page.status, '', start, undefined);
      if (!this.keepAlive) this.end();
      return;
    }
    this.exchange = new Exchange(this, req, r.route, r.path, target, start);
    this.exchange.start();
  }

  /** Answers with a page of our own (no exchange in flight). */
  writePage(p: Page, head: boolean, location?: string): void {
    let h = `HTTP/1.1 ${p.status} ${p.reason}\r\nDate: ${httpDate()}\r\nContent-Type: ${p.contentType}\r\nContent-Length: ${p.body.length}\r\n`;
    if (location) h += `Location: ${location}\r\n`;
    if (!this.keepAlive) h += 'Connection: close\r\n';
    h += '\r\n';
    if (head) this.socket.write(h, 'latin1');
    else {
      this.socket.cork();
      this.socket.write(h, 'latin1');
      this.socket.write(p.body);
      this.socket.uncork();
    }
  }

  private reject(status: number): void {
    const p =
      status === 505
        ? { ...PAGES.badRequest, status: 505, reason: 'HTTP Version Not Supported' }
        : status === 501
          ? { ...PAGES.badRequest, status: 501, reason: 'Not Implemented' }
          : PAGES.badRequest;
    this.keepAlive = false;
    this.buf = null;
    this.writePage(p, false);
    this.end();
  }

  /** Whether the response to the request in flight will be the last on this connection. */
  get closingAfterExchange(): boolean {
    return !this.keepAlive || this.engine.draining;
  }

  closeAfterExchange(): void {
    this.keepAlive = false;
  }

  /** The exchange is over: log it and go on with the next request (or close). */
  finishExchange(ex: Exchange, status: number): void {
    this.exchange = null;
    this.log(ex.req, ex.target, status, ex.upstreamAddr, ex.startedAt, ex.route);
    if (this.closed) return;
    if (!this.keepAlive || this.engine.draining) {
      this.end();
      return;
    }
    if (this.socket.isPaused()) this.socket.resume();
    if (this.buf) this.next();
  }

  /** After a 101: bytes flow both ways as they are until either side closes. */
  becomeTunnel(ex: Exchange, up: UpstreamConn): void {
    this.exchange = null;
    this.tunnel = up;
    this.socket.setTimeout(0);
    const client = this.socket;
    up.owner = {
      onUpstreamConnect() {},
      onUpstreamData(d) {
        if (!client.write(d)) up.socket.pause();
      },
      onUpstreamClose() {
        client.destroy();
      },
      onUpstreamTimeout() {
        up.socket.destroy();
      },
      onUpstreamDrain() {
        if (client.isPaused()) client.resume();
      },
    } satisfies UpstreamOwner;
    const rest = this.buf;
    this.buf = null;
    if (rest) up.socket.write(rest);
    if (client.isPaused()) client.resume();
    this.log(ex.req, ex.target, 101, ex.upstreamAddr, ex.startedAt, ex.route);
  }

  private onClose(): void {
    this.closed = true;
    this.engine.connections.delete(this);
    this.exchange?.abort();
    this.exchange = null;
    if (this.tunnel) {
      this.tunnel.destroy();
      this.tunnel = null;
    }
  }

  private log(req: RequestHead, target: string, status: number, upstream: string, start: number, route: Route | undefined): void {
    const al = this.engine.accessLog;
    if (!al) return;
    al.info({
      remote_addr: this.remote,
      host: req.host,
      method: req.method,
      path: target,
      protocol: req.minor === 1 ? 'HTTP/1.1' : 'HTTP/1.0',
      status,
      upstream_addr: upstream,
      request_time: Math.round(performance.now() - start) / 1000,
      ingress: route ? route.ingress : '',
      service: route ? `${route.backend.service}:${route.backend.port}` : '',
    });
  }
}
