/**
 * The etcd v3 JSON gateway over HTTP or HTTPS (with client certificates). Unary calls are
 * POST with a JSON body; watch and lease keep-alive are streams: the request body carries
 * one or more JSON requests and the response is newline-delimited `{"result":...}`.
 */
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import https from 'node:https';
import { JsonValueSplitter } from '@minik8s/client/etcd';
import type { Logger } from 'pino';
import { type EtcdError, errors, etcdError, GrpcCode, isEtcdError } from '../errors.ts';
import type { Store, WatchHandle } from '../store.ts';
import { validators } from './schemas.ts';
import {
  deleteRangeIn,
  deleteRangeOut,
  errorOut,
  Header,
  idIn,
  invalid,
  numIn,
  payloadBytes,
  putIn,
  putOut,
  rangeIn,
  rangeOut,
  txnIn,
  txnOut,
  validate,
  watchCreateIn,
  watchOut,
} from './wire.ts';

export interface GatewayTls {
  cert: string | Buffer;
  key: string | Buffer;
  /** CA bundle that client certificates must chain to. */
  ca?: string | Buffer | undefined;
  /** Require a client certificate (etcd's --client-cert-auth). */
  clientCertAuth?: boolean | undefined;
}

export interface GatewayOptions {
  store: Store;
  logger: Logger;
  tls?: GatewayTls | undefined;
  /** etcd's --max-request-bytes: the most key and value bytes one request may carry. */
  maxRequestBytes?: number;
  /** How often progress_notify watchers hear the current revision when idle. */
  progressNotifyIntervalMs?: number;
  /** Unsent watch output after which a slow reader is cut off. */
  maxWatchBacklogBytes?: number;
  clusterId: bigint;
  memberId: bigint;
}

export const VERSION = '3.4.0';
const DEFAULT_MAX_REQUEST_BYTES = 1.5 * 1024 * 1024;

type Unary = (body: unknown) => Promise<string | Buffer> | string | Buffer;

