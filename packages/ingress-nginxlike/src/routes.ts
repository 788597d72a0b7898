/**
 * The routing table: from Ingresses, IngressClasses, Services, EndpointSlices and TLS
 * Secrets, which request goes where. Pure: no I/O, no clock; the controller calls
 * `buildRoutes` on every (debounced) change and hands the result to the proxy.
 *
 * It follows ingress-nginx (which turns Ingresses into nginx `server`/`location` blocks):
 * - Hosts: an exact host wins over a wildcard `*.example.com`, which matches exactly one
 *   DNS label (`a.example.com`, not `example.com` nor `a.b.example.com`). Rules without a
 *   host go to the catch-all server, which answers requests whose Host matches no rule's
 *   host (nginx's default server `_`): a host that has rules of its own does not fall back
 *   to the host-less rules.
 * - Paths, within a host (nginx location selection): Exact paths first (`location =`);
 *   then the longest string prefix. `Prefix /foo` is element-wise (Kubernetes' table: it
 *   matches `/foo`, `/foo/`, `/foo/bar`, not `/foobar`; a trailing slash in the rule is
 *   ignored), which ingress-nginx writes as `location = /foo` plus `location /foo/`.
 *   `ImplementationSpecific` is a plain string prefix (`location /foo`: it matches
 *   `/foobar`), as in ingress-nginx. An Exact path beats a Prefix of the same path.
 * - Regex mode: if any Ingress with rules on a host sets `use-regex: "true"` or a
 *   `rewrite-target`, every path of that host (from every Ingress) becomes a
 *   case-insensitive regex anchored at the start (`location ~* "^<path>"`), tried
 *   longest path first, first match wins — ingress-nginx's documented behaviour.
 * - Conflicts (same host, path and pathType in two Ingresses): the oldest Ingress
 *   (creationTimestamp, then namespace/name) wins, as ingress-nginx processes Ingresses
 *   oldest first and keeps the first location.
 * - Nothing matched: the `spec.defaultBackend` of the oldest Ingress with rules for that
 *   host, or for the catch-all, of the oldest Ingress with a defaultBackend and no rules;
 *   else the controller's default backend (404 "default backend - 404").
 */
import { indexSources, resolveBackend, tlsFor } from './internal/sources.ts';
import type { EndpointSlice, HTTPIngressPath, Ingress, IngressClass, PathType, Secret, Service } from './internal/types.ts';

export const DEFAULT_INGRESS_CLASS = 'nginx';
export const DEFAULT_CONTROLLER_NAME = 'k8s.io/ingress-nginx';

export const ANNOTATIONS = {
  ingressClass: 'kubernetes.io/ingress.class',
  defaultClass: 'ingressclass.kubernetes.io/is-default-class',
  rewriteTarget: 'nginx.ingress.kubernetes.io/rewrite-target',
  useRegex: 'nginx.ingress.kubernetes.io/use-regex',
  sslRedirect: 'nginx.ingress.kubernetes.io/ssl-redirect',
  forceSslRedirect: 'nginx.ingress.kubernetes.io/force-ssl-redirect',
  proxyConnectTimeout: 'nginx.ingress.kubernetes.io/proxy-connect-timeout',
  proxyReadTimeout: 'nginx.ingress.kubernetes.io/proxy-read-timeout',
} as const;

/** One address a backend's traffic goes to. */
export interface Endpoint {
  host: string;
  port: number;
  /** `ip:port` (`[v6]:port`), for logs. */
  address: string;
}

/** A Service port of an Ingress backend, resolved to ready endpoints (one upstream in nginx terms). */
export interface Backend {
  /** `namespace/service:port`. */
  key: string;
  namespace: string;
  service: string;
  port: string | number;
  endpoints: Endpoint[];
  /** Round-robin cursor, advanced by the proxy. */
  next: number;
}

