/**
 * One request and its response on a client connection: the request head rewritten and
 * sent (with the body streamed after it) to an endpoint chosen round-robin, retried on
 * the next endpoint when a connection cannot be made, then the response head rewritten
 * and its body streamed back, framed by Content-Length, chunked encoding or the upstream
 * closing. A 101 hands both sockets over to a tunnel.
 */
import type { Socket } from 'node:net';
import type { Endpoint, Route } from '../routes.ts';
import type { ClientConn } from './connection.ts';
import { ChunkedScanner, CRLFCRLF, parseResponseHead, type RequestHead, type ResponseHead } from './http1.ts';
import { PAGES, type Page } from './pages.ts';
import type { UpstreamConn, UpstreamOwner } from './upstream.ts';

export const MAX_HEAD = 64 * 1024;
/** Client bytes held while the upstream is not ready; past this the client is paused. */
export const MAX_PENDING = 1024 * 1024;
const NON_IDEMPOTENT = new Set(['POST', 'LOCK', 'PATCH']);
const CONNECT_ERRORS = new Set([
  'ECONNREFUSED',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EADDRNOTAVAIL',
  'ETIMEDOUT',
  'ECONNRESET',
  'EHOSTDOWN',
  'ENOTFOUND',
  'EAI_AGAIN',
]);
const CONTINUE = 'HTTP/1.1 100 Continue\r\n\r\n';

enum S {
  Connecting,
  AwaitingHead,
  Body,
  Done,
}

/** One request and its response. */
export class Exchange implements UpstreamOwner {
  upstreamAddr = '';
  private state = S.Connecting;
  private up: UpstreamConn | null = null;
  private attempt = 0;
  private readonly first: number;
  private readonly tries: number;
  private staleRetried = false;
  private timedOut = false;
  private readonly headRest: string;
  private readonly requestLine: string;
  // request body
  private bodyLeft = 0;
  private reqScanner: ChunkedScanner | null = null;
  private bodyDone = true;
  private bodySent = false;
  private pending: Buffer[] | null = null;
  private pendingBytes = 0;
  // response
  private respBuf: Buffer | null = null;
  private resp: ResponseHead | null = null;
  private respLeft = 0;
  private respScanner: ChunkedScanner | null = null;
  private dechunk = false;
  private untilClose = false;
  private reusable = false;
  private status = 0;

  constructor(
    private readonly client: ClientConn,
    readonly req: RequestHead,
    readonly route: Route,
    path: string,
    readonly target: string,
    readonly startedAt: number,
  ) {
    const backend = route.backend;
    if (backend.next >= 0x3fffffff) backend.next = 0;
    this.first = backend.next++ % backend.endpoints.length;
    this.tries = Math.min(client.engine.tries, backend.endpoints.length);
    this.requestLine = `${req.method} ${path} HTTP/1.1\r\n`;
    const scheme = client.scheme;
    let h = '';
    const lines = req.lines;
    for (let i = 0; i < lines.length; i++) h += `${lines[i]}\r\n`;
    if (req.upgrade) h += `Connection: upgrade\r\nUpgrade: ${req.upgrade}\r\n`;
    h += `X-Real-IP: ${client.remote}\r\nX-Forwarded-For: ${req.xff ? `${req.xff}, ${client.remote}` : client.remote}\r\nX-Forwarded-Host: ${req.host}\r\nX-Forwarded-Port: ${client.port}\r\nX-Forwarded-Proto: ${scheme}\r\nX-Forwarded-Scheme: ${scheme}\r\nX-Scheme: ${scheme}\r\n\r\n`;
    this.headRest = h;
  }

  get readingBody(): boolean {
    return !this.bodyDone;
  }

