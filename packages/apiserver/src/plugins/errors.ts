/** Every error answers as a Kubernetes Status; unknown paths are 404 NotFound. */
import { apiErrors, isStatusError, type StatusError } from '@minik8s/api';
import type { FastifyReply } from 'fastify';
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
