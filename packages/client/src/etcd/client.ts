/**
 * Client for the etcd v3 JSON gateway, used against both etcdlite and a real etcd.
 * Unary calls share a keep-alive connection pool; each watch holds its own connection
 * from a separate, unbounded pool so watches never starve unary calls.
 */
import { Pool } from 'undici';
import {
  decodeDelete,
  decodeHeader,
  decodeLeaseGrant,
  decodeLeaseKeepAlive,
  decodeLeaseTimeToLive,
  decodePut,
  decodeRange,
  decodeStatus,
  decodeTxn,
  encodeDelete,
  encodeLeaseId,
  encodePut,
  encodeRange,
  encodeTxn,
  encodeWatchCreate,
  type Json,
} from './codec.ts';
import { EtcdError, GrpcCode, unavailable } from './errors.ts';
import { StreamParser } from './stream-parser.ts';
import type {
  Bytes,
  CompactOptions,
  CompactResponse,
  DeleteOptions,
  DeleteResponse,
  HealthResponse,
  KeyValue,
  KvClient,
  LeaseGrantResponse,
  LeaseId,
  LeaseKeepAliveResponse,
  LeaseRevokeResponse,
  LeaseTimeToLiveResponse,
  PutOptions,
  PutResponse,
  RangeOptions,
  RangeResponse,
  StatusResponse,
  TxnRequest,
  TxnResponse,
  WatchOptions,
} from './types.ts';
import { Watch } from './watch.ts';

export interface EtcdTlsOptions {
  /** CA bundle(s) to verify the server with (PEM). */
  ca?: string | Buffer | Array<string | Buffer>;
  /** Client certificate and key (PEM) for client-certificate authentication. */
  cert?: string | Buffer;
  key?: string | Buffer;
  servername?: string;
  /** Default true. */
  rejectUnauthorized?: boolean;
}

export interface EtcdClientOptions {
  /** `http://host:port` or `https://host:port` (path ignored). */
  endpoint: string;
  tls?: EtcdTlsOptions;
  /** Keep-alive connections for unary calls. Default 16. */
  connections?: number;
  /** Per-call timeout for unary calls, in ms. Default 30 000. */
  requestTimeoutMs?: number;
}

const JSON_HEADERS = { 'content-type': 'application/json', accept: 'application/json' };

export class EtcdClient implements KvClient {
  readonly endpoint: string;
  private readonly pool: Pool;
  private readonly streams: Pool;
  private readonly timeoutMs: number;
  private readonly watches = new Set<Watch>();
  private closed = false;

