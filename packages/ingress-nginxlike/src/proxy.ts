/**
 * The data plane: a plain and a TLS listener (SNI picks the certificate of the host from
 * the routing table, else a self-signed default one, as ingress-nginx's "Kubernetes
 * Ingress Controller Fake Certificate") that route each request by Host and path and
 * proxy it to a ready endpoint, round-robin, over kept-alive upstream connections. The
 * HTTP/1.1 handling is our own, on raw sockets (internal/connection.ts): Node's http
 * module costs more than half of the throughput a proxy can have here.
 *
 * What a client sees follows ingress-nginx: 404 "default backend - 404" when nothing
 * matches, 503 when the backend has no ready endpoint, 502 when the upstream fails, 504
 * when it does not answer in time (connect 5 s, read 60 s), and 308 to https for hosts
 * with TLS (ssl-redirect) or with force-ssl-redirect. A connection an endpoint refuses
 * (or that times out connecting) is retried on the next endpoint, up to
 * proxy-next-upstream-tries (3) in all, for any method: nothing was sent, and the body
 * received so far is held until a connection is up. A reused keep-alive connection that
 * the upstream had closed is retried once, on a new connection, for idempotent requests
 * without a body; such a request whose upstream fails before any byte of its answer (an
 * endpoint shutting down) goes on to the next endpoint, within the same tries. Upgrades (WebSockets) are tunnelled after the upstream's 101.
 */
import { createServer as createNetServer, type Server, type Socket } from 'node:net';
import { createSecureContext, createServer as createTlsServer, type SecureContext, type Server as TlsServer } from 'node:tls';
import { type AccessLogger, ClientConn, type Engine, type Resolved } from './internal/connection.ts';
import { FAKE_CERTIFICATE_CN, makeFakeCertificate } from './internal/fake-certificate.ts';
import { PAGES } from './internal/pages.ts';
import { UpstreamPool } from './internal/upstream.ts';
import { applyRewrite, buildRoutes, type HostRoutes, hostOf, lookupHost, matchPath, normalizePath, type RouteTable } from './routes.ts';

export type { AccessEntry, AccessLogger } from './internal/connection.ts';
export { FAKE_CERTIFICATE_CN };

export interface ProxyLogger {
  debug(o: object, msg?: string): void;
  warn(o: object, msg?: string): void;
}

export interface ProxyOptions {
  /** Port for plain HTTP (0: any free one). Default 80. */
  httpPort?: number;
  /** Port for HTTPS (0: any free one). Default 443. */
  httpsPort?: number;
  /** Address to listen on. Default: every address. */
  bindAddress?: string;
  /** The HTTPS port clients reach us on, for redirects (omitted from Location when 443). Default 443. */
  redirectHttpsPort?: number;
  /** Upstream connect timeout (ingress-nginx proxy-connect-timeout). Default 5000. */
  connectTimeoutMs?: number;
  /** Longest upstream silence while a request is in flight (proxy-read-timeout). Default 60 000. */
  readTimeoutMs?: number;
  /** Endpoints tried for one request (proxy-next-upstream-tries). Default 3. */
  proxyNextUpstreamTries?: number;
  /** Idle keep-alive of client connections (ingress-nginx keep-alive). Default 75 000. */
  keepAliveTimeoutMs?: number;
  /** Idle keep-alive connections kept per endpoint (upstream-keepalive-connections). Default 320. */
  upstreamKeepAliveConnections?: number;
  /** Idle time before an upstream keep-alive connection is closed (upstream-keepalive-timeout). Default 60 000. */
  upstreamKeepAliveTimeoutMs?: number;
  /** The certificate for hosts without one of their own; default: a self-signed fake one, made at start. */
  defaultCertificate?: { cert: string; key: string };
  /** One line per request when set. */
  accessLog?: AccessLogger;
  logger?: ProxyLogger;
}

export interface ListeningPorts {
  http: number;
  https: number;
}

const emptyTable = (): RouteTable => buildRoutes({ ingresses: [], ingressClasses: [], services: [], endpointSlices: [], secrets: [] });
const HOST_CACHE_MAX = 1024;
const quiet: ProxyLogger = { debug() {}, warn() {} };

export class IngressProxy implements Engine {
  readonly pool: UpstreamPool;
  readonly connectTimeoutMs: number;
  readonly readTimeoutMs: number;
  readonly tries: number;
  readonly accessLog: AccessLogger | undefined;
  readonly connections = new Set<ClientConn>();
  draining = false;
  private table: RouteTable = emptyTable();
  private hostCache = new Map<string, HostRoutes>();
  private contexts = new Map<string, SecureContext>();
  private contextCache = new Map<string, { cert: string; key: string; ctx: SecureContext }>();
  private defaultContext: SecureContext | undefined;
  private defaultPem: { cert: string; key: string } | undefined;
  private plain: Server | undefined;
  private secure: TlsServer | undefined;
  private readonly o: ProxyOptions;
  private readonly log: ProxyLogger;
  private readonly redirectPort: string;
  private ports: ListeningPorts = { http: 0, https: 0 };

  constructor(o: ProxyOptions = {}) {
    this.o = o;
    this.log = o.logger ?? quiet;
    this.accessLog = o.accessLog;
    this.connectTimeoutMs = o.connectTimeoutMs ?? 5000;
    this.readTimeoutMs = o.readTimeoutMs ?? 60_000;
    this.tries = Math.max(1, o.proxyNextUpstreamTries ?? 3);
    const rp = o.redirectHttpsPort ?? 443;
    this.redirectPort = rp === 443 ? '' : `:${rp}`;
    this.pool = new UpstreamPool({ maxIdlePerEndpoint: o.upstreamKeepAliveConnections, idleTimeoutMs: o.upstreamKeepAliveTimeoutMs });
    this.defaultPem = o.defaultCertificate;
  }

