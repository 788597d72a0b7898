/**
 * The resource paths (`/api/...`, `/apis/...`): the path is parsed once, then a verb of
 * the object itself (get, list, watch, create, update, patch, apply, delete) or of a
 * subresource (from the subresource table its plugin filled) answers.
 */
import { apiErrors, apiVersionOf, type KubeObject } from '@minik8s/api';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { checkNestingDepth } from '../rest/depth.ts';
import { makeFilter } from '../rest/filters.ts';
import { PATCH_TYPES } from '../rest/patch.ts';
import { parseResourcePath, type ResourcePath } from '../rest/paths.ts';
import { toTable } from '../rest/table.ts';
import { serveWatch } from '../rest/watch.ts';
import { parseForce } from '../ssa/index.ts';
import type { ResourceHandler, ResourceRequest, ServerDeps, Verb } from './plugin.ts';
import { deleteOptions, intParam, isWatch, resourceRequest, tableOptions } from './request.ts';

export const resources: FastifyPluginAsync<ServerDeps> = async (app, deps) => {
  const { registry, subresources } = deps;
  const objectVerbs = objectHandlers(deps);
  const handle = async (req: FastifyRequest, reply: FastifyReply) => {
    const url = new URL(req.url, 'http://x');
    // The path as sent: URL would resolve `..` and `%2e%2e` segments away, to another path.
    const p = parseResourcePath(registry, req.url.startsWith('/') ? req.url.split('?')[0]! : url.pathname);
    if (!p) throw apiErrors.noResource();
    checkNestingDepth(req.body, { yaml: /yaml/.test(req.headers['content-type'] ?? '') });
    let handler: ResourceHandler | undefined;
    if (p.subresource) {
      if (!p.resource.subresources.some((s) => s.name === p.subresource)) throw apiErrors.noResource();
      handler = subresources.get(p.subresource)?.verbs[req.method as Verb];
    } else {
      if (p.resource.namespaced && p.namespace === undefined && p.name !== undefined) throw apiErrors.noResource();
      handler = objectVerbs[req.method as Verb];
    }
    if (!handler) throw apiErrors.methodNotAllowed();
    return handler(resourceRequest(req, reply, p, url.searchParams));
  };
  for (const prefix of ['/api/*', '/apis/*']) {
    app.route({ method: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'], url: prefix, handler: handle });
  }
};

/** The verbs of an object (and of its status, which reads and writes through them too). */
export function objectHandlers({ resources, cache, logger }: Pick<ServerDeps, 'resources' | 'cache' | 'logger'>): Record<Verb, ResourceHandler> {
  const watch = async (c: ResourceRequest, p: ResourcePath, extraField?: string) => {
    const { query: q, reply } = c;
    const r = p.resource;
    const field = [q.get('fieldSelector'), extraField].filter(Boolean).join(',');
    const filter = makeFilter(r, p, q.get('labelSelector'), field || null);
    const rv = q.get('resourceVersion') ?? undefined;
    if (rv && !/^\d+$/.test(rv)) throw apiErrors.badRequest(`invalid resource version: ${JSON.stringify(rv)}`);
    if (rv && rv !== '0' && Number(rv) > cache.revision && !(await cache.waitFor(Number(rv)))) {
      throw apiErrors.timeout(`Too large resource version: ${rv}, current: ${cache.revision}`);
    }
    reply.hijack();
    serveWatch(cache, reply.raw, {
      prefix: resources.prefix(p),
      filter,
      resourceVersion: rv,
      timeoutSeconds: intParam(q, 'timeoutSeconds'),
      allowBookmarks: q.get('allowWatchBookmarks') === 'true',
      encode: (obj: KubeObject, first: boolean) =>
        c.asTable ? toTable(r, [obj], { resourceVersion: obj.metadata.resourceVersion }, { ...tableOptions(q), noHeaders: !first }) : obj,
      bookmark: (resourceVersion) => ({ kind: r.kind, apiVersion: apiVersionOf(r), metadata: { resourceVersion } }),
      onOverflow: (bufferedBytes) => logger.warn({ resource: r.plural, bufferedBytes }, 'closed a watch whose client is not reading'),
    });
  };

  return {
    GET: async (c) => {
      const { path: p, query: q } = c;
      const r = p.resource;
      if (p.name) {
        if (isWatch(p, q)) return watch(c, { ...p, name: undefined }, `metadata.name=${p.name}`);
        const obj = await resources.get(p);
        return c.asTable ? toTable(r, [obj], { resourceVersion: obj.metadata.resourceVersion }, tableOptions(q)) : obj;
      }
      if (isWatch(p, q)) return watch(c, p);
      const list = await resources.list(p, {
        filter: makeFilter(r, p, q.get('labelSelector'), q.get('fieldSelector')),
        limit: intParam(q, 'limit'),
        continueToken: q.get('continue') ?? undefined,
        resourceVersion: q.get('resourceVersion') ?? undefined,
      });
      return c.asTable ? toTable(r, list.items, list.metadata as Record<string, unknown>, tableOptions(q)) : list;
    },
    POST: async (c) => {
      if (c.path.name) throw apiErrors.methodNotAllowed();
      return c.reply.code(201).send(c.warn(await resources.create(c.path, c.req.body, c.write)));
    },
    PUT: async (c) => {
      if (!c.path.name) throw apiErrors.methodNotAllowed();
      return c.warn(await resources.update(c.path, c.req.body, c.write));
    },
    PATCH: async (c) => {
      const { path: p, query: q } = c;
      if (!p.name) throw apiErrors.methodNotAllowed();
      const ct = (c.req.headers['content-type'] ?? '').split(';')[0]!.trim();
      if (ct !== PATCH_TYPES.apply) return c.warn(await resources.patch(p, ct, c.req.body, c.write));
      // Server-side apply: field ownership in managedFields, conflicts as 409 unless forced.
      const { object, created } = await resources.apply(p, c.req.body, parseForce(q.get('force') ?? undefined), {
        ...c.write,
        manager: q.get('fieldManager')!,
      });
      return c.reply.code(created ? 201 : 200).send(object);
    },
    DELETE: async (c) => {
      const { path: p, query: q } = c;
      const opts = deleteOptions(c);
      if (p.name) return resources.delete(p, opts);
      if (!p.resource.verbs.includes('deletecollection')) throw apiErrors.methodNotAllowed();
      return resources.deleteCollection(p, makeFilter(p.resource, p, q.get('labelSelector'), q.get('fieldSelector')), opts);
    },
  };
}
