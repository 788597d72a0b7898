/**
 * `buildServer(options)`: the Kubernetes REST API as a Fastify app, separate from
 * listening, so tests can `inject()` requests without a port.
 */
import { apiErrors, apiVersionOf, isStatusError, type KubeObject, Registry, type ResourceInfo, type StatusError } from '@minik8s/api';
import { OpenApi } from '@minik8s/api/openapi';
import type { KvClient } from '@minik8s/client/etcd';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest, LogController } from 'fastify';
import type { Logger } from 'pino';
import { parse as parseYaml, YAMLParseError } from 'yaml';
import {
  AGGREGATED_CONTENT_TYPE,
  aggregatedDiscovery,
  legacyApiGroup,
  legacyApiGroupList,
  legacyApiVersions,
  resourceList,
  wantsAggregated,
} from './discovery.ts';
import { decodeKubernetesProtobuf, PROTOBUF_CONTENT_TYPE, ProtobufDecodeError } from './protobuf/index.ts';
import { NamespaceLifecycle } from './registry/core/namespace-lifecycle.ts';
import { makeFilter } from './rest/filters.ts';
import { PATCH_TYPES } from './rest/patch.ts';
import { parseResourcePath, type ResourcePath } from './rest/paths.ts';
import { type KubeletClientConfig, servePodLog } from './rest/pod-log.ts';
import { type FieldValidation, PROPAGATION_POLICIES, type ResourceContext, Resources, type WriteOptions } from './rest/resources.ts';
import { bindPod, getScale, writeScale } from './rest/subresources.ts';
import { toTable } from './rest/table.ts';
import { serveWatch } from './rest/watch.ts';
import { checkFieldManager, fieldManagerFor, parseForce } from './ssa/index.ts';
import { ObjectStore } from './storage/object-store.ts';
import { WatchCache } from './storage/watch-cache.ts';
import { VERSION_INFO } from './version.ts';

export const MAX_BODY_BYTES = 3 * 1024 * 1024;

export interface ApiServerOptions {
  etcd: KvClient;
  logger: Logger;
  registry?: Registry;
  /** host:port clients use, for legacy discovery. */
  serverAddress?: string;
  /** Who sent the request; undefined = not authenticated (401). Absent: everyone is admin. */
  authenticate?: (req: FastifyRequest) => { user: string; groups: string[] } | undefined;
  /** Schema validation and patch metadata (kinds.ts), given the watch cache and OpenAPI. */
  hooks?: (deps: { cache: WatchCache; openapi: OpenApi }) => Partial<Pick<ResourceContext, 'validate' | 'patchMeta'>>;
  now?: () => Date;
  https?: import('node:https').ServerOptions;
  /** How to reach kubelets for `pods/log` (default: HTTPS on the node's InternalIP:10250). */
  kubelet?: KubeletClientConfig;
}

export interface ApiServer {
  app: FastifyInstance;
  registry: Registry;
  openapi: OpenApi;
  cache: WatchCache;
  resources: Resources;
  close(): Promise<void>;
}

const JSON_TYPES = ['application/json', PATCH_TYPES.merge, PATCH_TYPES.json, PATCH_TYPES.strategic];

