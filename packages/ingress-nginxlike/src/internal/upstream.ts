/**
 * Connections to endpoints, kept alive between requests (nginx's upstream keepalive): a
 * stack of idle connections per endpoint, reused last-in first-out, not reused after an
 * idle timeout (or the upstream's own Keep-Alive hint, less a second), and closed when
 * their socket timeout passes unused. Each connection's
 * socket events go to its current owner (the exchange using it), so no listener is added
 * or removed per request.
 */
import { connect, type Socket } from 'node:net';

export interface UpstreamOwner {
  onUpstreamConnect(): void;
  onUpstreamData(d: Buffer): void;
  /** The connection is gone (`err` if it failed). Called once. */
  onUpstreamClose(err: NodeJS.ErrnoException | undefined): void;
  onUpstreamTimeout(): void;
  onUpstreamDrain(): void;
}

export interface EndpointAddress {
  host: string;
  port: number;
  address: string;
}

export class UpstreamConn {
  owner: UpstreamOwner | null = null;
  /** Exchanges completed on this connection: more than 0 means it is being reused. */
  served = 0;
  closed = false;
  /** While idle in the pool: when it stops being worth reusing (ms since the epoch). */
  idleUntil = 0;
  private timeoutMs = -1;
  private error: NodeJS.ErrnoException | undefined;

  constructor(
    readonly pool: UpstreamPool,
    readonly address: string,
    readonly socket: Socket,
  ) {
    socket.on('connect', () => this.owner?.onUpstreamConnect());
    socket.on('data', (d: Buffer) => {
      if (this.owner) this.owner.onUpstreamData(d);
      else socket.destroy(); // bytes while idle: not a connection to reuse
    });
    socket.on('error', (e: NodeJS.ErrnoException) => {
      this.error ??= e;
    });
    socket.on('close', () => {
      this.closed = true;
      this.pool.forget(this);
      const o = this.owner;
      this.owner = null;
      o?.onUpstreamClose(this.error);
    });
    socket.on('timeout', () => {
      if (this.owner) this.owner.onUpstreamTimeout();
      else socket.destroy();
    });
    socket.on('drain', () => this.owner?.onUpstreamDrain());
  }

  /** Socket inactivity timeout; only touches the socket when it changes. */
  setTimeoutMs(ms: number): void {
    if (ms !== this.timeoutMs) {
      this.timeoutMs = ms;
      this.socket.setTimeout(ms);
    }
  }

  /** Closes it, telling no one. */
  destroy(): void {
    this.owner = null;
    this.socket.destroy();
  }
}

export interface PoolOptions {
  /** Idle connections kept per endpoint. Default 320 (ingress-nginx upstream-keepalive-connections). */
  maxIdlePerEndpoint?: number;
  /** Default 60 s (upstream-keepalive-timeout). */
  idleTimeoutMs?: number;
}

export class UpstreamPool {
  private readonly idle = new Map<string, UpstreamConn[]>();
  private readonly maxIdle: number;
  private readonly idleTimeoutMs: number;
  private stopped = false;

  constructor(o: PoolOptions = {}) {
    this.maxIdle = o.maxIdlePerEndpoint ?? 320;
    this.idleTimeoutMs = o.idleTimeoutMs ?? 60_000;
  }

  /** An idle connection to the endpoint, if there is one. */
  acquire(ep: EndpointAddress): UpstreamConn | undefined {
    const list = this.idle.get(ep.address);
    if (!list) return undefined;
    let now = 0;
    while (list.length > 0) {
      const c = list.pop()!;
      if (c.closed) continue;
      now ||= Date.now();
      if (now < c.idleUntil) return c;
      c.destroy(); // idle too long: the upstream may be closing it right now
    }
    return undefined;
  }

  /** A new connection (connecting). */
  connect(ep: EndpointAddress): UpstreamConn {
    return new UpstreamConn(this, ep.address, connect({ host: ep.host, port: ep.port, noDelay: true }));
  }

  /** Back to the pool after a complete exchange; `hintMs`: the upstream's Keep-Alive timeout. */
  release(c: UpstreamConn, hintMs: number): void {
    c.owner = null;
    c.served++;
    let list = this.idle.get(c.address);
    if (!list) {
      list = [];
      this.idle.set(c.address, list);
    }
    if (this.stopped || c.closed || list.length >= this.maxIdle) {
      c.destroy();
      return;
    }
    // The socket keeps its read timeout (an idle socket that times out is closed); how long
    // it may sit idle is checked when it is taken, so reuse costs no timer changes.
    c.idleUntil = Date.now() + (hintMs > 0 ? Math.max(1000, Math.min(this.idleTimeoutMs, hintMs - 1000)) : this.idleTimeoutMs);
    list.push(c);
  }

  forget(c: UpstreamConn): void {
    const list = this.idle.get(c.address);
    if (!list) return;
    const i = list.lastIndexOf(c);
    if (i >= 0) list.splice(i, 1);
  }

  /** Closes every idle connection, and any released later. */
  close(): void {
    this.stopped = true;
    for (const list of this.idle.values()) for (const c of list.splice(0)) c.destroy();
  }

  /** Idle connections per endpoint (tests). */
  idleCount(address: string): number {
    return this.idle.get(address)?.length ?? 0;
  }
}