export interface Route {
  /** `namespace/name` of the Ingress this came from. */
  ingress: string;
  host: string;
  /** As written in the Ingress ('' for a defaultBackend). */
  path: string;
  pathType: PathType | 'DefaultBackend';
  backend: Backend;
  /** Set when the Ingress has `rewrite-target` (and it differs from the path). */
  rewrite?: { regex: RegExp; target: string };
  /** `ssl-redirect` (default true): plain HTTP to a host with TLS is redirected. */
  sslRedirect: boolean;
  /** `force-ssl-redirect` (default false): redirected even without TLS. */
  forceSslRedirect: boolean;
  connectTimeoutMs?: number;
  readTimeoutMs?: number;
}

/** One nginx `server`: the routes of one host (or of the catch-all). */
export interface HostRoutes {
  /** Lower case; `*.example.com` for a wildcard; '' for the catch-all. */
  host: string;
  exact: Map<string, Route>;
  /** String prefixes, longest first. */
  prefixes: Array<{ prefix: string; route: Route }>;
  /** In regex mode, used instead of `exact` and `prefixes`: first match wins. */
  regexes?: Array<{ regex: RegExp; route: Route }>;
  /** When no path matches; undefined: the controller's default backend. */
  fallback?: Route;
  /** The host has TLS (a certificate of its own or the default one): plain HTTP is redirected. */
  tls: boolean;
}

export interface TlsCertificate {
  /** `namespace/name` of the Secret. */
  secret: string;
  cert: string;
  key: string;
}

export interface RouteTable {
  hosts: Map<string, HostRoutes>;
  /** Wildcard hosts by the part after `*.`. */
  wildcards: Map<string, HostRoutes>;
  catchAll: HostRoutes;
  /** Certificates for SNI, by host (`*.example.com` for wildcards). */
  certificates: Map<string, TlsCertificate>;
  /** Every backend, by key (`namespace/service:port`). */
  backends: Map<string, Backend>;
  /** The Ingresses this controller serves, oldest first. */
  served: Ingress[];
  /** What was skipped and why (a bad regex, a missing Secret, ...). */
  warnings: string[];
}

export interface RouteInputs {
  ingresses: Ingress[];
  ingressClasses: IngressClass[];
  services: Service[];
  endpointSlices: EndpointSlice[];
  secrets: Secret[];
}

export interface ClassOptions {
  /** The IngressClass name this controller serves. Default `nginx`. */
  ingressClass?: string;
  /** IngressClass spec.controller that names us. Default `k8s.io/ingress-nginx`. */
  controllerName?: string;
  /** Serve Ingresses without any class too (ingress-nginx --watch-ingress-without-class). */
  watchIngressWithoutClass?: boolean;
}

// ------------------------------------------------------------------ ingress class

/**
 * Whether this controller serves an Ingress: spec.ingressClassName names our class (and
 * an IngressClass of that name, if there is one, names our controller); without it, the
 * legacy annotation `kubernetes.io/ingress.class` names our class; without either, our
 * IngressClass is marked `ingressclass.kubernetes.io/is-default-class: "true"`.
 */
export function isServed(ing: Ingress, classes: IngressClass[], o: ClassOptions = {}): boolean {
  const ours = o.ingressClass ?? DEFAULT_INGRESS_CLASS;
  const controller = o.controllerName ?? DEFAULT_CONTROLLER_NAME;
  const cls = classes.find((c) => c.metadata.name === ours);
  const className = ing.spec?.ingressClassName;
  if (className) return className === ours && (!cls || (cls.spec?.controller ?? controller) === controller);
  const legacy = ing.metadata.annotations?.[ANNOTATIONS.ingressClass];
  if (legacy !== undefined && legacy !== '') return legacy === ours;
  if (o.watchIngressWithoutClass) return true;
  return !!cls && (cls.spec?.controller ?? controller) === controller && cls.metadata.annotations?.[ANNOTATIONS.defaultClass] === 'true';
}

/** Oldest first (creationTimestamp), then namespace/name: the order ingress-nginx processes them in. */
export function byAge(a: Ingress, b: Ingress): number {
  const ta = a.metadata.creationTimestamp ?? '';
  const tb = b.metadata.creationTimestamp ?? '';
  if (ta !== tb) return ta < tb ? -1 : 1;
  const ka = `${a.metadata.namespace ?? ''}/${a.metadata.name ?? ''}`;
  const kb = `${b.metadata.namespace ?? ''}/${b.metadata.name ?? ''}`;
  return ka < kb ? -1 : ka > kb ? 1 : 0;
}