export async function buildServer(o: ApiServerOptions): Promise<ApiServer> {
  const registry = o.registry ?? new Registry();
  const logger = o.logger.child({ component: 'apiserver' });
  const store = new ObjectStore(o.etcd);
  const cache = await WatchCache.start(o.etcd, { logger });
  const now = o.now ?? (() => new Date());
  const openapi = new OpenApi(registry.resources);
  const resources = new Resources({ registry, store, cache, now, ...o.hooks?.({ cache, openapi }) });
  const namespaces = new NamespaceLifecycle(registry, resources, store, cache, logger);
  namespaces.start();

  // Typed as a plain HTTP/1.1 Fastify app: TLS changes the socket, not the API.
  const app = Fastify({
    loggerInstance: logger,
    // One log line per request would drown everything else: requests are not logged.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: MAX_BODY_BYTES,
    // Kubernetes paths and query strings are passed through as they are.
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 1024 },
    ...(o.https ? { https: o.https } : {}),
  } as Parameters<typeof Fastify>[0]) as unknown as FastifyInstance;

  // ---------------------------------------------------------------- bodies
  app.removeAllContentTypeParsers();
  app.addContentTypeParser(JSON_TYPES, { parseAs: 'string' }, (_req, body, done) => {
    try {
      done(null, body === '' ? undefined : JSON.parse(body as string));
    } catch (e) {
      done(jsonError(body as string, e as Error), undefined);
    }
  });
  app.addContentTypeParser([PATCH_TYPES.apply, 'application/yaml'], { parseAs: 'string' }, (_req, body, done) => {
    try {
      done(null, parseYaml(body as string));
    } catch (e) {
      done(yamlError(e as Error), undefined);
    }
  });
  // kubectl 1.32's typed clients (`kubectl create namespace|deployment|...`) send protobuf.
  app.addContentTypeParser(PROTOBUF_CONTENT_TYPE, { parseAs: 'buffer' }, (_req, body, done) => {
    try {
      done(null, decodeKubernetesProtobuf(body as Buffer));
    } catch (e) {
      if (!(e instanceof ProtobufDecodeError)) return done(e as Error, undefined);
      done(
        e.status === 415
          ? apiErrors.unsupportedMediaType(PROTOBUF_CONTENT_TYPE, [...JSON_TYPES, PROTOBUF_CONTENT_TYPE])
          : apiErrors.badRequest(`error decoding protobuf: ${e.message}`),
        undefined,
      );
    }
  });
  // A body without a Content-Type is JSON, the first type upstream serves (client-go's
  // scale client PUTs its Scale that way).
  app.addHook('onRequest', async (req) => {
    const hasBody = (req.headers['content-length'] ?? '0') !== '0' || req.headers['transfer-encoding'] !== undefined;
    if (!req.headers['content-type'] && hasBody) req.headers['content-type'] = 'application/json';
  });
  app.addContentTypeParser('*', (req, _payload, done) => {
    done(apiErrors.unsupportedMediaType(req.headers['content-type'] ?? '', [...JSON_TYPES, PATCH_TYPES.apply]), undefined);
  });

  // ---------------------------------------------------------------- errors
  app.setErrorHandler((err, _req, reply) => sendError(reply, toStatusError(err, logger)));
  app.setNotFoundHandler((_req, reply) => sendError(reply, apiErrors.noResource()));

  // ---------------------------------------------------------------- authentication
  if (o.authenticate) {
    const authenticate = o.authenticate;
    app.addHook('onRequest', async (req) => {
      if (req.url === '/healthz' || req.url === '/livez' || req.url === '/readyz') return;
      const who = authenticate(req);
      if (!who) throw apiErrors.unauthorized();
      (req as FastifyRequest & { user?: unknown }).user = who;
    });
  }

  // ---------------------------------------------------------------- health, version, discovery
  for (const path of ['/healthz', '/livez', '/readyz']) app.get(path, async (_req, reply) => reply.type('text/plain').send('ok'));
  app.get('/version', async () => VERSION_INFO);
  app.get('/api', async (req, reply) => {
    if (wantsAggregated(req.headers.accept)) return reply.type(AGGREGATED_CONTENT_TYPE).send(aggregatedDiscovery(registry, true));
    return legacyApiVersions(o.serverAddress ?? req.headers.host ?? '127.0.0.1:6443');
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

  // ---------------------------------------------------------------- OpenAPI
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

  // ---------------------------------------------------------------- resources
  const nodeResource = registry.resource('', 'v1', 'nodes')!;
  const nodePath = (name: string): ResourcePath => ({ resource: nodeResource, name, watchPath: false });
  const handle = async (req: FastifyRequest, reply: FastifyReply) => {
    const url = new URL(req.url, 'http://x');
    const p = parseResourcePath(registry, url.pathname);
    if (!p) throw apiErrors.noResource();
    const q = url.searchParams;
    const r = p.resource;
    if (p.subresource && !r.subresources.some((s) => s.name === p.subresource)) throw apiErrors.noResource();
    if (p.subresource === 'log') {
      if (req.method !== 'GET' || !p.name) throw apiErrors.methodNotAllowed();
      return servePodLog({ resources, nodePath, kubelet: o.kubelet ?? {} }, p, q, reply);
    }
    if (p.subresource && !['status', 'scale', 'binding'].includes(p.subresource)) throw apiErrors.methodNotAllowed();
    if (r.namespaced && p.namespace === undefined && p.name !== undefined) throw apiErrors.noResource();
    const asTable = /as=Table/.test(req.headers.accept ?? '');
    const w: WriteOptions = {
      fieldValidation: fieldValidation(q.get('fieldValidation')),
      warnings: [],
      dryRun: dryRun(q),
      manager: fieldManagerFor(q.get('fieldManager') ?? undefined, req.headers['user-agent']),
    };
    if (['POST', 'PUT', 'PATCH'].includes(req.method)) {
      const isApply = req.method === 'PATCH' && (req.headers['content-type'] ?? '').startsWith(PATCH_TYPES.apply);
      const kind = isApply ? 'apply' : req.method === 'POST' ? 'create' : req.method === 'PUT' ? 'update' : 'patch';
      const bad = checkFieldManager({ kind, fieldManager: q.get('fieldManager') ?? undefined, force: q.get('force') ?? undefined });
      if (bad) throw bad;
    }
    const warn = <T>(v: T): T => {
      if (w.warnings!.length) reply.header('warning', w.warnings!.map((m) => `299 - ${JSON.stringify(m)}`).join(', '));
      return v;
    };
    switch (req.method) {
      case 'GET': {
        if (p.name) {
          if (p.watchPath || q.get('watch') === 'true' || q.get('watch') === '1') {
            return watch(req, reply, { ...p, name: undefined }, q, asTable, `metadata.name=${p.name}`);
          }
          if (p.subresource === 'scale') return getScale(resources, p);
          if (p.subresource === 'binding') throw apiErrors.methodNotAllowed();
          const obj = await resources.get(p);
          return asTable ? toTable(r, [obj], { resourceVersion: obj.metadata.resourceVersion }, tableOpts(q)) : obj;
        }
        if (p.watchPath || q.get('watch') === 'true' || q.get('watch') === '1') return watch(req, reply, p, q, asTable);
        const list = await resources.list(p, {
          filter: makeFilter(r, p, q.get('labelSelector'), q.get('fieldSelector')),
          limit: intParam(q, 'limit'),
          continueToken: q.get('continue') ?? undefined,
          resourceVersion: q.get('resourceVersion') ?? undefined,
        });
        return asTable ? toTable(r, list.items, list.metadata as Record<string, unknown>, tableOpts(q)) : list;
      }
      case 'POST':
        if (p.subresource === 'binding') return reply.code(201).send(await bindPod(resources, p, req.body, now));
        if (p.name) throw apiErrors.methodNotAllowed();
        return reply.code(201).send(warn(await resources.create(p, req.body, w)));
      case 'PUT':
        if (!p.name) throw apiErrors.methodNotAllowed();
        if (p.subresource === 'scale') return writeScale(resources, p, { put: req.body }, w);
        return warn(await resources.update(p, req.body, w));
      case 'PATCH': {
        if (!p.name) throw apiErrors.methodNotAllowed();
        const ct = (req.headers['content-type'] ?? '').split(';')[0]!.trim();
        if (p.subresource === 'scale') return writeScale(resources, p, { patch: { type: ct, body: req.body } }, w);
        if (ct === PATCH_TYPES.apply) return serverSideApply(p, req.body, q, reply, w);
        return warn(await resources.patch(p, ct, req.body, w));
      }
      case 'DELETE': {
        const body = (req.body ?? {}) as Record<string, unknown>;
        const opts = {
          dryRun: w.dryRun || (Array.isArray(body.dryRun) && body.dryRun.includes('All')),
          propagationPolicy: propagationPolicy(q, body),
          gracePeriodSeconds: gracePeriodSeconds(q, body),
          preconditions: body.preconditions as { uid?: string; resourceVersion?: string } | undefined,
        };
        if (!p.name) {
          if (!r.verbs.includes('deletecollection')) throw apiErrors.methodNotAllowed();
          return resources.deleteCollection(p, makeFilter(r, p, q.get('labelSelector'), q.get('fieldSelector')), opts);
        }
        return resources.delete(p, opts);
      }
      default:
        throw apiErrors.methodNotAllowed();
    }
  };

  /** Server-side apply: field ownership in managedFields, conflicts as 409 unless forced. */
  const serverSideApply = async (p: ResourcePath, body: unknown, q: URLSearchParams, reply: FastifyReply, w: WriteOptions) => {
    const { object, created } = await resources.apply(p, body, parseForce(q.get('force') ?? undefined), {
      ...w,
      manager: q.get('fieldManager')!,
    });
    return reply.code(created ? 201 : 200).send(object);
  };

  const watch = async (req: FastifyRequest, reply: FastifyReply, p: ResourcePath, q: URLSearchParams, asTable: boolean, extraField?: string) => {
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
        asTable ? toTable(r, [obj], { resourceVersion: obj.metadata.resourceVersion }, { ...tableOpts(q), noHeaders: !first }) : obj,
      bookmark: (resourceVersion) => ({ kind: r.kind, apiVersion: apiVersionOf(r), metadata: { resourceVersion } }),
    });
    void req;
  };

  for (const prefix of ['/api/*', '/apis/*']) {
    app.route({ method: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'], url: prefix, handler: handle });
  }

  return {
    app,
    registry,
    openapi,
    cache,
    resources,
    async close() {
      namespaces.stop();
      cache.stop();
      await app.close();
    },
  };
}

/** A non-negative integer query parameter, or a 400 naming it. */
function intParam(q: URLSearchParams, name: string): number | undefined {
  const v = q.get(name);
  if (v === null || v === '') return undefined;
  if (!/^\d+$/.test(v)) throw apiErrors.badRequest(`invalid value for ${name}: ${JSON.stringify(v)}: must be a non-negative integer`);
  return Number(v);
}

/** DeleteOptions' gracePeriodSeconds (query or body); negative is invalid, as upstream. */
function gracePeriodSeconds(q: URLSearchParams, body: Record<string, unknown>): number | undefined {
  const raw = q.get('gracePeriodSeconds') ?? body.gracePeriodSeconds;
  if (raw === undefined || raw === null) return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0) {
    throw apiErrors.invalid({ group: 'meta.k8s.io', kind: 'DeleteOptions' }, '', [
      { reason: 'FieldValueInvalid', field: 'gracePeriodSeconds', message: `Invalid value: ${JSON.stringify(raw)}: must be greater than or equal to 0` },
    ]);
  }
  return n;
}

