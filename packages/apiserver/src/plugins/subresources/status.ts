/**
 * `<resource>/{name}/status`: read through the object's own GET; PUT, PATCH and apply
 * write only the status (the kind's strategy keeps the rest, rest/resources.ts).
 */
import type { FastifyPluginAsync } from 'fastify';
import type { ServerDeps } from '../plugin.ts';
import { objectHandlers } from '../resources.ts';

export const statusSubresource: FastifyPluginAsync<ServerDeps> = async (_app, deps) => {
  const { GET, PUT, PATCH } = objectHandlers(deps);
  deps.subresources.add({ name: 'status', verbs: { GET, PUT, PATCH } });
};