// ------------------------------------------------------------------ building

const boolAnnotation = (ing: Ingress, name: string, dflt: boolean): boolean => {
  const v = ing.metadata.annotations?.[name];
  if (v === undefined) return dflt;
  if (/^(true|1)$/i.test(v.trim())) return true;
  if (/^(false|0)$/i.test(v.trim())) return false;
  return dflt;
};

const secondsAnnotation = (ing: Ingress, name: string): number | undefined => {
  const v = ing.metadata.annotations?.[name];
  if (v === undefined || !/^\d+$/.test(v.trim())) return undefined;
  const n = Number(v.trim());
  return n > 0 ? n * 1000 : undefined;
};

/** Strips trailing slashes from a Prefix path (`/foo/` is `/foo`; `/` stays). */
export function normalizePrefix(path: string): string {
  let end = path.length;
  while (end > 1 && path.charCodeAt(end - 1) === 47 /* / */) end--;
  return end === path.length ? path : path.slice(0, end);
}

const newHost = (host: string): HostRoutes => ({ host, exact: new Map(), prefixes: [], tls: false });

interface PendingPath {
  ing: Ingress;
  order: number;
  p: HTTPIngressPath;
  route: Route;
}

export function buildRoutes(inputs: RouteInputs, o: ClassOptions = {}): RouteTable {
  const b = indexSources(inputs, []);

  const served = inputs.ingresses.filter((i) => isServed(i, inputs.ingressClasses, o) && !i.metadata.deletionTimestamp).sort(byAge);
  const paths = new Map<string, PendingPath[]>(); // by host ('' for the catch-all)
  const hostFallback = new Map<string, Route | null>();
  const hostTls = new Map<string, TlsCertificate | null>();
  const regexHosts = new Set<string>();
  let catchAllFallback: Route | undefined;
  let order = 0;

  for (const ing of served) {
    const ns = ing.metadata.namespace ?? 'default';
    const ingKey = `${ns}/${ing.metadata.name ?? ''}`;
    const rewriteTarget = ing.metadata.annotations?.[ANNOTATIONS.rewriteTarget] || undefined;
    const useRegex = boolAnnotation(ing, ANNOTATIONS.useRegex, false);
    const common = {
      ingress: ingKey,
      sslRedirect: boolAnnotation(ing, ANNOTATIONS.sslRedirect, true),
      forceSslRedirect: boolAnnotation(ing, ANNOTATIONS.forceSslRedirect, false),
      connectTimeoutMs: secondsAnnotation(ing, ANNOTATIONS.proxyConnectTimeout),
      readTimeoutMs: secondsAnnotation(ing, ANNOTATIONS.proxyReadTimeout),
    };
    const defaultBackend = ing.spec?.defaultBackend ? resolveBackend(b, ns, ing.spec.defaultBackend) : undefined;
    if (ing.spec?.defaultBackend && !defaultBackend) b.warnings.push(`ingress ${ingKey}: defaultBackend is not a Service backend`);
    const fallbackFor = (host: string): Route | null =>
      defaultBackend ? { ...common, host, path: '', pathType: 'DefaultBackend', backend: defaultBackend } : null;
    const rules = ing.spec?.rules ?? [];
    if (rules.length === 0 && defaultBackend && !catchAllFallback) catchAllFallback = fallbackFor('') ?? undefined;

    for (const rule of rules) {
      const host = (rule.host ?? '').toLowerCase();
      // The first (oldest) Ingress to define a host sets what unmatched paths get there.
      if (host !== '' && !hostFallback.has(host)) hostFallback.set(host, fallbackFor(host));
      if (host !== '' && !hostTls.has(host)) {
        const t = tlsFor(b, ing, host);
        if (t !== undefined) hostTls.set(host, t);
      }
      for (const p of rule.http?.paths ?? []) {
        const pathType: PathType = p.pathType ?? 'ImplementationSpecific';
        const path = p.path || '/';
        const backend = resolveBackend(b, ns, p.backend);
        if (!backend) {
          b.warnings.push(`ingress ${ingKey}: path ${path} has no Service backend`);
          continue;
        }
        const route: Route = { ...common, host, path, pathType, backend };
        if (rewriteTarget && rewriteTarget !== path) {
          try {
            route.rewrite = { regex: new RegExp(path, 'i'), target: rewriteTarget };
          } catch {
            b.warnings.push(`ingress ${ingKey}: path ${path} is not a valid regular expression`);
            continue;
          }
        }
        if (useRegex || route.rewrite) regexHosts.add(host);
        const list = paths.get(host);
        const pending = { ing, order: order++, p, route };
        if (list) list.push(pending);
        else paths.set(host, [pending]);
      }
    }
  }

  const table: RouteTable = {
    hosts: new Map(),
    wildcards: new Map(),
    catchAll: newHost(''),
    certificates: new Map(),
    backends: b.backends,
    served,
    warnings: b.warnings,
  };
  table.catchAll.fallback = catchAllFallback;
  const allHosts = new Set<string>([...paths.keys(), ...hostFallback.keys()]);
  for (const host of allHosts) {
    const hr = host === '' ? table.catchAll : newHost(host);
    if (host !== '') {
      hr.fallback = hostFallback.get(host) ?? undefined;
      if (hostTls.has(host)) {
        hr.tls = true;
        const c = hostTls.get(host);
        if (c) table.certificates.set(host, c);
      }
      if (host.startsWith('*.')) table.wildcards.set(host.slice(2), hr);
      else table.hosts.set(host, hr);
    }
    fillPaths(hr, paths.get(host) ?? [], regexHosts.has(host), b.warnings);
  }
  // Certificates of TLS hosts that have no rules still answer SNI.
  for (const ing of served) {
    for (const t of ing.spec?.tls ?? []) {
      for (const h of t.hosts ?? []) {
        const host = h.toLowerCase();
        if (table.certificates.has(host) || !t.secretName) continue;
        const c = tlsFor(b, ing, host);
        if (c) table.certificates.set(host, c);
      }
    }
  }
  return table;
}