/**
 * DeleteOptions' propagationPolicy (query or body), or the deprecated orphanDependents
 * turned into one; validated as upstream's ValidateDeleteOptions.
 */
function propagationPolicy(q: URLSearchParams, body: Record<string, unknown>): string | undefined {
  const policy = (q.get('propagationPolicy') ?? body.propagationPolicy ?? undefined) as string | undefined;
  const orphanParam = q.get('orphanDependents');
  const orphan = orphanParam !== null ? orphanParam === 'true' : (body.orphanDependents as boolean | undefined);
  const invalid = (message: string, reason = 'FieldValueInvalid') =>
    apiErrors.invalid({ group: 'meta.k8s.io', kind: 'DeleteOptions' }, '', [{ reason, field: 'propagationPolicy', message }]);
  if (orphan !== undefined && orphan !== null && policy !== undefined) {
    throw invalid(`Invalid value: ${JSON.stringify(policy)}: orphanDependents and deletionPropagation cannot be both set`);
  }
  if (policy !== undefined && !PROPAGATION_POLICIES.includes(policy)) {
    throw invalid(`Unsupported value: ${JSON.stringify(policy)}: supported values: "Foreground", "Background", "Orphan", "nil"`, 'FieldValueNotSupported');
  }
  if (policy === undefined && orphan !== undefined && orphan !== null) return orphan ? 'Orphan' : 'Background';
  return policy;
}

