/** Health, `/version` and discovery: which groups, versions and resources the server has. */
import { apiErrors } from '@minik8s/api';
import type { FastifyPluginAsync } from 'fastify';
import {
  AGGREGATED_CONTENT_TYPE,
  aggregatedDiscovery,
  legacyApiGroup,
  legacyApiGroupList,
  legacyApiVersions,
  resourceList,
  wantsAggregated,
} from '../discovery.ts';
import { VERSION_INFO } from '../version.ts';
import type { ServerDeps } from './plugin.ts';

export const discovery: FastifyPluginAsync<ServerDeps> = async (app, { registry, serverAddress }) => {
  for (const path of ['/healthz', '/livez', '/readyz']) app.get(path, async (_req, reply) => reply.type('text/plain').send('ok'));
  app.get('/version', async () => VERSION_INFO);
  app.get('/api', async (req, reply) => {
    if (wantsAggregated(req.headers.accept)) return reply.type(AGGREGATED_CONTENT_TYPE).send(aggregatedDiscovery(registry, true));
    return legacyApiVersions(serverAddress ?? req.headers.host ?? '127.0.0.1:6443');
  });
  app.get('/apis', async (req, reply) => {
    if (wantsAggregated(req.headers.accept)) return reply.type(AGGREGATED_CONTENT_TYPE).send(aggregatedDiscovery(registry, false));
    return legacyApiGroupList(registry);
  });
  app.get('/api/v1', async () => resourceList(registry, '', 'v1'));
  app.get<{ Params: { group: string } }>('/apis/:group', async (req) => legacyApiGroup(registry, req.params.group) ?? notFound());
  app.get<{ Params: { group: string; version: string } }>(
    '/apis/:group/:version',
    async (req) => resourceList(registry, req.params.group, req.params.version) ?? notFound(),
  );
};

function notFound(): never {
  throw apiErrors.noResource();
}