  start(): void {
    const req = this.req;
    if (req.contentLength > 0) {
      this.bodyLeft = req.contentLength;
      this.bodyDone = false;
    } else if (req.chunked) {
      this.reqScanner = new ChunkedScanner();
      this.bodyDone = false;
    }
    if (!this.bodyDone) {
      const b = this.client.takeBuffered();
      if (b) this.onClientBody(b);
      if (req.expectContinue && !this.bodyDone) this.client.socket.write(CONTINUE, 'latin1');
      if (this.state === S.Done) return;
    }
    this.send(false);
  }

  // ------------------------------------------------------------------ request

  onClientBody(d: Buffer): void {
    let chunk = d;
    let rest: Buffer | null = null;
    if (this.reqScanner) {
      let end: number;
      try {
        end = this.reqScanner.scan(d, 0);
      } catch {
        this.client.closeAfterExchange();
        if (this.state === S.Body) {
          // The response has begun: nothing to answer with but closing.
          this.abort();
          this.client.socket.destroy();
        } else {
          this.up?.destroy();
          this.up = null;
          this.fail(PAGES.badRequest);
        }
        return;
      }
      if (end >= 0) {
        this.bodyDone = true;
        if (end < d.length) {
          chunk = d.subarray(0, end);
          rest = d.subarray(end);
        }
      }
    } else if (d.length >= this.bodyLeft) {
      if (d.length > this.bodyLeft) {
        chunk = d.subarray(0, this.bodyLeft);
        rest = d.subarray(this.bodyLeft);
      }
      this.bodyLeft = 0;
      this.bodyDone = true;
    } else this.bodyLeft -= d.length;
    if (rest) this.client.stash(rest);
    if (chunk.length === 0 || this.state === S.Done) return;
    const up = this.up;
    if (up && this.state !== S.Connecting) {
      this.bodySent = true;
      if (!up.socket.write(chunk)) this.client.socket.pause();
    } else {
      if (!this.pending) this.pending = [];
      this.pending.push(chunk);
      this.pendingBytes += chunk.length;
      if (this.pendingBytes > MAX_PENDING) this.client.socket.pause();
    }
  }

  onUpstreamDrain(): void {
    if (this.state !== S.Done && this.client.socket.isPaused()) this.client.socket.resume();
  }

  private send(fresh: boolean): void {
    const eps = this.route.backend.endpoints;
    const ep: Endpoint = eps[(this.first + this.attempt) % eps.length]!;
    this.upstreamAddr = ep.address;
    const pool = this.client.engine.pool;
    let c = fresh ? undefined : pool.acquire(ep);
    if (c) {
      c.owner = this;
      this.up = c;
      c.setTimeoutMs(this.route.readTimeoutMs ?? this.client.engine.readTimeoutMs);
      this.transmit(c);
    } else {
      c = pool.connect(ep);
      c.owner = this;
      this.up = c;
      this.state = S.Connecting;
      c.setTimeoutMs(this.route.connectTimeoutMs ?? this.client.engine.connectTimeoutMs);
    }
  }

  onUpstreamConnect(): void {
    const c = this.up;
    if (!c || this.state !== S.Connecting) return;
    c.setTimeoutMs(this.route.readTimeoutMs ?? this.client.engine.readTimeoutMs);
    this.transmit(c);
  }

  private transmit(c: UpstreamConn): void {
    this.state = S.AwaitingHead;
    const s = c.socket;
    const head = this.req.host ? this.requestLine + this.headRest : `${this.requestLine}Host: ${this.upstreamAddr}\r\n${this.headRest}`;
    const pending = this.pending;
    if (pending) {
      this.pending = null;
      this.pendingBytes = 0;
      this.bodySent = true;
      s.cork();
      s.write(head, 'latin1');
      for (const b of pending) s.write(b);
      s.uncork();
      if (this.client.socket.isPaused()) this.client.socket.resume();
    } else s.write(head, 'latin1');
  }

  // ------------------------------------------------------------------ response

