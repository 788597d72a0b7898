/**
 * `KubeClient`: the Kubernetes REST API over HTTPS (keep-alive, see transport.ts),
 * addressed by group/version/resource. Unary calls share one connection pool; each watch
 * holds a connection of its own, so long watches never starve requests.
 * Non-2xx answers become a `KubeApiError` carrying the server's metav1.Status.
 */
import { readFileSync } from 'node:fs';
import { type Clock, realClock } from './clock.ts';
import { isGone, KubeApiError, KubeConnectionError, statusFromResponse } from './errors.ts';
import { deleteBody, listQuery, queryString, writeQuery } from './internal/query.ts';
import { type LoadConfigOptions, loadConfig, type RestConfig } from './kubeconfig.ts';
import { type RequestRateLimiter, TokenBucket } from './rate-limiter.ts';
import {
  type DeleteOptions,
  errorFrom,
  type GetOptions,
  type ListOptions,
  PATCH_CONTENT_TYPES,
  type PatchOptions,
  type RawResponse,
  type RequestOptions,
  resourcePath,
  selectorString,
  type WatchOptions,
  type WriteOptions,
} from './rest-options.ts';
import { HttpTransport, readBody } from './transport.ts';
import type { KubeList, KubeObject, ResourceRef, Status } from './types.ts';
import { WatchStream } from './watch-stream.ts';

// The request options and the watch stream are part of this module's API: importers of
// rest-client.ts (and of `@minik8s/client/kube`) find them here as before.
export * from './rest-options.ts';
export { WatchStream } from './watch-stream.ts';

export interface KubeClientOptions {
  /** Sent as User-Agent (e.g. `minik8s-scheduler/0.1.0`). */
  userAgent?: string;
  /** Client-side rate limit (requests per second and burst); none by default. */
  qps?: number;
  burst?: number;
  /** A rate limiter of your own (wins over qps/burst). */
  rateLimiter?: RequestRateLimiter;
  /** Keep-alive connections for unary requests. Default 16. */
  connections?: number;
  /** Per-request timeout for unary requests, in ms. Default 60 000. */
  requestTimeoutMs?: number;
  clock?: Clock;
}

const TOKEN_FILE_REFRESH_MS = 60_000;

export class KubeClient {
  readonly config: RestConfig;
  private readonly origin: string;
  private readonly prefix: string;
  private readonly transport: HttpTransport;
  private readonly userAgent: string;
  private readonly limiter: RequestRateLimiter | undefined;
  private readonly timeoutMs: number;
  private readonly clock: Clock;
  private token: { value?: string; readAt: number };
  private readonly watches = new Set<{ stop(): void }>();
  private closed = false;

  constructor(config: RestConfig, o: KubeClientOptions = {}) {
    this.config = config;
    const url = new URL(config.server);
    if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new TypeError(`server must be http(s)://, got ${config.server}`);
    this.origin = url.origin;
    this.prefix = url.pathname.replace(/\/+$/, '');
    this.clock = o.clock ?? realClock;
    this.userAgent = o.userAgent ?? `minik8s-client/0.1.0 (node ${process.version})`;
    this.limiter = o.rateLimiter ?? (o.qps ? new TokenBucket({ qps: o.qps, burst: o.burst ?? Math.ceil(o.qps * 2), clock: this.clock }) : undefined);
    this.timeoutMs = o.requestTimeoutMs ?? 60_000;
    this.token = { value: config.bearerToken, readAt: this.clock.now() };
    const tls = {
      ca: config.tls.ca,
      cert: config.tls.cert,
      key: config.tls.key,
      rejectUnauthorized: !config.tls.insecureSkipTlsVerify,
      ...(config.tls.serverName ? { servername: config.tls.serverName } : {}),
    };
    this.transport = new HttpTransport(this.origin, { tls, connections: o.connections });
  }

  /** A client from kubeconfig (or in-cluster config), as kubectl would find it. */
  static fromKubeconfig(load: LoadConfigOptions = {}, o: KubeClientOptions = {}): KubeClient {
    return new KubeClient(loadConfig(load), o);
  }

  /** The namespace of the kubeconfig context (or the Pod's), "default" if none. */
  get namespace(): string {
    return this.config.namespace;
  }

  // ------------------------------------------------------------------ resource verbs

  async get<T extends KubeObject = KubeObject>(ref: ResourceRef, o: GetOptions = {}): Promise<T> {
    return this.json<T>('GET', resourcePath(ref) + queryString({ resourceVersion: o.resourceVersion }), { signal: o.signal });
  }

  /** One page (or the whole list without `limit`). No `namespace` on a namespaced resource: all namespaces. */
  async list<T extends KubeObject = KubeObject>(ref: ResourceRef, o: ListOptions = {}): Promise<KubeList<T>> {
    const { name: _n, subresource: _s, ...collection } = ref;
    return this.json<KubeList<T>>('GET', resourcePath(collection) + queryString(listQuery(o)), { signal: o.signal });
  }

