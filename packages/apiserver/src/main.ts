/**
 * Starts a whole API server: storage (embedded etcdlite, or etcd/etcdlite at
 * --etcd-servers), the cluster CA and certificates (made on first start, reused after),
 * TLS on the secure port with client-certificate and token authentication, the default
 * objects, and an admin kubeconfig.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { TLSSocket } from 'node:tls';
import { EtcdClient, type KvClient } from '@minik8s/client/etcd';
import { kubeconfigYaml } from '@minik8s/client/kube';
import { type CertificateAuthority, createCa, issueCertificate, loadCa } from '@minik8s/client/pki';
import { ensureStateDir } from '@minik8s/client/state-dir';
import { LocalKvClient, Store } from '@minik8s/etcdlite';
import type { FastifyRequest } from 'fastify';
import { type Logger, pino } from 'pino';
import { ensureDefaults } from './defaults.ts';
import { kindHooks } from './kinds.ts';
import type { Timeouts } from './plugins/deadline.ts';
import type { KubeletClientConfig } from './rest/pod-log.ts';
import { type ApiServerOptions, buildServer } from './server.ts';

export interface StartOptions {
  /** Holds the embedded store (`etcd/`) and the certificates (`pki/`). */
  dataDir: string;
  /** Use this etcd (or etcdlite) instead of the embedded store. */
  etcdServers?: string;
  bindAddress?: string;
  /** 0 picks a free port. */
  securePort?: number;
  /** Extra names and IPs for the serving certificate. */
  extraSans?: string[];
  /** Where to write the admin kubeconfig (default <dataDir>/admin.kubeconfig). */
  kubeconfigPath?: string;
  /** Static bearer tokens: token -> user and groups. */
  tokens?: Map<string, { user: string; groups: string[] }>;
  /**
   * How to reach kubelets (pods/log). By default HTTPS, presenting the
   * `apiserver-kubelet-client` certificate (CN kube-apiserver-kubelet-client, O
   * system:masters) and trusting the cluster CA; each field overrides one default.
   */
  kubelet?: KubeletClientConfig;
  /** `--request-timeout` (default 60 s) and the header timeout (32 s). */
  timeouts?: Timeouts;
  /** `--watch-cache-bytes`: how many bytes of events the watch window keeps (default 64 MiB); also its event count. */
  watchCache?: ApiServerOptions['watchCache'];
  /** Admission settings: `--default-not-ready-toleration-seconds`, `--default-unreachable-toleration-seconds`. */
  admission?: ApiServerOptions['admission'];
  logger?: Logger;
}

export interface RunningApiServer {
  url: string;
  kubeconfigPath: string;
  caCert: string;
  /** The store the server reads and writes (tests read its revision to see whether a request wrote). */
  etcd: KvClient;
  close(): Promise<void>;
}

export async function startApiServer(o: StartOptions): Promise<RunningApiServer> {
  const logger = o.logger ?? pino({ level: 'silent' });
  ensureStateDir(o.dataDir);
  const pki = await ensurePki(join(o.dataDir, 'pki'), o.extraSans ?? []);

  // Embedded: the store lives in this process and is called directly, no HTTP between.
  const embedded = o.etcdServers ? undefined : await Store.open({ dataDir: join(o.dataDir, 'etcd') });
  const etcd: KvClient = embedded ? new LocalKvClient(embedded) : new EtcdClient({ endpoint: o.etcdServers!, connections: 32 });
  const host = o.bindAddress ?? '127.0.0.1';
  const api = await buildServer({
    etcd,
    logger,
    https: { key: pki.server.key, cert: pki.server.cert, ca: pki.ca.cert, requestCert: true, rejectUnauthorized: false },
    authenticate: (req) => authenticate(req, o.tokens),
    hooks: kindHooks,
    kubelet: { scheme: 'https', cert: pki.kubeletClient.cert, key: pki.kubeletClient.key, ca: pki.ca.cert, ...o.kubelet },
    timeouts: o.timeouts,
    watchCache: o.watchCache,
    admission: o.admission,
  });
  try {
    await api.app.listen({ host, port: o.securePort ?? 6443 });
  } catch (e) {
    await api.close();
    await etcd.close();
    await embedded?.close();
    throw e;
  }
  const port = (api.app.server.address() as AddressInfo).port;
  await ensureDefaults(api.registry, api.resources, port);
  // Compile the schemas now, so the first write of each kind does not pay for it.
  api.openapi.compile(...api.registry.resources);
  const url = `https://${host.includes(':') ? `[${host}]` : host}:${port}`;
  const kubeconfigPath = o.kubeconfigPath ?? join(o.dataDir, 'admin.kubeconfig');
  writeFileSync(kubeconfigPath, kubeconfigYaml({ server: url, caCert: pki.ca.cert, ...pki.admin, name: 'minik8s', userName: 'minik8s-admin' }), {
    mode: 0o600,
  });
  logger.info({ url, kubeconfig: kubeconfigPath }, 'apiserver serving');
  return {
    url,
    kubeconfigPath,
    caCert: pki.ca.cert,
    etcd,
    async close() {
      await api.close();
      await etcd.close();
      await embedded?.close();
    },
  };
}

