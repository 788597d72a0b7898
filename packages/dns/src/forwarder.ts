/**
 * Forwarding to upstream resolvers, like CoreDNS's `forward` plugin: the client's query
 * goes out byte for byte (same id, same flags, same EDNS options) over the client's
 * transport, and the upstream's reply comes back byte for byte. Upstreams that failed
 * recently are tried last; each attempt has its own timeout, and when every upstream
 * has failed the caller answers SERVFAIL.
 */
import { createSocket } from 'node:dgram';
import { connect } from 'node:net';
import { ipFamily } from './internal/names.ts';

export interface Upstream {
  host: string;
  port: number;
}

export type Transport = 'udp' | 'tcp';

/** `1.2.3.4`, `1.2.3.4:5353`, `::1`, `[::1]:5353` → host and port (default 53). */
export function parseUpstream(s: string): Upstream {
  const text = s.trim();
  let host = text;
  let port = 53;
  const bracket = /^\[([^\]]+)\](?::(\d+))?$/.exec(text);
  if (bracket) {
    host = bracket[1]!;
    if (bracket[2]) port = Number(bracket[2]);
  } else if ((text.match(/:/g) ?? []).length === 1) {
    const i = text.indexOf(':');
    host = text.slice(0, i);
    port = Number(text.slice(i + 1));
  }
  if (!ipFamily(host.replace(/%.*$/, ''))) throw new Error(`upstream "${s}": not an IP address (IP, IP:port or [IPv6]:port)`);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new Error(`upstream "${s}": bad port`);
  return { host, port };
}

export function formatUpstream(u: Upstream): string {
  return u.host.includes(':') ? `[${u.host}]:${u.port}` : `${u.host}:${u.port}`;
}

export class UpstreamError extends Error {
  constructor(
    message: string,
    readonly causes: unknown[],
  ) {
    super(message);
    this.name = 'UpstreamError';
  }
}

export interface ForwarderOptions {
  upstreams: Upstream[];
  /** Per attempt (per upstream), in ms. Default 2000. */
  timeoutMs?: number;
}

/** Largest reply accepted over UDP (the maximum datagram). */
const MAX_UDP = 65535;

export class Forwarder {
  readonly upstreams: readonly Upstream[];
  private readonly timeoutMs: number;
  private readonly failures: number[];
  private next = 0;

  constructor(o: ForwarderOptions) {
    this.upstreams = o.upstreams;
    this.timeoutMs = o.timeoutMs ?? 2000;
    this.failures = o.upstreams.map(() => 0);
  }

  /** Sends `query` (a whole DNS message) upstream; resolves with the raw reply, whose id matches. */
  async exchange(query: Buffer, transport: Transport): Promise<Buffer> {
    if (this.upstreams.length === 0) throw new UpstreamError('no upstream resolvers configured', []);
    const causes: unknown[] = [];
    for (const i of this.order()) {
      const u = this.upstreams[i]!;
      try {
        const reply = transport === 'tcp' ? await exchangeTcp(u, query, this.timeoutMs) : await exchangeUdp(u, query, this.timeoutMs);
        this.failures[i] = 0;
        return reply;
      } catch (e) {
        this.failures[i] = (this.failures[i] ?? 0) + 1;
        causes.push(e);
      }
    }
    throw new UpstreamError(`every upstream failed: ${causes.map((c) => (c as Error).message).join('; ')}`, causes);
  }

  /** Upstream indexes, healthiest first, round-robin among equals. */
  private order(): number[] {
    const n = this.upstreams.length;
    const start = this.next++ % n;
    const idx = Array.from({ length: n }, (_, k) => (start + k) % n);
    return idx.sort((a, b) => Math.min(this.failures[a]!, 3) - Math.min(this.failures[b]!, 3));
  }
}

function timeoutError(u: Upstream, transport: Transport, ms: number): Error {
  return new Error(`${formatUpstream(u)}/${transport}: no answer within ${ms} ms`);
}

/** One query on a connected UDP socket of its own (so replies from anyone else never reach it). */
export function exchangeUdp(u: Upstream, query: Buffer, timeoutMs: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const socket = createSocket(ipFamily(u.host.replace(/%.*$/, '')) === 6 ? 'udp6' : 'udp4');
    const id = query.readUInt16BE(0);
    let done = false;
    const finish = (err: Error | undefined, reply?: Buffer) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.close();
      if (err) reject(err);
      else resolve(reply!);
    };
    const timer = setTimeout(() => finish(timeoutError(u, 'udp', timeoutMs)), timeoutMs);
    socket.on('error', (e) => finish(new Error(`${formatUpstream(u)}/udp: ${e.message}`)));
    socket.on('message', (msg) => {
      // A stray or late datagram for another id is ignored; only ours ends the exchange.
      if (msg.length >= 12 && msg.length <= MAX_UDP && msg.readUInt16BE(0) === id && msg[2]! & 0x80) finish(undefined, msg);
    });
    socket.connect(u.port, u.host, () => {
      socket.send(query, (e) => {
        if (e) finish(new Error(`${formatUpstream(u)}/udp: ${e.message}`));
      });
    });
  });
}

/** One query over a fresh TCP connection, with the two-byte length prefix. */
export function exchangeTcp(u: Upstream, query: Buffer, timeoutMs: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: u.host, port: u.port });
    let buf: Buffer = Buffer.alloc(0);
    let done = false;
    const finish = (err: Error | undefined, reply?: Buffer) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      if (err) reject(err);
      else resolve(reply!);
    };
    const timer = setTimeout(() => finish(timeoutError(u, 'tcp', timeoutMs)), timeoutMs);
    socket.on('error', (e) => finish(new Error(`${formatUpstream(u)}/tcp: ${e.message}`)));
    socket.on('close', () => finish(new Error(`${formatUpstream(u)}/tcp: connection closed before an answer`)));
    socket.on('connect', () => {
      const len = Buffer.alloc(2);
      len.writeUInt16BE(query.length);
      socket.write(Buffer.concat([len, query]));
    });
    socket.on('data', (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      while (buf.length >= 2) {
        const n = buf.readUInt16BE(0);
        if (buf.length < 2 + n) return;
        const msg = buf.subarray(2, 2 + n);
        buf = buf.subarray(2 + n);
        if (msg.length >= 12 && msg.readUInt16BE(0) === query.readUInt16BE(0)) return finish(undefined, Buffer.from(msg));
      }
    });
  });
}