export function createGateway(o: GatewayOptions): http.Server {
  const { store, logger } = o;
  const maxRequestBytes = o.maxRequestBytes ?? DEFAULT_MAX_REQUEST_BYTES;
  // base64 grows 4/3, plus room for the JSON around it.
  const maxBodyBytes = Math.ceil((maxRequestBytes * 4) / 3) + 64 * 1024;
  const header = new Header(o.clusterId, o.memberId);
  const now = () => header.at(store.revision);

  const checkSize = <T>(req: T): T => {
    if (payloadBytes(req) > maxRequestBytes) throw errors.requestTooLarge();
    return req;
  };

  const unary: Record<string, Unary> = {
    '/v3/kv/range': async (b) => {
      const r = await store.range(rangeIn(validate(validators.range, b)));
      return rangeOut(header.at(r.revision), r);
    },
    '/v3/kv/put': async (b) => {
      const r = await store.put(checkSize(putIn(validate(validators.put, b))));
      return putOut(header.at(r.revision), r);
    },
    '/v3/kv/deleterange': async (b) => {
      const r = await store.deleteRange(deleteRangeIn(validate(validators.deleteRange, b)));
      return deleteRangeOut(header.at(r.revision), r);
    },
    '/v3/kv/txn': async (b) => {
      const r = await store.txn(checkSize(txnIn(validate(validators.txn, b))));
      return txnOut(header.at(r.revision), r);
    },
    '/v3/kv/compaction': async (b) => {
      const j = validate(validators.compaction, b);
      const rev = numIn(j.revision);
      if (rev < 0) throw errors.negativeRevision();
      await store.compact(rev);
      return `{"header":${now()}}`;
    },
    '/v3/lease/grant': async (b) => {
      const j = validate(validators.leaseGrant, b);
      const ttl = numIn(j.TTL);
      if (ttl < 0) throw invalid('invalid request: TTL must not be negative');
      const l = await store.leaseGrant(ttl, idIn(j.ID));
      return `{"header":${now()},"ID":"${l.id}","TTL":"${l.ttl}"}`;
    },
    '/v3/lease/revoke': async (b) => {
      const r = await store.leaseRevoke(idIn(validate(validators.leaseId, b).ID));
      return `{"header":${header.at(r.revision)}}`;
    },
    '/v3/lease/timetolive': (b) => {
      const j = validate(validators.leaseTimeToLive, b);
      const id = idIn(j.ID);
      const info = store.leaseTimeToLive(id, !!j.keys);
      if (!info) return `{"header":${now()},"ID":"${id}","TTL":"-1"}`;
      let s = `{"header":${now()},"ID":"${id}"`;
      if (info.ttl) s += `,"TTL":"${info.ttl}"`;
      if (info.grantedTtl) s += `,"grantedTTL":"${info.grantedTtl}"`;
      if (info.keys.length) s += `,"keys":[${info.keys.map((k) => `"${k.toString('base64')}"`).join(',')}]`;
      return s + '}';
    },
    '/v3/lease/leases': (b) => {
      validate(validators.empty, b);
      const ids = store.leases();
      return ids.length ? `{"header":${now()},"leases":[${ids.map((id) => `{"ID":"${id}"}`).join(',')}]}` : `{"header":${now()}}`;
    },
    '/v3/maintenance/status': async (b) => {
      validate(validators.empty, b);
      const size = await store.approximateSize();
      const rev = store.revision;
      return (
        `{"header":${now()},"version":"${VERSION}","dbSize":"${size}","leader":"${o.memberId}",` +
        `"raftIndex":"${rev}","raftTerm":"1","raftAppliedIndex":"${rev}","dbSizeInUse":"${size}"}`
      );
    },
  };
  // etcd 3.4 serves the lease calls under /v3/kv/lease/... too.
  for (const p of ['revoke', 'timetolive', 'leases']) unary[`/v3/kv/lease/${p}`] = unary[`/v3/lease/${p}`]!;

  const handler = (req: IncomingMessage, res: ServerResponse) => {
    const path = (req.url ?? '/').split('?')[0]!;
    if (path === '/health' || path === '/livez' || path === '/readyz') {
      return send(res, 200, store.usable ? '{"health":"true"}' : '{"health":"false"}');
    }
    if (path === '/version') return send(res, 200, `{"etcdserver":"${VERSION}","etcdcluster":"3.4.0"}`);
    if (path === '/v3/watch') return void watchStream(req, res);
    if (path === '/v3/lease/keepalive') return void keepAliveStream(req, res);
    const fn = unary[path];
    if (!fn) return sendError(res, etcdError(GrpcCode.NOT_FOUND, 'Not Found'), 404);
    if (req.method !== 'POST') return sendError(res, etcdError(GrpcCode.UNIMPLEMENTED, 'Method Not Allowed'), 405);
    readBody(req, maxBodyBytes)
      .then((body) => fn(parseJson(body)))
      .then(
        (out) => send(res, 200, out),
        (e) => sendError(res, toEtcdError(e, logger)),
      );
  };

  // ------------------------------------------------------------ watch stream

  const watchStream = (req: IncomingMessage, res: ServerResponse) => {
    const watches = new Map<number, { handle: WatchHandle; progressNotify: boolean; sentSince: boolean }>();
    let nextId = 0;
    let started = false;
    let closed = false;
    const splitter = new JsonValueSplitter({ maxFrameBytes: maxBodyBytes });

    const write = (s: Buffer) => {
      if (closed) return;
      if (!started) {
        started = true;
        res.writeHead(200, { 'content-type': 'application/json' });
      }
      res.write(s);
      if (res.writableLength > (o.maxWatchBacklogBytes ?? 64 * 1024 * 1024)) {
        logger.warn({ backlog: res.writableLength }, 'watch reader too slow; cutting it off');
        shutdown();
        res.destroy();
      }
    };
    const shutdown = () => {
      if (closed) return;
      closed = true;
      clearInterval(progressTimer);
      for (const w of watches.values()) w.handle.cancel();
      watches.clear();
    };
    const progressTimer = setInterval(
      () => {
        for (const [id, w] of watches) {
          if (w.progressNotify && w.handle.synced && !w.sentSince) write(watchOut(now(), { watchId: id }));
          w.sentSince = false;
        }
      },
      o.progressNotifyIntervalMs ?? 10 * 60 * 1000,
    );
    progressTimer.unref();

    const create = (j: ReturnType<typeof watchCreateIn>) => {
      let id = j.watchId;
      if (id === 0 || watches.has(id)) {
        while (watches.has(nextId)) nextId++;
        id = nextId++;
      }
      write(watchOut(now(), { watchId: id, created: true }));
      const entry = { handle: undefined as unknown as WatchHandle, progressNotify: j.progressNotify, sentSince: false };
      watches.set(id, entry);
      entry.handle = store.watch(j, {
        events(events, revision) {
          entry.sentSince = true;
          write(watchOut(header.at(revision), { watchId: id, events, prevKv: j.prevKv }));
        },
        compacted(compactRevision) {
          watches.delete(id);
          write(watchOut(header.at(0), { watchId: id, canceled: true, compactRevision }));
        },
      });
    };

    const progress = () => {
      // A progress response promises no older event is still to come, so wait for replays.
      if ([...watches.values()].some((w) => !w.handle.synced)) {
        setTimeout(progress, 5);
        return;
      }
      write(watchOut(now(), { watchId: -1 }));
    };

    const onRequest = (value: unknown) => {
      const j = validate(validators.watch, value);
      if (j.create_request) create(watchCreateIn(j.create_request));
      else if (j.cancel_request) {
        const id = numIn(j.cancel_request.watch_id);
        const w = watches.get(id);
        if (w) {
          w.handle.cancel();
          watches.delete(id);
          write(watchOut(now(), { watchId: id, canceled: true }));
        }
      } else if (j.progress_request) progress();
    };

    req.on('data', (chunk: Buffer) => {
      try {
        for (const value of splitter.push(chunk)) onRequest(value);
      } catch (e) {
        failStream(res, started, toEtcdError(e, logger));
        shutdown();
      }
    });
    req.on('end', () => {
      if (!splitter.idle && !closed) {
        failStream(res, started, invalid('unexpected end of JSON input'));
        shutdown();
      }
      // A finished request body leaves the watches running, as etcd's gateway does.
    });
    res.on('close', shutdown);
  };

  // ------------------------------------------------------------ lease keep-alive stream

  const keepAliveStream = (req: IncomingMessage, res: ServerResponse) => {
    const splitter = new JsonValueSplitter({ maxFrameBytes: maxBodyBytes });
    let started = false;
    req.on('data', (chunk: Buffer) => {
      try {
        for (const value of splitter.push(chunk)) {
          const id = idIn(validate(validators.leaseId, value).ID);
          let ttl = 0;
          try {
            ttl = store.leaseKeepAlive(id);
          } catch (e) {
            if (!(isEtcdError(e) && e.code === GrpcCode.NOT_FOUND)) throw e;
          }
          if (!started) {
            started = true;
            res.writeHead(200, { 'content-type': 'application/json' });
          }
          res.write(`{"result":{"header":${now()},"ID":"${id}"${ttl ? `,"TTL":"${ttl}"` : ''}}}\n`);
        }
      } catch (e) {
        failStream(res, started, toEtcdError(e, logger));
      }
    });
    req.on('end', () => {
      if (!splitter.idle) failStream(res, started, invalid('unexpected end of JSON input'));
      else res.end();
    });
  };

  const server = o.tls
    ? https.createServer(
        {
          cert: o.tls.cert,
          key: o.tls.key,
          ca: o.tls.ca,
          requestCert: !!o.tls.clientCertAuth,
          rejectUnauthorized: !!o.tls.clientCertAuth,
        },
        handler,
      )
    : http.createServer(handler);
  server.keepAliveTimeout = 65_000;
  server.requestTimeout = 0; // watch streams are long-lived
  return server;
}