  /**
   * Every page of a list, `pageSize` at a time; if a continue token expires half way,
   * falls back to one unpaged list (as client-go's pager does).
   */
  async listAll<T extends KubeObject = KubeObject>(
    ref: ResourceRef,
    o: Omit<ListOptions, 'limit' | 'continue'> & { pageSize?: number } = {},
  ): Promise<KubeList<T>> {
    const { pageSize = 500, ...rest } = o;
    const first = await this.list<T>(ref, { ...rest, limit: pageSize });
    const items = [...first.items];
    let meta = first.metadata;
    while (meta.continue) {
      let page: KubeList<T>;
      try {
        page = await this.list<T>(ref, { ...rest, resourceVersion: undefined, limit: pageSize, continue: meta.continue });
      } catch (e) {
        if (isGone(e)) return this.list<T>(ref, rest);
        throw e;
      }
      items.push(...page.items);
      meta = page.metadata;
    }
    return { ...first, metadata: { resourceVersion: meta.resourceVersion }, items };
  }

  /** POST. The namespace comes from `ref` or else from the object. */
  async create<T extends KubeObject = KubeObject>(ref: ResourceRef, body: T, o: WriteOptions = {}): Promise<T> {
    const { name: _n, ...collection } = ref;
    const namespace = ref.namespace ?? body.metadata?.namespace;
    const path = resourcePath({ ...collection, namespace, subresource: undefined });
    return this.json<T>('POST', path + queryString(writeQuery(o)), { body, signal: o.signal });
  }

  /** PUT of the main resource; with `metadata.resourceVersion` set, 409 Conflict if it moved on. */
  async update<T extends KubeObject = KubeObject>(ref: ResourceRef, body: T, o: WriteOptions = {}): Promise<T> {
    return this.json<T>('PUT', this.objectPath(ref, body) + queryString(writeQuery(o)), { body, signal: o.signal });
  }

  /** PUT of the status subresource (only status changes). */
  async updateStatus<T extends KubeObject = KubeObject>(ref: ResourceRef, body: T, o: WriteOptions = {}): Promise<T> {
    return this.update<T>({ ...ref, subresource: 'status' }, body, o);
  }

  async patch<T extends KubeObject = KubeObject>(ref: ResourceRef, patch: unknown, o: PatchOptions): Promise<T> {
    if (o.type === 'apply' && !o.fieldManager) throw new TypeError('server-side apply needs a fieldManager');
    const q = { ...writeQuery(o), force: o.type === 'apply' && o.force ? true : undefined };
    return this.json<T>('PATCH', this.objectPath(ref) + queryString(q), {
      body: patch,
      contentType: PATCH_CONTENT_TYPES[o.type],
      signal: o.signal,
    });
  }

  /**
   * DELETE. Answers the object (being deleted, or as it was) or a Status, depending on
   * the resource, as upstream.
   */
  async delete<T extends KubeObject | Status = KubeObject>(ref: ResourceRef, o: DeleteOptions = {}): Promise<T> {
    return this.json<T>('DELETE', this.objectPath(ref), { body: deleteBody(o), signal: o.signal });
  }

  /** DELETE on the collection, narrowed by selectors. */
  async deleteCollection<T = Status | KubeList>(ref: ResourceRef, o: DeleteOptions & ListOptions = {}): Promise<T> {
    const { name: _n, subresource: _s, ...collection } = ref;
    return this.json<T>('DELETE', resourcePath(collection) + queryString(listQuery(o)), { body: deleteBody(o), signal: o.signal });
  }

  /**
   * A watch: iterate it for events; the iteration ends when the server ends the watch
   * (timeoutSeconds) or after `stop()`, and throws a `GoneError` when the server answers
   * 410 (the resourceVersion is too old: re-list) or a `KubeApiError` for other errors.
   * With `ref.name`, only that object (a `metadata.name` field selector).
   */
  watch<T extends KubeObject = KubeObject>(ref: ResourceRef, o: WatchOptions = {}): WatchStream<T> {
    const { name, subresource: _s, ...collection } = ref;
    const field = [selectorString(o.fieldSelector), name !== undefined ? `metadata.name=${name}` : undefined].filter(Boolean).join(',');
    const path =
      resourcePath(collection) +
      queryString({
        watch: true,
        resourceVersion: o.resourceVersion,
        timeoutSeconds: o.timeoutSeconds,
        allowWatchBookmarks: o.allowWatchBookmarks || undefined,
        labelSelector: selectorString(o.labelSelector),
        fieldSelector: field || undefined,
      });
    const w = new WatchStream<T>(
      async (signal) => {
        const res = await this.send({ method: 'GET', path }, { signal, stream: true });
        if (res.statusCode !== 200) throw errorFrom(res.statusCode, res.body.toString('utf8'), { method: 'GET', path });
        return res.stream;
      },
      { method: 'GET', path, server: this.config.server },
      o.signal,
      (x) => this.watches.delete(x),
    );
    this.watches.add(w);
    return w;
  }

