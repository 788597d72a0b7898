/**
 * `buildServer(options)`: the Kubernetes REST API as a Fastify app, separate from
 * listening, so tests can `inject()` requests without a port. The app is a handful of
 * plugins (plugins/); each subresource is a plugin of its own that adds its handlers to
 * the subresource table.
 */
import { Registry, type ResourceInfo } from '@minik8s/api';
import { OpenApi } from '@minik8s/api/openapi';
import type { KvClient } from '@minik8s/client/etcd';
import Fastify, { type FastifyInstance, type FastifyRequest, LogController } from 'fastify';
import type { Logger } from 'pino';
import { readTlsThroughStreams } from './keep-alive.ts';
import { authentication } from './plugins/authentication.ts';
import { bodies } from './plugins/bodies.ts';
import { CONNECTION_CHECK_INTERVAL_MS, DEFAULT_HEADERS_TIMEOUT_MS, DEFAULT_REQUEST_TIMEOUT_MS, deadlines, type Timeouts } from './plugins/deadline.ts';
import { discovery } from './plugins/discovery.ts';
import { clientErrorHandler, errors, frameworkErrors, MAX_BODY_BYTES } from './plugins/errors.ts';
import { openApi } from './plugins/openapi.ts';
import { type ServerDeps, Subresources } from './plugins/plugin.ts';
import { resources as resourceRoutes } from './plugins/resources.ts';
import { bindingSubresource } from './plugins/subresources/binding.ts';
import { evictionSubresource } from './plugins/subresources/eviction.ts';
import { logSubresource } from './plugins/subresources/log.ts';
import { scaleSubresource } from './plugins/subresources/scale.ts';
import { statusSubresource } from './plugins/subresources/status.ts';
import { NamespaceLifecycle } from './registry/core/namespace-lifecycle.ts';
import type { AdmissionConfig } from './registry/strategy.ts';
import type { KubeletClientConfig } from './rest/pod-log.ts';
import { type ResourceContext, Resources } from './rest/resources.ts';
import { ObjectStore } from './storage/object-store.ts';
import { WatchCache, type WatchCacheOptions } from './storage/watch-cache.ts';

export { MAX_BODY_BYTES };

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
  /** `--request-timeout` and the header timeout (defaults 60 s and 32 s, as upstream). */
  timeouts?: Timeouts;
  /** Watch cache options: how many events, and how many bytes of them, it keeps (10,000 and 64 MiB). */
  watchCache?: Pick<WatchCacheOptions, 'capacity' | 'maxBytes'>;
  /** Admission plugins' settings (`--default-*-toleration-seconds`). */
  admission?: AdmissionConfig;
}

export interface ApiServer {
  app: FastifyInstance;
  registry: Registry;
  openapi: OpenApi;
  cache: WatchCache;
  resources: Resources;
  close(): Promise<void>;
}

export async function buildServer(o: ApiServerOptions): Promise<ApiServer> {
  const registry = o.registry ?? new Registry();
  const logger = o.logger.child({ component: 'apiserver' });
  const store = new ObjectStore(o.etcd);
  const cache = await WatchCache.start(o.etcd, { ...o.watchCache, logger });
  const now = o.now ?? (() => new Date());
  const openapi = new OpenApi(registry.resources);
  const resources = new Resources({ registry, store, cache, now, admission: o.admission, ...o.hooks?.({ cache, openapi }) });
  const namespaces = new NamespaceLifecycle(registry, resources, store, cache, logger);
  namespaces.start();

  const timeouts = { requestMs: o.timeouts?.requestMs ?? DEFAULT_REQUEST_TIMEOUT_MS, headersMs: o.timeouts?.headersMs ?? DEFAULT_HEADERS_TIMEOUT_MS };
  const connectionLimits = {
    requestTimeout: timeouts.requestMs,
    headersTimeout: Math.min(timeouts.headersMs, timeouts.requestMs),
    connectionsCheckingInterval: CONNECTION_CHECK_INTERVAL_MS,
  };
  // Typed as a plain HTTP/1.1 Fastify app: TLS changes the socket, not the API.
  const app = Fastify({
    loggerInstance: logger,
    // One log line per request would drown everything else: requests are not logged.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: MAX_BODY_BYTES,
    requestTimeout: timeouts.requestMs,
    // Kubernetes paths and query strings are passed through as they are.
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 1024 },
    // What fails before a handler still answers a Status.
    frameworkErrors,
    clientErrorHandler,
    ...(o.https ? { https: { ...o.https, ...connectionLimits } } : { http: connectionLimits }),
  } as Parameters<typeof Fastify>[0]) as unknown as FastifyInstance;
  if (o.https) readTlsThroughStreams(app.server as unknown as import('node:https').Server);

  const deps: ServerDeps = {
    registry,
    resources,
    cache,
    openapi,
    logger,
    now,
    serverAddress: o.serverAddress,
    kubelet: o.kubelet ?? {},
    subresources: new Subresources(),
  };
  await app.register(bodies);
  await app.register(errors, { logger });
  await app.register(deadlines, { timeouts, logger });
  if (o.authenticate) await app.register(authentication, { authenticate: o.authenticate });
  await app.register(discovery, deps);
  await app.register(openApi, deps);
  await app.register(resourceRoutes, deps);
  await app.register(statusSubresource, deps);
  await app.register(scaleSubresource, deps);
  await app.register(bindingSubresource, deps);
  await app.register(evictionSubresource, deps);
  await app.register(logSubresource, deps);

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

export type { ResourceInfo };