  onUpstreamData(d: Buffer): void {
    if (this.state === S.Body) {
      this.forward(d);
      return;
    }
    if (this.state !== S.AwaitingHead) return;
    let buf = this.respBuf ? Buffer.concat([this.respBuf, d]) : d;
    for (;;) {
      const end = buf.indexOf(CRLFCRLF);
      if (end < 0) {
        if (buf.length > MAX_HEAD) {
          this.upstreamFailed(PAGES.badGateway);
          return;
        }
        this.respBuf = buf;
        return;
      }
      let resp: ResponseHead;
      try {
        resp = parseResponseHead(buf.toString('latin1', 0, end));
      } catch {
        this.upstreamFailed(PAGES.badGateway);
        return;
      }
      const rest = buf.subarray(end + 4);
      if (resp.status < 200 && !(resp.status === 101 && this.req.upgrade)) {
        // Interim responses (100, 103): ours to absorb.
        if (rest.length === 0) {
          this.respBuf = null;
          return;
        }
        buf = rest;
        continue;
      }
      this.respBuf = null;
      this.startResponse(resp, rest);
      return;
    }
  }

  private startResponse(resp: ResponseHead, rest: Buffer): void {
    const client = this.client;
    const up = this.up!;
    this.resp = resp;
    this.status = resp.status;
    const cs = client.socket;
    if (resp.status === 101) {
      this.state = S.Done;
      let h = `HTTP/1.1 ${resp.statusText}\r\n`;
      for (const l of resp.lines) h += `${l}\r\n`;
      h += `Connection: upgrade\r\nUpgrade: ${resp.upgrade || this.req.upgrade}\r\n\r\n`;
      cs.cork();
      cs.write(h, 'latin1');
      if (rest.length) cs.write(rest);
      cs.uncork();
      up.setTimeoutMs(this.route.readTimeoutMs ?? client.engine.readTimeoutMs);
      client.becomeTunnel(this, up);
      return;
    }
    const noBody = this.req.method === 'HEAD' || resp.status === 204 || resp.status === 304;
    const http10 = this.req.minor === 0;
    if (noBody) this.respLeft = 0;
    else if (resp.chunked) {
      this.respScanner = new ChunkedScanner();
      this.dechunk = http10;
    } else if (resp.contentLength >= 0) this.respLeft = resp.contentLength;
    else this.untilClose = true;
    if (this.untilClose || this.dechunk || !this.bodyDone) client.closeAfterExchange();
    this.reusable = !resp.close && !this.untilClose && this.bodyDone;
    let h = `HTTP/1.1 ${resp.statusText}\r\n`;
    const lines = resp.lines;
    for (let i = 0; i < lines.length; i++) {
      const l = lines[i]!;
      if (this.dechunk && l.length > 17 && l.charCodeAt(17) === 58 && l.slice(0, 17).toLowerCase() === 'transfer-encoding') continue;
      h += `${l}\r\n`;
    }
    if (client.closingAfterExchange) h += 'Connection: close\r\n\r\n';
    else h += http10 ? 'Connection: keep-alive\r\n\r\n' : '\r\n';
    this.state = S.Body;
    if (noBody || rest.length === 0) {
      cs.write(h, 'latin1');
      if (noBody) {
        if (rest.length) this.reusable = false;
        this.complete();
      } else if (!this.untilClose && this.respLeft === 0 && !this.respScanner) this.complete();
      return;
    }
    if (!this.respScanner && !this.untilClose && rest.length === this.respLeft && rest.length <= 16384) {
      // The whole (small) response is here: one write.
      this.respLeft = 0;
      cs.write(h + rest.toString('latin1'), 'latin1');
      this.complete();
      return;
    }
    cs.cork();
    cs.write(h, 'latin1');
    this.forward(rest);
    cs.uncork();
  }