  // ------------------------------------------------------------------ raw

  /** Any request; JSON answers are parsed, others returned as text. Throws KubeApiError on non-2xx. */
  async request<T = unknown>(o: RequestOptions): Promise<T> {
    const res = await this.requestRaw(o);
    const path = this.pathWithQuery(o);
    const text = res.body.toString('utf8');
    if (res.statusCode < 200 || res.statusCode >= 300) throw errorFrom(res.statusCode, text, { method: o.method ?? 'GET', path });
    const ct = String(res.headers['content-type'] ?? '');
    if (/json/.test(ct) && text) return JSON.parse(text) as T;
    return text as T;
  }

  /** Any request, whatever the answer; network failures still throw KubeConnectionError. */
  async requestRaw(o: RequestOptions): Promise<RawResponse> {
    const res = await this.send(
      {
        method: o.method ?? 'GET',
        path: this.pathWithQuery(o),
        body: o.body,
        contentType: o.contentType,
        accept: o.accept,
        headers: o.headers,
      },
      { signal: o.signal, timeoutMs: o.timeoutMs },
    );
    return { statusCode: res.statusCode, headers: res.headers, body: res.body };
  }

  /** Stops every watch and closes the connections. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const w of this.watches) w.stop();
    this.transport.close();
  }

  // ------------------------------------------------------------------ internals

  private pathWithQuery(o: RequestOptions): string {
    return o.path + (o.query ? queryString(o.query) : '');
  }

  private objectPath(ref: ResourceRef, body?: KubeObject): string {
    const name = ref.name ?? body?.metadata?.name;
    if (!name) throw new TypeError(`a name is needed to address one ${ref.plural} object`);
    return resourcePath({ ...ref, name, namespace: ref.namespace ?? body?.metadata?.namespace });
  }

  private async json<T>(
    method: NonNullable<RequestOptions['method']>,
    path: string,
    o: { body?: unknown; contentType?: string; signal?: AbortSignal },
  ): Promise<T> {
    const res = await this.send({ method, path, body: o.body, contentType: o.contentType }, { signal: o.signal });
    const text = res.body.toString('utf8');
    if (res.statusCode < 200 || res.statusCode >= 300) throw errorFrom(res.statusCode, text, { method, path });
    try {
      return JSON.parse(text) as T;
    } catch (e) {
      throw new KubeApiError(statusFromResponse(500, `the server answered ${method} ${path} with a body that is not JSON: ${text.slice(0, 200)}`), {
        request: { method, path },
        cause: e,
      });
    }
  }

  private authorization(): string | undefined {
    const c = this.config;
    if (c.bearerTokenFile && this.clock.now() - this.token.readAt >= TOKEN_FILE_REFRESH_MS) {
      try {
        this.token = { value: readFileSync(c.bearerTokenFile, 'utf8').trim(), readAt: this.clock.now() };
      } catch {
        // Keep the last token; the file may be mid-rotation.
        this.token.readAt = this.clock.now();
      }
    }
    if (this.token.value) return `Bearer ${this.token.value}`;
    if (c.basicAuth) return `Basic ${Buffer.from(`${c.basicAuth.username}:${c.basicAuth.password}`).toString('base64')}`;
    return undefined;
  }

  private async send(
    r: { method: string; path: string; body?: unknown; contentType?: string; accept?: string; headers?: Record<string, string> },
    o: { signal?: AbortSignal; timeoutMs?: number; stream?: boolean },
  ) {
    if (this.closed) throw new Error('the client is closed');
    const headers: Record<string, string> = {
      accept: r.accept ?? 'application/json',
      'user-agent': this.userAgent,
      ...r.headers,
    };
    const auth = this.authorization();
    if (auth) headers.authorization = auth;
    let body: string | Buffer | undefined;
    if (r.body !== undefined) {
      body = typeof r.body === 'string' || Buffer.isBuffer(r.body) ? r.body : JSON.stringify(r.body);
      headers['content-type'] = r.contentType ?? 'application/json';
    }
    if (this.limiter) await this.limiter.wait(o.signal);
    const timeoutMs = o.timeoutMs ?? this.timeoutMs;
    const signals = [o.signal, o.stream ? undefined : AbortSignal.timeout(timeoutMs)].filter((s): s is AbortSignal => !!s);
    const signal = signals.length > 1 ? AbortSignal.any(signals) : signals[0];
    try {
      const res = await this.transport.request({ method: r.method, path: this.prefix + r.path, headers, body, signal, stream: o.stream });
      // A stream's body is read by its consumer; its error answer (small) is read here.
      const whole = !o.stream || res.statusCode !== 200;
      return { statusCode: res.statusCode, headers: res.headers, body: whole ? await readBody(res) : Buffer.alloc(0), stream: res.body };
    } catch (e) {
      if (o.signal?.aborted) throw o.signal.reason ?? e;
      throw new KubeConnectionError({ method: r.method, path: r.path, server: this.config.server }, e);
    }
  }
}