function fillPaths(hr: HostRoutes, pending: PendingPath[], regexMode: boolean, warnings: string[]): void {
  const taken = new Set<string>();
  const kept: PendingPath[] = [];
  for (const x of pending) {
    // Oldest first: the first Ingress to claim a host+path+pathType keeps it.
    const id = `${x.route.pathType} ${x.route.path}`;
    if (taken.has(id)) {
      warnings.push(`ingress ${x.route.ingress}: ${hr.host || '*'}${x.route.path} (${x.route.pathType}) is already defined by an older Ingress`);
      continue;
    }
    taken.add(id);
    kept.push(x);
  }
  if (regexMode) {
    const regexes: Array<{ regex: RegExp; route: Route; len: number; order: number }> = [];
    for (const x of kept) {
      try {
        regexes.push({ regex: new RegExp(`^${x.route.path}`, 'i'), route: x.route, len: x.route.path.length, order: x.order });
      } catch {
        warnings.push(`ingress ${x.route.ingress}: path ${x.route.path} is not a valid regular expression`);
      }
    }
    // ingress-nginx writes locations longest path first; nginx takes the first regex that matches.
    regexes.sort((a, c) => c.len - a.len || a.order - c.order);
    hr.regexes = regexes.map(({ regex, route }) => ({ regex, route }));
    return;
  }
  const implied = new Map<string, Route>(); // `= /foo` from `Prefix /foo`, below a real Exact
  const prefixes: Array<{ prefix: string; route: Route; rank: number; order: number }> = [];
  for (const x of kept) {
    const r = x.route;
    if (r.pathType === 'Exact') {
      hr.exact.set(r.path, r);
    } else if (r.pathType === 'Prefix') {
      const p = normalizePrefix(r.path);
      if (p === '/') prefixes.push({ prefix: '/', route: r, rank: 0, order: x.order });
      else {
        if (!implied.has(p)) implied.set(p, r);
        prefixes.push({ prefix: `${p}/`, route: r, rank: 0, order: x.order });
      }
    } else {
      prefixes.push({ prefix: r.path, route: r, rank: 1, order: x.order });
    }
  }
  for (const [p, r] of implied) if (!hr.exact.has(p)) hr.exact.set(p, r);
  prefixes.sort((a, c) => c.prefix.length - a.prefix.length || a.rank - c.rank || a.order - c.order);
  hr.prefixes = prefixes.map(({ prefix, route }) => ({ prefix, route }));
}

