/** `pods/{name}/log` (GET): the container's log, streamed from its node's kubelet (rest/pod-log.ts). */
import type { FastifyPluginAsync } from 'fastify';
import type { ResourcePath } from '../../rest/paths.ts';
import { servePodLog } from '../../rest/pod-log.ts';
import type { ServerDeps } from '../plugin.ts';

export const logSubresource: FastifyPluginAsync<ServerDeps> = async (_app, { registry, resources, kubelet, subresources }) => {
  const nodes = registry.resource('', 'v1', 'nodes')!;
  const nodePath = (name: string): ResourcePath => ({ resource: nodes, name, watchPath: false });
  subresources.add({
    name: 'log',
    verbs: { GET: async (c) => servePodLog({ resources, nodePath, kubelet }, c.path, c.query, c.reply) },
  });
};
