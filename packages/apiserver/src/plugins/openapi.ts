/** `/openapi/v3` (the index and one document per group/version) and kubectl's `/openapi/v2` fallback. */
import { apiErrors } from '@minik8s/api';
import type { FastifyPluginAsync } from 'fastify';
import type { ServerDeps } from './plugin.ts';

export const openApi: FastifyPluginAsync<ServerDeps> = async (app, { openapi }) => {
  app.get('/openapi/v3', async () => openapi.v3Index());
  app.get('/openapi/v3/*', async (req, reply) => {
    const url = new URL(req.url, 'http://x');
    const path = url.pathname.slice('/openapi/v3/'.length);
    const doc = openapi.v3Document(path);
    if (!doc) throw apiErrors.noResource();
    const etag = `"${doc.hash}"`;
    const wanted = url.searchParams.get('hash');
    if (wanted && wanted !== doc.hash) return reply.redirect(`/openapi/v3/${path}?hash=${doc.hash}`, 301);
    reply.header('etag', etag).header('cache-control', wanted ? 'public, immutable' : 'no-cache, private');
    if (req.headers['if-none-match'] === etag) return reply.code(304).send();
    return reply.type('application/json').send(doc.body);
  });
  // kubectl falls back to protobuf OpenAPI v2 only for group/versions v3 lacks; an empty
  // document there means "nothing to check client-side".
  app.get('/openapi/v2', async (req, reply) => {
    if (!/protobuf/.test(req.headers.accept ?? '')) throw apiErrors.noResource();
    return reply.type('application/com.github.proto-openapi.spec.v2@v1.0+protobuf').send(Buffer.alloc(0));
  });
};
