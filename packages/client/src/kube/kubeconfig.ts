/**
 * kubeconfig loading as kubectl (client-go's clientcmd) does it: an explicit path, or the
 * `KUBECONFIG` list (merged, first file wins for every name and for current-context), or
 * `~/.kube/config`; then one context (current, or `--context`) picks a cluster, a user
 * and a namespace. Relative file paths are relative to the kubeconfig that names them.
 * `inClusterConfig()` builds the same result from a Pod's service-account mount.
 */
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, dirname, isAbsolute, join, resolve } from 'node:path';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';

// ---------------------------------------------------------------------------- file shapes

export interface KubeconfigCluster {
  server?: string;
  'certificate-authority'?: string;
  'certificate-authority-data'?: string;
  'insecure-skip-tls-verify'?: boolean;
  'tls-server-name'?: string;
  'proxy-url'?: string;
  [k: string]: unknown;
}

export interface KubeconfigUser {
  'client-certificate'?: string;
  'client-certificate-data'?: string;
  'client-key'?: string;
  'client-key-data'?: string;
  token?: string;
  tokenFile?: string;
  username?: string;
  password?: string;
  exec?: unknown;
  'auth-provider'?: unknown;
  [k: string]: unknown;
}

export interface KubeconfigContext {
  cluster?: string;
  user?: string;
  namespace?: string;
  [k: string]: unknown;
}

export interface Kubeconfig {
  apiVersion?: string;
  kind?: string;
  clusters: Array<{ name: string; cluster: KubeconfigCluster }>;
  users: Array<{ name: string; user: KubeconfigUser }>;
  contexts: Array<{ name: string; context: KubeconfigContext }>;
  'current-context'?: string;
  preferences?: Record<string, unknown>;
}

// ---------------------------------------------------------------------------- resolved

/** Everything needed to talk to one API server as one user. */
export interface RestConfig {
  /** `https://host:port`, possibly with a path prefix; no trailing slash. */
  server: string;
  /** The context's namespace, or "default". */
  namespace: string;
  /** The context this came from (undefined for in-cluster and hand-made configs). */
  context?: string;
  cluster?: string;
  user?: string;
  tls: {
    /** PEM CA bundle; absent: the system roots. */
    ca?: string;
    /** PEM client certificate and key. */
    cert?: string;
    key?: string;
    insecureSkipTlsVerify?: boolean;
    /** SNI and the name the serving certificate must carry, if not the server's host. */
    serverName?: string;
  };
  /** `Authorization: Bearer`; `bearerTokenFile` is re-read now and then (rotated tokens). */
  bearerToken?: string;
  bearerTokenFile?: string;
  basicAuth?: { username: string; password: string };
}

export type KubeconfigErrorCode =
  | 'EmptyConfig'
  | 'ContextNotFound'
  | 'ClusterNotFound'
  | 'UserNotFound'
  | 'NoServer'
  | 'InvalidFile'
  | 'ReadFailed'
  | 'Unsupported'
  | 'Conflicting'
  | 'NotInCluster';