  constructor(opts: EtcdClientOptions) {
    const url = new URL(opts.endpoint);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new TypeError(`etcd endpoint must be http:// or https://, got ${opts.endpoint}`);
    }
    if (opts.tls && url.protocol !== 'https:') {
      throw new TypeError('tls options need an https:// endpoint');
    }
    this.endpoint = url.origin;
    this.timeoutMs = opts.requestTimeoutMs ?? 30_000;
    const connect = opts.tls
      ? {
          ca: opts.tls.ca,
          cert: opts.tls.cert,
          key: opts.tls.key,
          servername: opts.tls.servername,
          rejectUnauthorized: opts.tls.rejectUnauthorized ?? true,
        }
      : undefined;
    this.pool = new Pool(this.endpoint, {
      connections: opts.connections ?? 16,
      pipelining: 1,
      connect,
    });
    // Watches and keepalive streams: one connection each, no idle timeout on the body.
    this.streams = new Pool(this.endpoint, { connections: null, pipelining: 1, bodyTimeout: 0, connect });
  }

  // ---- KV -----------------------------------------------------------------------

  async range(key: Bytes, opts?: RangeOptions): Promise<RangeResponse> {
    return decodeRange(await this.call('/v3/kv/range', encodeRange(key, opts)));
  }

  /** The key's current (or `revision`'s) KeyValue, or undefined. */
  async get(key: Bytes, opts: { revision?: number } = {}): Promise<KeyValue | undefined> {
    const r = await this.range(key, opts);
    return r.kvs[0];
  }

  async put(key: Bytes, value: Bytes, opts?: PutOptions): Promise<PutResponse> {
    return decodePut(await this.call('/v3/kv/put', encodePut(key, value, opts)));
  }

  async delete(key: Bytes, opts?: DeleteOptions): Promise<DeleteResponse> {
    return decodeDelete(await this.call('/v3/kv/deleterange', encodeDelete(key, opts)));
  }

  async txn(req: TxnRequest): Promise<TxnResponse> {
    return decodeTxn(await this.call('/v3/kv/txn', encodeTxn(req)));
  }

  async compact(revision: number, opts: CompactOptions = {}): Promise<CompactResponse> {
    const body: Json = { revision: String(revision) };
    if (opts.physical) body.physical = true;
    const r = await this.call('/v3/kv/compaction', body);
    return { header: decodeHeader(r.header) };
  }

  // ---- leases ---------------------------------------------------------------------

  /** Grants a lease of `ttl` seconds; `id` asks for a specific ID (0/absent: server picks). */
  async leaseGrant(ttl: number, id?: LeaseId | number | bigint): Promise<LeaseGrantResponse> {
    const body: Json = { TTL: String(ttl) };
    if (id !== undefined && String(id) !== '0') body.ID = encodeLeaseId(id);
    return decodeLeaseGrant(await this.call('/v3/lease/grant', body));
  }

  async leaseRevoke(id: LeaseId | number | bigint): Promise<LeaseRevokeResponse> {
    const r = await this.call('/v3/lease/revoke', { ID: encodeLeaseId(id) });
    return { header: decodeHeader(r.header) };
  }

  /** Renews a lease once. `ttl` is 0 when the lease does not exist. */
  async leaseKeepAliveOnce(id: LeaseId | number | bigint): Promise<LeaseKeepAliveResponse> {
    const body = JSON.stringify({ ID: encodeLeaseId(id) });
    const ac = new AbortController();
    const timer = setTimeout(() => ac.abort(), this.timeoutMs);
    try {
      const res = await this.pool
        .request({ method: 'POST', path: '/v3/lease/keepalive', headers: JSON_HEADERS, body, signal: ac.signal })
        .catch((e: unknown) => {
          throw unavailable(e, 'POST /v3/lease/keepalive');
        });
      if (res.statusCode < 200 || res.statusCode >= 300) {
        throw EtcdError.fromHttp(res.statusCode, await res.body.text());
      }
      const parser = new StreamParser();
      try {
        for await (const chunk of res.body) {
          for (const frame of parser.push(chunk as Buffer)) {
            if (frame.type === 'error') throw frame.error;
            return decodeLeaseKeepAlive(frame.result);
          }
        }
        parser.end();
      } finally {
        res.body.destroy();
      }
      throw new EtcdError('keepalive stream ended without a response', { code: GrpcCode.UNAVAILABLE, httpStatus: 0 });
    } catch (e) {
      if (e instanceof EtcdError) throw e;
      throw unavailable(e, 'POST /v3/lease/keepalive');
    } finally {
      clearTimeout(timer);
    }
  }

  /** Remaining TTL of a lease (`ttl` -1 when it does not exist); `keys` lists attached keys. */
  async leaseTimeToLive(id: LeaseId | number | bigint, opts: { keys?: boolean } = {}): Promise<LeaseTimeToLiveResponse> {
    const body: Json = { ID: encodeLeaseId(id) };
    if (opts.keys) body.keys = true;
    return decodeLeaseTimeToLive(await this.call('/v3/lease/timetolive', body));
  }

  // ---- maintenance -------------------------------------------------------------------

  async status(): Promise<StatusResponse> {
    return decodeStatus(await this.call('/v3/maintenance/status', {}));
  }

  /** `GET /health`. Resolves `{ health: false }` on a 503 with a health body. */
  async health(): Promise<HealthResponse> {
    const text = await this.send('GET', '/health', undefined, true);
    let o: Record<string, unknown>;
    try {
      o = JSON.parse(text) as Record<string, unknown>;
    } catch {
      throw new EtcdError(`unexpected /health body: ${text.slice(0, 200)}`, { code: GrpcCode.UNKNOWN, httpStatus: 200 });
    }
    return {
      health: o.health === true || o.health === 'true',
      reason: typeof o.reason === 'string' ? o.reason : '',
    };
  }

  // ---- watch ---------------------------------------------------------------------------

  /**
   * Watches `key` (or a range of keys). Iterate the result for responses; the first is
   * the `created` response. Ends after `cancel()`/`close()` or a server cancel (e.g.
   * `compactRevision` set); rejects with an `EtcdError` when the stream fails.
   */
  watch(key: Bytes, opts: WatchOptions = {}): Watch {
    if (this.closed) throw new EtcdError('client is closed', { code: GrpcCode.CANCELLED, httpStatus: 0 });
    const body = JSON.stringify(encodeWatchCreate(key, opts));
    const w = new Watch((signal) => this.streams.request({ method: 'POST', path: '/v3/watch', headers: JSON_HEADERS, body, signal }), {
      highWaterMark: opts.highWaterMark,
      signal: opts.signal,
      onClose: (x) => this.watches.delete(x),
    });
    if (!w.closed) this.watches.add(w);
    return w;
  }

  /** Cancels open watches and closes every connection. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const w of [...this.watches]) w.cancel();
    await Promise.all([this.pool.close(), this.streams.destroy()]);
  }

  // ---- plumbing ----------------------------------------------------------------------------

  private async call(path: string, body: Json): Promise<Json> {
    const text = await this.send('POST', path, JSON.stringify(body), false);
    try {
      const v: unknown = JSON.parse(text);
      if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new Error('not an object');
      return v as Json;
    } catch (e) {
      throw new EtcdError(`invalid response from ${path}: ${(e as Error).message}`, {
        code: GrpcCode.INTERNAL,
        httpStatus: 200,
      });
    }
  }

  private async send(method: 'GET' | 'POST', path: string, body: string | undefined, okOn503: boolean): Promise<string> {
    if (this.closed) throw new EtcdError('client is closed', { code: GrpcCode.CANCELLED, httpStatus: 0 });
    let status: number;
    let text: string;
    try {
      const res = await this.pool.request({
        method,
        path,
        headers: body === undefined ? { accept: 'application/json' } : JSON_HEADERS,
        body,
        headersTimeout: this.timeoutMs,
        bodyTimeout: this.timeoutMs,
      });
      status = res.statusCode;
      text = await res.body.text();
    } catch (e) {
      throw unavailable(e, `${method} ${path}`);
    }
    if ((status >= 200 && status < 300) || (okOn503 && status === 503)) return text;
    throw EtcdError.fromHttp(status, text);
  }
}
