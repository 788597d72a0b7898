/** Who sent the request: 401 Unauthorized when the server's `authenticate` says nobody. */
import { apiErrors } from '@minik8s/api';
import type { FastifyRequest } from 'fastify';
import { global } from './plugin.ts';

export type Authenticate = (req: FastifyRequest) => { user: string; groups: string[] } | undefined;

const UNAUTHENTICATED_PATHS = ['/healthz', '/livez', '/readyz'];

export const authentication = global<{ authenticate: Authenticate }>(async (app, { authenticate }) => {
  app.addHook('onRequest', async (req) => {
    if (UNAUTHENTICATED_PATHS.includes(req.url)) return;
    const who = authenticate(req);
    if (!who) throw apiErrors.unauthorized();
    (req as FastifyRequest & { user?: unknown }).user = who;
  });
});