/** A kubeconfig that cannot be used; messages are client-go's, so users recognise them. */
export class KubeconfigError extends Error {
  override name = 'KubeconfigError';
  constructor(
    readonly code: KubeconfigErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

// ---------------------------------------------------------------------------- parsing

/**
 * Parses one kubeconfig (YAML or JSON). With `path`, relative file references are made
 * absolute against the file's directory, as clientcmd's ResolveLocalPaths does.
 */
export function parseKubeconfig(text: string, path?: string): Kubeconfig {
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (e) {
    throw new KubeconfigError('InvalidFile', `error loading config file "${path ?? '<input>'}": ${(e as Error).message}`, { cause: e });
  }
  if (doc === null || doc === undefined) doc = {};
  if (typeof doc !== 'object' || Array.isArray(doc)) {
    throw new KubeconfigError('InvalidFile', `error loading config file "${path ?? '<input>'}": not a kubeconfig object`);
  }
  const d = doc as Record<string, unknown>;
  const named = <K extends string, V>(field: string, inner: K): Array<{ name: string } & Record<K, V>> => {
    const v = d[field];
    if (v === undefined || v === null) return [];
    if (!Array.isArray(v)) {
      throw new KubeconfigError('InvalidFile', `error loading config file "${path ?? '<input>'}": ${field} must be a list`);
    }
    return v.map((e, i) => {
      if (typeof e !== 'object' || e === null || typeof (e as { name?: unknown }).name !== 'string') {
        throw new KubeconfigError('InvalidFile', `error loading config file "${path ?? '<input>'}": ${field}[${i}] has no name`);
      }
      const body = (e as Record<string, unknown>)[inner];
      return { name: (e as { name: string }).name, [inner]: (typeof body === 'object' && body !== null ? body : {}) as V } as {
        name: string;
      } & Record<K, V>;
    });
  };
  const kc: Kubeconfig = {
    apiVersion: typeof d.apiVersion === 'string' ? d.apiVersion : undefined,
    kind: typeof d.kind === 'string' ? d.kind : undefined,
    clusters: named<'cluster', KubeconfigCluster>('clusters', 'cluster'),
    users: named<'user', KubeconfigUser>('users', 'user'),
    contexts: named<'context', KubeconfigContext>('contexts', 'context'),
    'current-context': typeof d['current-context'] === 'string' ? d['current-context'] : undefined,
    preferences: typeof d.preferences === 'object' && d.preferences !== null ? (d.preferences as Record<string, unknown>) : undefined,
  };
  if (path) resolveLocalPaths(kc, dirname(resolve(path)));
  return kc;
}

function resolveLocalPaths(kc: Kubeconfig, base: string): void {
  const abs = (p: string | undefined) => (p && !isAbsolute(p) ? join(base, p) : p);
  for (const { cluster } of kc.clusters) {
    if (cluster['certificate-authority']) cluster['certificate-authority'] = abs(cluster['certificate-authority']);
  }
  for (const { user } of kc.users) {
    if (user['client-certificate']) user['client-certificate'] = abs(user['client-certificate']);
    if (user['client-key']) user['client-key'] = abs(user['client-key']);
    if (user.tokenFile) user.tokenFile = abs(user.tokenFile);
  }
}

/**
 * Merges kubeconfigs in precedence order: the first file to define a cluster, user or
 * context name keeps it, and the first non-empty current-context wins (clientcmd rules).
 */
export function mergeKubeconfigs(configs: Kubeconfig[]): Kubeconfig {
  const out: Kubeconfig = { apiVersion: 'v1', kind: 'Config', clusters: [], users: [], contexts: [] };
  const seen = { clusters: new Set<string>(), users: new Set<string>(), contexts: new Set<string>() };
  for (const kc of configs) {
    for (const c of kc.clusters) if (!seen.clusters.has(c.name) && seen.clusters.add(c.name)) out.clusters.push(c);
    for (const u of kc.users) if (!seen.users.has(u.name) && seen.users.add(u.name)) out.users.push(u);
    for (const c of kc.contexts) if (!seen.contexts.has(c.name) && seen.contexts.add(c.name)) out.contexts.push(c);
    if (!out['current-context'] && kc['current-context']) out['current-context'] = kc['current-context'];
    if (!out.preferences && kc.preferences) out.preferences = kc.preferences;
  }
  return out;
}

export interface LoadKubeconfigOptions {
  /** `--kubeconfig`: this file only; it must exist. */
  kubeconfig?: string;
  /** Defaults to process.env (KUBECONFIG, HOME). */
  env?: Record<string, string | undefined>;
  /** Defaults to `env.HOME` or os.homedir(). */
  homeDir?: string;
}

/** The files kubectl would read, in precedence order (existing or not). */
export function kubeconfigPaths(o: LoadKubeconfigOptions = {}): string[] {
  if (o.kubeconfig) return [o.kubeconfig];
  const env = o.env ?? process.env;
  const list = env.KUBECONFIG;
  if (list) return [...new Set(list.split(delimiter).filter(Boolean))];
  return [join(o.homeDir ?? env.HOME ?? homedir(), '.kube', 'config')];
}

/**
 * Reads and merges the kubeconfig files: an explicit path must exist; files named by
 * KUBECONFIG or the default path that do not exist are skipped, as kubectl does.
 */
export function loadKubeconfig(o: LoadKubeconfigOptions = {}): Kubeconfig {
  const configs: Kubeconfig[] = [];
  for (const p of kubeconfigPaths(o)) {
    if (!o.kubeconfig && !existsSync(p)) continue;
    let text: string;
    try {
      text = readFileSync(p, 'utf8');
    } catch (e) {
      throw new KubeconfigError(
        'ReadFailed',
        `stat ${p}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file or directory' : (e as Error).message}`,
        {
          cause: e,
        },
      );
    }
    configs.push(parseKubeconfig(text, p));
  }
  return mergeKubeconfigs(configs);
}

// ---------------------------------------------------------------------------- resolving

export interface ResolveOptions {
  /** `--context` */
  context?: string;
  /** `--cluster`, `--user`: override the context's. */
  cluster?: string;
  user?: string;
  /** `--namespace`: overrides the context's. */
  namespace?: string;
  /** `--server`: overrides the cluster's. */
  server?: string;
}

/** Picks the context and turns it into a RestConfig, reading the files it names. */
export function resolveKubeconfig(kc: Kubeconfig, o: ResolveOptions = {}): RestConfig {
  const contextName = o.context || kc['current-context'] || '';
  const empty = kc.clusters.length === 0 && kc.users.length === 0 && kc.contexts.length === 0;
  if (empty && !o.server) {
    throw new KubeconfigError('EmptyConfig', 'invalid configuration: no configuration has been provided, try setting KUBERNETES_MASTER environment variable');
  }
  let ctx: KubeconfigContext = {};
  if (contextName) {
    const found = kc.contexts.find((c) => c.name === contextName);
    if (!found) {
      if (o.context) throw new KubeconfigError('ContextNotFound', `context "${contextName}" does not exist`);
      throw new KubeconfigError('ContextNotFound', `invalid configuration: context was not found for specified context: ${contextName}`);
    }
    ctx = found.context;
  }
  const clusterName = o.cluster || ctx.cluster || '';
  const userName = o.user || ctx.user || '';
  const clusterEntry = kc.clusters.find((c) => c.name === clusterName);
  if (clusterName && !clusterEntry && !o.server) {
    throw new KubeconfigError(
      'ClusterNotFound',
      contextName
        ? `invalid configuration: cluster "${clusterName}" was not found for context "${contextName}"`
        : `invalid configuration: cluster "${clusterName}" does not exist`,
    );
  }
  const userEntry = kc.users.find((u) => u.name === userName);
  if (userName && !userEntry) {
    throw new KubeconfigError(
      'UserNotFound',
      contextName
        ? `invalid configuration: user "${userName}" was not found for context "${contextName}"`
        : `invalid configuration: user "${userName}" does not exist`,
    );
  }
  const cluster = clusterEntry?.cluster ?? {};
  const server = o.server || cluster.server;
  if (!server) {
    if (!contextName && !clusterName) {
      throw new KubeconfigError('EmptyConfig', 'invalid configuration: no configuration has been provided, try setting KUBERNETES_MASTER environment variable');
    }
    throw new KubeconfigError('NoServer', `invalid configuration: no server found for cluster "${clusterName}"`);
  }

  const config: RestConfig = {
    server: normalizeServer(server),
    namespace: o.namespace || ctx.namespace || 'default',
    tls: {},
  };
  if (contextName) config.context = contextName;
  if (clusterName) config.cluster = clusterName;
  if (userName) config.user = userName;

  // Cluster: CA (data wins over file), insecure, server name.
  const ca = dataOrFile(cluster['certificate-authority-data'], cluster['certificate-authority'], 'certificate-authority', clusterName);
  if (cluster['insecure-skip-tls-verify']) {
    if (ca !== undefined) {
      throw new KubeconfigError('Conflicting', 'specifying a root certificates file with the insecure flag is not allowed');
    }
    config.tls.insecureSkipTlsVerify = true;
  }
  if (ca !== undefined) config.tls.ca = ca;
  if (cluster['tls-server-name']) config.tls.serverName = cluster['tls-server-name'];

  // User: client certificate, token, basic auth.
  const user = userEntry?.user ?? {};
  const cert = dataOrFile(user['client-certificate-data'], user['client-certificate'], 'client-cert', userName);
  const key = dataOrFile(user['client-key-data'], user['client-key'], 'client-key', userName);
  if ((cert === undefined) !== (key === undefined)) {
    throw new KubeconfigError(
      'Conflicting',
      `invalid configuration: client-cert-data and client-key-data must both be specified for ${userName} to use the clientCert authentication method.`,
    );
  }
  if (cert !== undefined && key !== undefined) {
    config.tls.cert = cert;
    config.tls.key = key;
  }
  if (user.token) config.bearerToken = user.token;
  else if (user.tokenFile) {
    config.bearerTokenFile = user.tokenFile;
    config.bearerToken = readText(user.tokenFile, 'tokenFile', userName).trim();
  }
  if (user.username || user.password) {
    if (config.bearerToken) {
      throw new KubeconfigError(
        'Conflicting',
        `invalid configuration: more than one authentication method found for ${userName}; found [token basicAuth], only one is allowed`,
      );
    }
    config.basicAuth = { username: user.username ?? '', password: user.password ?? '' };
  }
  if ((user.exec || user['auth-provider']) && !config.bearerToken && !config.tls.cert && !config.basicAuth) {
    throw new KubeconfigError(
      'Unsupported',
      `user "${userName}" uses ${user.exec ? 'an exec credential plugin' : 'an auth provider'}, which this client does not support`,
    );
  }
  return config;
}

function normalizeServer(server: string): string {
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(server) ? server : `https://${server}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch (e) {
    throw new KubeconfigError('InvalidFile', `invalid configuration: server "${server}" is not a valid URL`, { cause: e });
  }
  return `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
}

function dataOrFile(data: string | undefined, file: string | undefined, what: string, owner: string): string | undefined {
  if (data) return Buffer.from(data, 'base64').toString('utf8');
  if (file) return readText(file, what, owner);
  return undefined;
}

function readText(file: string, what: string, owner: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (e) {
    const why = (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file or directory' : (e as Error).message;
    throw new KubeconfigError('ReadFailed', `invalid configuration: unable to read ${what} ${file} for ${owner} due to open ${file}: ${why}`, {
      cause: e,
    });
  }
}

// ---------------------------------------------------------------------------- in-cluster

export const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

export interface InClusterOptions {
  env?: Record<string, string | undefined>;
  /** Where the service-account token, ca.crt and namespace are mounted. */
  serviceAccountDir?: string;
}

/** True when this process looks like it runs in a Pod (the service env vars are set). */
export function isInCluster(o: InClusterOptions = {}): boolean {
  const env = o.env ?? process.env;
  return !!env.KUBERNETES_SERVICE_HOST && !!env.KUBERNETES_SERVICE_PORT;
}

/** client-go's rest.InClusterConfig: the API server from the service env, the Pod's service-account token and CA. */
export function inClusterConfig(o: InClusterOptions = {}): RestConfig {
  const env = o.env ?? process.env;
  const host = env.KUBERNETES_SERVICE_HOST;
  const port = env.KUBERNETES_SERVICE_PORT;
  if (!host || !port) {
    throw new KubeconfigError('NotInCluster', 'unable to load in-cluster configuration, KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT must be defined');
  }
  const dir = o.serviceAccountDir ?? SERVICE_ACCOUNT_DIR;
  const tokenFile = join(dir, 'token');
  let token: string;
  try {
    token = readFileSync(tokenFile, 'utf8').trim();
  } catch (e) {
    throw new KubeconfigError('ReadFailed', `open ${tokenFile}: no such file or directory`, { cause: e });
  }
  const config: RestConfig = {
    server: `https://${host.includes(':') ? `[${host}]` : host}:${port}`,
    namespace: 'default',
    tls: {},
    bearerToken: token,
    bearerTokenFile: tokenFile,
  };
  const caFile = join(dir, 'ca.crt');
  if (existsSync(caFile)) config.tls.ca = readFileSync(caFile, 'utf8');
  const nsFile = join(dir, 'namespace');
  if (existsSync(nsFile)) config.namespace = readFileSync(nsFile, 'utf8').trim() || 'default';
  return config;
}

// ---------------------------------------------------------------------------- all together

export interface LoadConfigOptions extends LoadKubeconfigOptions, ResolveOptions, InClusterOptions {
  /** When no kubeconfig file exists, use the in-cluster config if available. Default true. */
  inClusterFallback?: boolean;
}

/**
 * What kubectl and in-cluster components do: kubeconfig (explicit, KUBECONFIG or
 * ~/.kube/config) with the context and overrides applied; when no kubeconfig has
 * anything in it and the process runs in a Pod, the in-cluster config.
 */
export function loadConfig(o: LoadConfigOptions = {}): RestConfig {
  const kc = loadKubeconfig(o);
  const empty = kc.clusters.length === 0 && kc.users.length === 0 && kc.contexts.length === 0;
  if (empty && !o.server && (o.inClusterFallback ?? true) && isInCluster(o)) {
    const config = inClusterConfig(o);
    if (o.namespace) config.namespace = o.namespace;
    return config;
  }
  return resolveKubeconfig(kc, o);
}

/**
 * A kubeconfig with one cluster, one user with embedded client-certificate credentials,
 * and one context, current, named `name` (the user is `userName`, default `name`).
 */
export function kubeconfigYaml(o: { server: string; caCert: string; cert: string; key: string; name: string; userName?: string }): string {
  const b64 = (s: string) => Buffer.from(s).toString('base64');
  const user = o.userName ?? o.name;
  return stringifyYaml({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: o.name, cluster: { server: o.server, 'certificate-authority-data': b64(o.caCert) } }],
    users: [{ name: user, user: { 'client-certificate-data': b64(o.cert), 'client-key-data': b64(o.key) } }],
    contexts: [{ name: o.name, context: { cluster: o.name, user, namespace: 'default' } }],
    'current-context': o.name,
  });
}

/** A kubeconfig's CA and client certificate and key (its current context), as Node's TLS options take them. */
export function kubeconfigTls(kubeconfig: string): { ca: string; cert: string; key: string } {
  const { ca, cert, key } = loadConfig({ kubeconfig, inClusterFallback: false }).tls;
  if (!ca || !cert || !key) throw new Error(`${kubeconfig}: no CA, client certificate and key`);
  return { ca, cert, key };
}