  /** The table in use. */
  get routes(): RouteTable {
    return this.table;
  }

  /** The default certificate (PEM), once listening. */
  get defaultCertificate(): { cert: string; key: string } | undefined {
    return this.defaultPem;
  }

  get listening(): ListeningPorts {
    return this.ports;
  }

  /** Swaps in a new routing table (and the certificates it names); requests in flight keep the old one. */
  setRoutes(table: RouteTable): void {
    const contexts = new Map<string, SecureContext>();
    const cache = new Map<string, { cert: string; key: string; ctx: SecureContext }>();
    for (const [host, c] of table.certificates) {
      let e = cache.get(c.secret) ?? this.contextCache.get(c.secret);
      if (!e || e.cert !== c.cert || e.key !== c.key) {
        try {
          e = { cert: c.cert, key: c.key, ctx: createSecureContext({ cert: c.cert, key: c.key }) };
        } catch (err) {
          this.log.warn({ secret: c.secret, err: (err as Error).message }, 'unusable TLS certificate; using the default one');
          continue;
        }
      }
      cache.set(c.secret, e);
      contexts.set(host, e.ctx);
    }
    // Round-robin goes on where it was for backends that carry over.
    for (const [key, b] of table.backends) {
      const old = this.table.backends.get(key);
      if (old) b.next = old.next;
    }
    this.contextCache = cache;
    this.contexts = contexts;
    this.table = table;
    this.hostCache = new Map();
  }

  async listen(): Promise<ListeningPorts> {
    this.defaultPem ??= makeFakeCertificate();
    this.defaultContext = createSecureContext(this.defaultPem);
    const keepAlive = this.o.keepAliveTimeoutMs ?? 75_000;
    let hp = '';
    let sp = '';
    const plain = createNetServer({ noDelay: true }, (s: Socket) => {
      new ClientConn(s, this, 'http', hp, keepAlive);
    });
    const secure = createTlsServer(
      { cert: this.defaultPem.cert, key: this.defaultPem.key, SNICallback: (name, cb) => cb(null, this.contextFor(name)), ALPNProtocols: ['http/1.1'] },
      (s) => {
        new ClientConn(s, this, 'https', sp, keepAlive);
      },
    );
    secure.on('tlsClientError', () => {});
    this.plain = plain;
    this.secure = secure;
    const httpPort = await listenOn(plain, this.o.httpPort ?? 80, this.o.bindAddress);
    const httpsPort = await listenOn(secure, this.o.httpsPort ?? 443, this.o.bindAddress);
    hp = String(httpPort);
    sp = String(httpsPort);
    this.ports = { http: httpPort, https: httpsPort };
    return this.ports;
  }

  /**
   * Stops accepting connections, lets requests in flight finish for up to `graceMs`
   * (idle connections close at once, busy ones after their response), then closes
   * whatever is left.
   */
  async close(graceMs = 0): Promise<void> {
    this.draining = true;
    const servers = [this.plain, this.secure].filter((s): s is Server => !!s);
    const closed = servers.map((s) => new Promise<void>((r) => s.close(() => r())));
    for (const c of [...this.connections]) c.drain();
    if (graceMs > 0 && this.connections.size > 0) {
      const deadline = Date.now() + graceMs;
      while (this.connections.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    }
    for (const c of [...this.connections]) c.socket.destroy();
    this.pool.close();
    await Promise.all(closed);
  }

  // ------------------------------------------------------------------ routing

  private contextFor(servername: string): SecureContext | undefined {
    const name = servername.toLowerCase();
    const exact = this.contexts.get(name);
    if (exact) return exact;
    const dot = name.indexOf('.');
    return (dot > 0 && this.contexts.get(`*${name.slice(dot)}`)) || this.defaultContext;
  }

  private lookup(hostHeader: string): HostRoutes {
    let hr = this.hostCache.get(hostHeader);
    if (hr === undefined) {
      hr = lookupHost(this.table, hostOf(hostHeader));
      if (this.hostCache.size >= HOST_CACHE_MAX) this.hostCache.clear();
      this.hostCache.set(hostHeader, hr);
    }
    return hr;
  }

  /** Where a request goes: a route (and the path to send), or a page we answer ourselves. */
  resolve(url: string, host: string, scheme: string): Resolved {
    const q = url.indexOf('?');
    const rawPath = q < 0 ? url : url.slice(0, q);
    const hr = this.lookup(host);
    const route = matchPath(hr, normalizePath(rawPath));
    if (
      scheme === 'http' &&
      (route ? route.forceSslRedirect || (hr.tls && route.sslRedirect) : hr.tls) &&
      !rawPath.startsWith('/.well-known/acme-challenge/')
    ) {
      let h = hostOf(host);
      if (h.includes(':')) h = `[${h}]`;
      return { kind: 'page', page: PAGES.permanentRedirect, location: `https://${h}${this.redirectPort}${url}` };
    }
    if (!route) return { kind: 'page', page: PAGES.notFound };
    if (route.backend.endpoints.length === 0) return { kind: 'page', page: PAGES.unavailable };
    const path = route.rewrite ? applyRewrite(route.rewrite, rawPath, q < 0 ? '' : url.slice(q + 1)) : url;
    return { kind: 'route', route, path };
  }
}

function listenOn(server: Server, port: number, host: string | undefined): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (e: Error) => reject(e);
    server.once('error', onError);
    server.listen({ port, host }, () => {
      server.off('error', onError);
      const a = server.address();
      resolve(typeof a === 'object' && a ? a.port : port);
    });
  });
}