/** `?dryRun=All`: validate and admit, but store nothing. */
function dryRun(q: URLSearchParams): boolean {
  const v = q.getAll('dryRun');
  for (const x of v) if (x !== 'All') throw apiErrors.badRequest(`Invalid dry run value: ${JSON.stringify(x)}: supported values: "All"`);
  return v.length > 0;
}

/** `?fieldValidation=`: Strict, Warn (the default) or Ignore. */
function fieldValidation(v: string | null): FieldValidation {
  if (v === null || v === '') return 'Warn';
  if (v === 'Strict' || v === 'Warn' || v === 'Ignore') return v;
  throw apiErrors.badRequest(`fieldValidation must be one of "Ignore", "Warn", or "Strict", got "${v}"`);
}

function tableOpts(q: URLSearchParams) {
  return { includeObject: q.get('includeObject') ?? undefined };
}

function notFound(): never {
  throw apiErrors.noResource();
}

function sendError(reply: FastifyReply, e: StatusError) {
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

/** JSON syntax errors name the line and column, as the issue asks. */
function jsonError(text: string, e: Error): StatusError {
  const m = /position (\d+)/.exec(e.message);
  if (!m) return apiErrors.badRequest(`error decoding JSON: ${e.message}`);
  const pos = Number(m[1]);
  const before = text.slice(0, pos);
  const line = before.split('\n').length;
  const col = pos - before.lastIndexOf('\n');
  return apiErrors.badRequest(`error decoding JSON: ${e.message.replace(/ in JSON at position \d+.*$/, '')} at line ${line}, column ${col}`);
}

function yamlError(e: Error): StatusError {
  if (e instanceof YAMLParseError && e.linePos) {
    const [start] = e.linePos;
    return apiErrors.badRequest(`error decoding YAML: line ${start.line}, column ${start.col}: ${e.message.split('\n')[0]}`);
  }
  return apiErrors.badRequest(`error decoding YAML: ${e.message}`);
}

export type { ResourceInfo };