/** CN is the user and O the groups (client certificate), or a static bearer token. */
function authenticate(req: FastifyRequest, tokens?: StartOptions['tokens']) {
  const auth = req.headers.authorization;
  if (auth?.startsWith('Bearer ')) return tokens?.get(auth.slice(7).trim());
  const socket = req.raw.socket as TLSSocket;
  if (!socket.authorized) return undefined;
  const subject = socket.getPeerCertificate().subject;
  const cn = subject?.CN;
  if (!cn) return undefined;
  const o = subject.O as string | string[] | undefined;
  return { user: Array.isArray(cn) ? cn[0]! : cn, groups: o === undefined ? [] : Array.isArray(o) ? o : [o] };
}

interface Pki {
  ca: CertificateAuthority;
  server: { cert: string; key: string };
  admin: { cert: string; key: string };
  kubeletClient: { cert: string; key: string };
}

/** The cluster CA and the API server's and admin's certificates, made once and kept. */
async function ensurePki(dir: string, extraSans: string[]): Promise<Pki> {
  ensureStateDir(dir);
  const file = (n: string) => join(dir, n);
  const read = (n: string) => readFileSync(file(n), 'utf8');
  if (!existsSync(file('ca.crt'))) {
    const ca = await createCa('minik8s-ca');
    writeFileSync(file('ca.key'), ca.key, { mode: 0o600 });
    writeFileSync(file('ca.crt'), ca.cert);
  }
  const ca = await loadCa(read('ca.crt'), read('ca.key'));
  const issue = async (name: string, make: () => Promise<{ cert: string; key: string }>) => {
    if (!existsSync(file(`${name}.crt`))) {
      const p = await make();
      writeFileSync(file(`${name}.key`), p.key, { mode: 0o600 });
      writeFileSync(file(`${name}.crt`), p.cert);
    }
    return { cert: read(`${name}.crt`), key: read(`${name}.key`) };
  };
  const ips = ['127.0.0.1', '10.96.0.1', ...extraSans.filter((s) => /^[\d.]+$|:/.test(s))];
  const dns = [
    'localhost',
    'kubernetes',
    'kubernetes.default',
    'kubernetes.default.svc',
    'kubernetes.default.svc.cluster.local',
    ...extraSans.filter((s) => !/^[\d.]+$|:/.test(s)),
  ];
  const server = await issue('apiserver', () => issueCertificate(ca, { cn: 'kube-apiserver', usage: ['server'], ips, dns }));
  const admin = await issue('admin', () => issueCertificate(ca, { cn: 'kubernetes-admin', o: ['system:masters'], usage: ['client'] }));
  // What the API server presents to kubelets (kubeadm's apiserver-kubelet-client).
  const kubeletClient = await issue('apiserver-kubelet-client', () =>
    issueCertificate(ca, { cn: 'kube-apiserver-kubelet-client', o: ['system:masters'], usage: ['client'] }),
  );
  return { ca, server, admin, kubeletClient };
}
