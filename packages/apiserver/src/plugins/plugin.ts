/**
 * What the server's Fastify plugins share: the server's parts (`ServerDeps`), the
 * subresource table the resources plugin dispatches through, and `global()` for plugins
 * that change the whole app (body parsers, error handlers, authentication).
 */
import type { Registry } from '@minik8s/api';
import type { OpenApi } from '@minik8s/api/openapi';
import type { FastifyPluginAsync, FastifyPluginOptions, FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import type { ResourcePath } from '../rest/paths.ts';
import type { KubeletClientConfig } from '../rest/pod-log.ts';
import type { Resources, WriteOptions } from '../rest/resources.ts';
import type { WatchCache } from '../storage/watch-cache.ts';

export interface ServerDeps {
  registry: Registry;
  resources: Resources;
  cache: WatchCache;
  openapi: OpenApi;
  logger: Logger;
  now(): Date;
  /** host:port clients use, for legacy discovery. */
  serverAddress?: string;
  kubelet: KubeletClientConfig;
  subresources: Subresources;
}

/** One request to a resource path, parsed. */
export interface ResourceRequest {
  req: FastifyRequest;
  reply: FastifyReply;
  path: ResourcePath;
  query: URLSearchParams;
  /** fieldValidation, dryRun, fieldManager; warnings collected for the Warning header. */
  write: WriteOptions;
  /** The client asked for a meta.k8s.io Table. */
  asTable: boolean;
  /** Sets the Warning header from `write.warnings`, then gives `v` back. */
  warn<T>(v: T): T;
}

export type Verb = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
export type ResourceHandler = (r: ResourceRequest) => Promise<unknown>;

/** A subresource's handlers by HTTP method; a method it lacks is 405. */
export interface Subresource {
  name: string;
  verbs: Partial<Record<Verb, ResourceHandler>>;
}

/** The subresources served, by name; each subresource plugin adds its own. */
export class Subresources {
  private readonly byName = new Map<string, Subresource>();

  add(s: Subresource): void {
    if (this.byName.has(s.name)) throw new Error(`subresource ${s.name} registered twice`);
    this.byName.set(s.name, s);
  }

  get(name: string): Subresource | undefined {
    return this.byName.get(name);
  }
}

/** A plugin that changes the app it is registered on rather than a child context (what fastify-plugin marks). */
export function global<T extends FastifyPluginOptions>(plugin: FastifyPluginAsync<T>): FastifyPluginAsync<T> {
  return Object.assign(plugin, { [Symbol.for('skip-override')]: true });
}