// ------------------------------------------------------------------ lookup

/** The server for a Host (lower case, no port): exact, else the wildcard for its first label, else the catch-all. */
export function lookupHost(table: RouteTable, host: string): HostRoutes {
  const exact = table.hosts.get(host);
  if (exact) return exact;
  const dot = host.indexOf('.');
  if (dot > 0 && table.wildcards.size > 0) {
    const w = table.wildcards.get(host.slice(dot + 1));
    if (w) return w;
  }
  return table.catchAll;
}

/** The route for a (normalized) path on a server, its fallback if none matches, else undefined (default backend). */
export function matchPath(hr: HostRoutes, path: string): Route | undefined {
  const regexes = hr.regexes;
  if (regexes) {
    for (let i = 0; i < regexes.length; i++) {
      const r = regexes[i]!;
      if (r.regex.test(path)) return r.route;
    }
    return hr.fallback;
  }
  const exact = hr.exact.size > 0 ? hr.exact.get(path) : undefined;
  if (exact) return exact;
  const prefixes = hr.prefixes;
  for (let i = 0; i < prefixes.length; i++) {
    const p = prefixes[i]!;
    if (path.startsWith(p.prefix)) return p.route;
  }
  return hr.fallback;
}

/** Host header value → lower-case host without port (`Foo.COM:8080` → `foo.com`, `[::1]:80` → `::1`). */
export function hostOf(header: string | undefined): string {
  if (!header) return '';
  let h = header;
  if (h.charCodeAt(0) === 91 /* [ */) {
    const end = h.indexOf(']');
    h = end > 0 ? h.slice(1, end) : h;
  } else {
    const colon = h.indexOf(':');
    if (colon >= 0) h = h.slice(0, colon);
  }
  if (h.endsWith('.')) h = h.slice(0, -1);
  return h.toLowerCase();
}

/**
 * The path nginx matches locations against: percent-decoded, `//` merged, `.` and `..`
 * resolved. Paths that need none of that (nearly all) are returned as they are.
 */
export function normalizePath(raw: string): string {
  if (!/%|\/\/|\/\./.test(raw)) return raw;
  let p = raw;
  if (p.includes('%')) {
    try {
      p = decodeURIComponent(p);
    } catch {
      // Leave malformed escapes as they are.
    }
  }
  const out: string[] = [];
  for (const seg of p.split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..') out.pop();
    else out.push(seg);
  }
  const trailing = /\/\.{0,2}$/.test(p) && out.length > 0;
  return `/${out.join('/')}${trailing ? '/' : ''}`;
}

/** nginx `rewrite <regex> <target> break;` of a path: $1..$9 from the match; the query is kept. */
export function applyRewrite(rewrite: { regex: RegExp; target: string }, path: string, query: string): string {
  const m = rewrite.regex.exec(path);
  if (!m) return query ? `${path}?${query}` : path;
  const target = rewrite.target.replace(/\$(\d)|\$\{(\d)\}/g, (_s, a: string | undefined, c: string | undefined) => m[Number(a ?? c)] ?? '');
  const q = target.indexOf('?');
  if (q < 0) return query ? `${target}?${query}` : target;
  // nginx: a target with its own arguments gets the old ones appended, unless it ends in '?'.
  if (q === target.length - 1) return target.slice(0, -1);
  return query ? `${target}&${query}` : target;
}
