/**
 * How long a request may take, as kube-apiserver bounds it.
 *
 * - Every request that is not long-running (watches, logs, exec, attach, port-forward and
 *   proxy are) must be answered within `--request-timeout` (60 s), or sooner if its
 *   `?timeout=` asks for less; past that it gets 504 `Timeout: request did not complete
 *   within requested timeout - context deadline exceeded`. A `?timeout=` that is not a Go
 *   duration is 400.
 * - The connection itself: headers must arrive within 32 s (upstream's ReadHeaderTimeout),
 *   and the whole request within the request timeout; Node answers 408 and closes. The
 *   server checks its connections every second, so a stalled one goes when it is due.
 * - An error answered before the request's body was read (a 401 to a body still
 *   trickling in, a 413, a timeout) closes the connection: the server does not keep
 *   reading a body it will never use.
 */
import { apiErrors } from '@minik8s/api';
import type { FastifyReply } from 'fastify';
import type { Logger } from 'pino';
import { parseGoDuration } from '../protobuf/time.ts';
import { sendError } from './errors.ts';
import { global } from './plugin.ts';

export interface Timeouts {
  /** `--request-timeout`: the longest a request that is not long-running may take. Default 60 s. */
  requestMs?: number;
  /** Time for a request's headers to arrive. Default 32 s. */
  headersMs?: number;
}

export const DEFAULT_REQUEST_TIMEOUT_MS = 60_000;
export const DEFAULT_HEADERS_TIMEOUT_MS = 32_000;
/** How often Node looks for connections past their header or request timeout. */
export const CONNECTION_CHECK_INTERVAL_MS = 1000;

const TIMED_OUT = 'Timeout: request did not complete within requested timeout - context deadline exceeded';
const LONG_RUNNING_SUBRESOURCES = new Set(['attach', 'exec', 'log', 'portforward', 'proxy']);

/** Upstream's long-running check: the watch and proxy verbs, and the streaming subresources. */
export function isLongRunning(path: string, query: URLSearchParams): boolean {
  const w = query.get('watch');
  if (w === 'true' || w === '1') return true;
  const segments = path.split('/');
  if (segments.includes('watch') || segments.includes('proxy')) return true;
  return LONG_RUNNING_SUBRESOURCES.has(segments.at(-1) ?? '');
}

/** The request's deadline in ms: `?timeout=` when it is shorter than the server's, else the server's. */
export function requestDeadline(query: URLSearchParams, serverMs: number): number {
  const asked = query.get('timeout');
  if (!asked) return serverMs;
  let ns: number;
  try {
    ns = parseGoDuration(asked);
  } catch {
    throw apiErrors.badRequest(`invalid timeout specified in the request URL - time: invalid duration ${JSON.stringify(asked)}`);
  }
  const ms = ns / 1e6;
  return ms > 0 && ms < serverMs ? ms : serverMs;
}

export const deadlines = global<{ timeouts: Required<Timeouts>; logger: Logger }>(async (app, { timeouts, logger }) => {
  app.addHook('onRequest', async (req, reply) => {
    const q = req.url.indexOf('?');
    const path = q < 0 ? req.url : req.url.slice(0, q);
    const query = new URLSearchParams(q < 0 ? '' : req.url.slice(q + 1));
    if (isLongRunning(path, query)) return;
    const ms = requestDeadline(query, timeouts.requestMs);
    const timer = setTimeout(() => timeOut(reply, logger, ms), ms);
    reply.raw.once('close', () => clearTimeout(timer));
  });
  app.addHook('onSend', async (req, reply, payload) => {
    if (reply.statusCode >= 400 && !req.raw.complete) reply.header('connection', 'close');
    return payload;
  });
});

function timeOut(reply: FastifyReply, logger: Logger, ms: number): void {
  if (reply.sent || reply.raw.headersSent) return;
  logger.warn({ method: reply.request.method, url: reply.request.url, timeoutMs: ms }, 'request timed out');
  sendError(reply, apiErrors.timeout(TIMED_OUT));
}
