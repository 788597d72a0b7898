/** Every error answers as a Kubernetes Status; unknown paths are 404 NotFound. */

import type { Duplex } from 'node:stream';
import { apiErrors, isStatusError, StatusError } from '@minik8s/api';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { global } from './plugin.ts';

export const MAX_BODY_BYTES = 3 * 1024 * 1024;

export const errors = global<{ logger: Logger }>(async (app, { logger }) => {
  app.setErrorHandler((err, _req, reply) => sendError(reply, toStatusError(err, logger)));
  app.setNotFoundHandler((_req, reply) => sendError(reply, apiErrors.noResource()));
});

export function sendError(reply: FastifyReply, e: StatusError) {
  return reply.code(e.code).type('application/json').send(e.toStatus());
}

function toStatusError(err: unknown, logger: Logger): StatusError {
  if (isStatusError(err)) return err;
  const e = err as { code?: string; statusCode?: number; message?: string };
  if (e.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return apiErrors.tooLarge(MAX_BODY_BYTES);
  if (e.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') return apiErrors.unsupportedMediaType('', []);
  if (e.code === 'FST_ERR_CTP_EMPTY_JSON_BODY') return apiErrors.badRequest('the request body is empty');
  if (e.statusCode && e.statusCode < 500) return apiErrors.badRequest(e.message ?? 'bad request');
  logger.error({ err }, 'request failed');
  return apiErrors.internal(err);
}

/**
 * Errors Fastify's router meets before any handler (a path whose percent-encoding is not
 * UTF-8): a BadRequest Status, not Fastify's own error body.
 */
export function frameworkErrors(err: Error, _req: FastifyRequest, reply: FastifyReply) {
  return sendError(reply, apiErrors.badRequest(`invalid request path: ${err.message}`));
}

/**
 * A request Node's HTTP parser refuses (a byte no request line may hold, a malformed
 * header): answered with a BadRequest Status, and `Connection: close`, since the
 * connection cannot be read any further; a client that reused it would see it reset.
 * Headers or a body that missed their timeout get 408, as Node would answer.
 */
export function clientErrorHandler(err: Error & { code?: string }, socket: Duplex) {
  if (err.code === 'ECONNRESET' || !socket.writable) {
    socket.destroy();
    return;
  }
  // Headers or a body that did not arrive within their timeout (plugins/deadline.ts): 408, as Node answers it.
  const timedOut = err.code === 'ERR_HTTP_REQUEST_TIMEOUT';
  const status = timedOut
    ? new StatusError(408, 'Timeout', 'Timeout: the request did not arrive within its timeout').toStatus()
    : apiErrors.badRequest(`malformed HTTP request: ${err.code ?? err.message}`).toStatus();
  const body = JSON.stringify(status);
  const line = timedOut ? '408 Request Timeout' : '400 Bad Request';
  socket.end(`HTTP/1.1 ${line}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
}