  private forward(d: Buffer): void {
    const cs = this.client.socket;
    let out = d;
    let end = -1;
    if (this.untilClose) {
      // ends when the upstream closes
    } else if (this.respScanner) {
      try {
        end = this.respScanner.scan(d, 0, this.dechunk ? (b) => this.write(cs, b) : undefined);
      } catch {
        this.client.closeAfterExchange();
        this.up?.destroy();
        cs.destroy();
        return;
      }
      if (this.dechunk) out = EMPTY;
      else if (end >= 0 && end < d.length) out = d.subarray(0, end);
    } else {
      if (d.length >= this.respLeft) {
        end = this.respLeft;
        if (d.length > end) out = d.subarray(0, end);
      }
      this.respLeft -= out.length;
    }
    if (out.length) this.write(cs, out);
    if (end >= 0) {
      if (end < d.length) this.reusable = false; // bytes past the response: not a connection to trust
      this.complete();
    }
  }

  private write(cs: Socket, b: Buffer): void {
    if (!cs.write(b)) this.up?.socket.pause();
  }

  onClientDrain(): void {
    const up = this.up;
    if (up && this.state === S.Body && up.socket.isPaused()) up.socket.resume();
  }

  private complete(): void {
    if (this.state === S.Done) return;
    this.state = S.Done;
    const up = this.up;
    this.up = null;
    if (up) {
      if (this.reusable && this.bodyDone && !up.closed) {
        if (up.socket.isPaused()) up.socket.resume();
        this.client.engine.pool.release(up, this.resp?.keepAliveMs ?? 0);
      } else up.destroy();
    }
    this.client.finishExchange(this, this.status);
  }

  // ------------------------------------------------------------------ failures

  onUpstreamTimeout(): void {
    this.timedOut = true;
    this.up?.socket.destroy(Object.assign(new Error('upstream timed out'), { code: 'ETIMEDOUT' }));
  }

  onUpstreamClose(err: NodeJS.ErrnoException | undefined): void {
    const c = this.up;
    this.up = null;
    if (this.state === S.Done || !c) return;
    const code = err?.code ?? '';
    if (this.state === S.Connecting) {
      if ((CONNECT_ERRORS.has(code) || this.timedOut) && this.attempt + 1 < this.tries) {
        this.attempt++;
        this.timedOut = false;
        this.send(false);
        return;
      }
      this.upstreamFailed(this.timedOut ? PAGES.timeout : PAGES.badGateway);
      return;
    }
    if (this.state === S.AwaitingHead) {
      const resendable = !this.respBuf && !this.timedOut && !this.bodySent && this.bodyDone && !NON_IDEMPOTENT.has(this.req.method);
      // A kept-alive connection the upstream had closed as we reused it: once more, on a new one.
      if (resendable && c.served > 0 && !this.staleRetried) {
        this.staleRetried = true;
        this.send(true);
        return;
      }
      // As nginx's proxy_next_upstream error: an idempotent request whose upstream failed
      // before any byte of its answer (an endpoint shutting down drops what it accepted)
      // goes to the next endpoint, within proxy-next-upstream-tries.
      if (resendable && this.attempt + 1 < this.tries) {
        this.attempt++;
        this.send(false);
        return;
      }
      this.upstreamFailed(this.timedOut ? PAGES.timeout : PAGES.badGateway);
      return;
    }
    // In the body.
    if (this.untilClose && !err && !this.timedOut) {
      this.complete();
      return;
    }
    this.state = S.Done;
    this.client.closeAfterExchange();
    this.client.socket.destroy();
  }

  private upstreamFailed(p: Page): void {
    this.up?.destroy();
    this.up = null;
    this.fail(p);
  }

  /** Answers with a page instead of the upstream's response (none has been sent). */
  private fail(p: Page): void {
    if (this.state === S.Done) return;
    this.state = S.Done;
    if (!this.bodyDone) this.client.closeAfterExchange();
    this.status = p.status;
    this.client.writePage(p, this.req.method === 'HEAD');
    this.client.finishExchange(this, p.status);
  }

  /** The client went away. */
  abort(): void {
    if (this.state === S.Done) return;
    this.state = S.Done;
    this.up?.destroy();
    this.up = null;
  }
}

const EMPTY = Buffer.alloc(0);
