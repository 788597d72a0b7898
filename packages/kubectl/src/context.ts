/**
 * One mkctl invocation's state: the global flags, the output sinks, and (made on first
 * use) the kubeconfig, the REST client and discovery. Every request goes through
 * `Ctx.request`, which logs it at `-v=6` and above as kubectl does.
 */

import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import {
  type ApiResource,
  Discovery,
  errorFrom,
  KubeClient,
  type Kubeconfig,
  loadConfig,
  loadKubeconfig,
  type RequestOptions,
  type RestConfig,
} from '@minik8s/client/kube';

export interface Io {
  out(text: string): void;
  err(text: string): void;
  /** All of standard input (for `-f -`). */
  readStdin(): Promise<string>;
  env: Record<string, string | undefined>;
  /** Aborted when the user interrupts a long-running command (`get -w`). */
  signal?: AbortSignal;
}

export interface GlobalFlags {
  kubeconfig?: string;
  context?: string;
  namespace?: string;
  v?: string;
  server?: string;
  cluster?: string;
  user?: string;
}

/** An error already formatted the way kubectl prints it (one or more whole lines, no trailing newline). */
export class CliError extends Error {
  override name = 'CliError';
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
  }
}

export class Ctx {
  private restConfig: RestConfig | undefined;
  private kubeClient: KubeClient | undefined;
  private disco: Discovery | undefined;
  readonly verbosity: number;

  constructor(
    readonly io: Io,
    readonly flags: GlobalFlags,
  ) {
    this.verbosity = Number.parseInt(String(flags.v ?? '0').replace(/^=/, ''), 10) || 0;
  }

  /** The kubeconfig files merged (for `config` commands). */
  kubeconfig(): Kubeconfig {
    return loadKubeconfig({ kubeconfig: this.flags.kubeconfig, env: this.io.env, homeDir: this.io.env.HOME });
  }

  get config(): RestConfig {
    if (!this.restConfig) {
      this.restConfig = loadConfig({
        kubeconfig: this.flags.kubeconfig,
        env: this.io.env,
        homeDir: this.io.env.HOME,
        context: this.flags.context,
        namespace: this.flags.namespace,
        server: this.flags.server,
        cluster: this.flags.cluster,
        user: this.flags.user,
        inClusterFallback: true,
      });
      if (this.verbosity >= 6) this.log(`Config loaded from file:  ${this.flags.kubeconfig ?? this.io.env.KUBECONFIG ?? '~/.kube/config'}`);
    }
    return this.restConfig;
  }

  /** `-n`, else the context's namespace, else "default". */
  get namespace(): string {
    return this.flags.namespace || this.config.namespace;
  }

  get client(): KubeClient {
    if (!this.kubeClient)
      this.kubeClient = new KubeClient(this.config, { userAgent: `mkctl/${VERSION} (${process.platform}/${process.arch})`, connections: 8 });
    return this.kubeClient;
  }

  get discovery(): Discovery {
    if (!this.disco) {
      // Like kubectl: discovery is kept on disk per server for 6 hours, so a command
      // usually makes one request, not three.
      const home = this.io.env.HOME ?? homedir();
      const server = new URL(this.config.server).host.replace(/[^\w.-]/g, '_');
      this.disco = new Discovery({ request: (o) => this.request(o) }, { file: join(home, '.kube', 'cache', 'mkctl', server, 'discovery.json') });
    }
    return this.disco;
  }

  /** A resource type as typed by a user (`po`, `deploy.apps`); kubectl's message when unknown. */
  async resolve(type: string): Promise<ApiResource> {
    try {
      return await this.discovery.resolve(type);
    } catch (e) {
      if ((e as { code?: string }).code === 'UnknownResource') throw new CliError(`error: the server doesn't have a resource type "${type}"`);
      throw e;
    }
  }

  /** A request with kubectl-style logging; non-2xx answers throw a KubeApiError. */
  async request<T = unknown>(o: RequestOptions): Promise<T> {
    const started = Date.now();
    const method = o.method ?? 'GET';
    const qs = o.query
      ? new URLSearchParams(
          Object.entries(o.query)
            .filter(([, v]) => v !== undefined && v !== '')
            .map(([k, v]) => [k, String(v)] as [string, string]),
        ).toString()
      : '';
    const path = o.path + (qs ? `?${qs}` : '');
    if (this.verbosity >= 8 && o.body !== undefined)
      this.log(`"Request Body" body=${JSON.stringify(typeof o.body === 'string' ? o.body : JSON.stringify(o.body))}`);
    let res: Awaited<ReturnType<KubeClient['requestRaw']>>;
    try {
      res = await this.client.requestRaw(o);
    } catch (e) {
      if (this.verbosity >= 6) this.log(`${method} ${this.config.server}${path}  in ${Date.now() - started} milliseconds`);
      throw e;
    }
    const text = res.body.toString('utf8');
    if (this.verbosity >= 6)
      this.log(`${method} ${this.config.server}${path} ${res.statusCode} ${STATUS_TEXT[res.statusCode] ?? ''} in ${Date.now() - started} milliseconds`);
    if (this.verbosity >= 8) this.log(`"Response Body" body=${JSON.stringify(text.length > 10240 ? `${text.slice(0, 10240)} [truncated]` : text)}`);
    if (res.statusCode < 200 || res.statusCode >= 300) throw errorFrom(res.statusCode, text, { method, path });
    const ct = String(res.headers['content-type'] ?? '');
    if (/json/.test(ct) && text) return JSON.parse(text) as T;
    return text as T;
  }

  /** A klog-like line on stderr. */
  log(text: string): void {
    const d = new Date();
    const pad = (n: number, w = 2) => String(n).padStart(w, '0');
    const stamp = `I${pad(d.getMonth() + 1)}${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds() * 1000, 6)}`;
    this.io.err(`${stamp} ${process.pid} ${text}\n`);
  }

  async close(): Promise<void> {
    await this.kubeClient?.close();
  }
}

const STATUS_TEXT: Record<number, string> = {
  200: 'OK',
  201: 'Created',
  202: 'Accepted',
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  406: 'Not Acceptable',
  409: 'Conflict',
  410: 'Gone',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Entity',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

function readVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version?: string };
    return pkg.version ?? '0.0.0';
  } catch {
    return '0.1.0';
  }
}

/** mkctl's own version (the package's). */
export const VERSION = readVersion();