function send(res: ServerResponse, status: number, body: string | Buffer): void {
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

function sendError(res: ServerResponse, e: EtcdError, status = e.httpStatus): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  send(res, status, errorOut(e));
}

/** An error on a stream: a plain error response if nothing was sent yet, else an error frame. */
function failStream(res: ServerResponse, started: boolean, e: EtcdError): void {
  if (res.writableEnded || res.destroyed) return;
  if (!started) {
    sendError(res, e);
    return;
  }
  res.end(
    `{"error":{"grpc_code":${e.code},"http_code":${e.httpStatus},"message":${JSON.stringify(e.message)},"http_status":"${http.STATUS_CODES[e.httpStatus] ?? ''}"}}\n`,
  );
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text === '' ? '{}' : text);
  } catch (e) {
    throw invalid(`invalid JSON: ${(e as Error).message}`);
  }
}

function readBody(req: IncomingMessage, limit: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let failed = false;
    req.on('data', (c: Buffer) => {
      if (failed) return;
      size += c.length;
      if (size > limit) {
        failed = true;
        reject(errors.requestTooLarge());
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => {
      if (!failed) resolve(Buffer.concat(chunks).toString('utf8'));
    });
    req.on('error', (e) => {
      if (!failed) reject(e);
    });
  });
}

function toEtcdError(e: unknown, logger: Logger): EtcdError {
  if (isEtcdError(e)) return e;
  if (e instanceof SyntaxError) return invalid(`invalid JSON: ${e.message}`);
  logger.error({ err: e }, 'request failed');
  return etcdError(GrpcCode.UNKNOWN, (e as Error)?.message ?? String(e), e);
}
