/**
 * `minik8s-apiserver`: the Kubernetes API over TLS. Flag names follow kube-apiserver's
 * where there is one.
 */
import { readFileSync } from 'node:fs';
import { bytes, isQuantity } from '@minik8s/api';
import { runComponent } from '@minik8s/client/runtime';
import { startApiServer } from './main.ts';
import type { KubeletClientConfig } from './rest/pod-log.ts';

function readTokens(file: string): Map<string, { user: string; groups: string[] }> {
  const tokens = new Map<string, { user: string; groups: string[] }>();
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (!line.trim() || line.startsWith('#')) continue;
    const m = /^([^,]+),([^,]+),([^,]*)(?:,"?([^"]*)"?)?$/.exec(line.trim());
    if (!m) throw new Error(`--token-auth-file: cannot read line ${JSON.stringify(line)}`);
    tokens.set(m[1]!, { user: m[2]!, groups: m[4] ? m[4].split(',') : [] });
  }
  return tokens;
}

function watchCacheBytes(v: string): number {
  const n = isQuantity(v) ? bytes(v) : Number.NaN;
  if (!(n >= 1024 * 1024)) throw new Error(`--watch-cache-max-bytes: "${v}" is not a size of at least 1Mi (64Mi, 1Gi)`);
  return n;
}

/** The --kubelet-* flags, as overrides of startApiServer's defaults. */
function kubeletFlags(v: Record<string, string | boolean | number | string[] | undefined>): KubeletClientConfig {
  const file = (name: string) => (typeof v[name] === 'string' ? readFileSync(v[name] as string, 'utf8') : undefined);
  const c: KubeletClientConfig = {};
  const cert = file('kubelet-client-certificate');
  const key = file('kubelet-client-key');
  const ca = file('kubelet-certificate-authority');
  if (cert) c.cert = cert;
  if (key) c.key = key;
  if (ca) c.ca = ca;
  const types = v['kubelet-preferred-address-types'] as string[];
  if (types.length) c.preferredAddressTypes = types;
  if (v['kubelet-insecure-plain-http']) c.scheme = 'http';
  return c;
}

await runComponent({
  command: 'minik8s-apiserver',
  component: 'apiserver',
  flags: {
    'data-dir': { type: 'string', arg: 'DIR', default: './apiserver.data', help: 'certificates, the embedded store and admin.kubeconfig' },
    'etcd-servers': { type: 'string', arg: 'URL', help: 'use this etcd or etcdlite (JSON gateway) instead of the embedded store' },
    'bind-address': { type: 'string', arg: 'IP', default: '127.0.0.1', help: 'where to listen' },
    'secure-port': { type: 'port', arg: 'N', default: '6443', help: 'the HTTPS port' },
    'tls-san': { type: 'list', arg: 'NAME', help: 'an extra DNS name or IP for the serving certificate (repeatable)' },
    'kubeconfig-out': { type: 'string', arg: 'FILE', help: 'where to write the admin kubeconfig (default <data-dir>/admin.kubeconfig)' },
    'token-auth-file': { type: 'string', arg: 'FILE', help: 'static tokens, CSV lines: token,user,uid,"group1,group2"' },
    'kubelet-client-certificate': {
      type: 'string',
      arg: 'FILE',
      help: 'client certificate presented to kubelets (default <data-dir>/pki/apiserver-kubelet-client.crt)',
    },
    'kubelet-client-key': { type: 'string', arg: 'FILE', help: 'its key (default <data-dir>/pki/apiserver-kubelet-client.key)' },
    'kubelet-certificate-authority': { type: 'string', arg: 'FILE', help: "CA of the kubelets' serving certificates (default the cluster CA)" },
    'kubelet-preferred-address-types': {
      type: 'list',
      help: 'node address types to reach kubelets by (default InternalIP,Hostname,InternalDNS,ExternalIP,ExternalDNS)',
    },
    'request-timeout': {
      type: 'duration',
      default: '60s',
      help: 'how long a request that is not long-running (watch, log, exec, proxy) may take before it gets 504 Timeout',
    },
    'watch-cache-max-bytes': {
      type: 'string',
      arg: 'QUANTITY',
      default: '64Mi',
      help: 'the most the watch window keeps of recent events, in bytes (64Mi, 1Gi); not an upstream flag',
    },
    'default-not-ready-toleration-seconds': {
      type: 'int',
      min: 0,
      default: '300',
      help: 'tolerationSeconds of the node.kubernetes.io/not-ready:NoExecute toleration added to every Pod that has none',
    },
    'default-unreachable-toleration-seconds': {
      type: 'int',
      min: 0,
      default: '300',
      help: 'tolerationSeconds of the node.kubernetes.io/unreachable:NoExecute toleration added to every Pod that has none',
    },
    'kubelet-insecure-plain-http': { type: 'bool', default: 'false', help: 'talk plain HTTP to kubelets (tests only; not an upstream flag)' },
  },
  async start({ flags: f, log }) {
    const running = await startApiServer({
      dataDir: f['data-dir'],
      etcdServers: f['etcd-servers'],
      bindAddress: f['bind-address'],
      securePort: f['secure-port'],
      extraSans: f['tls-san'],
      kubeconfigPath: f['kubeconfig-out'],
      tokens: f['token-auth-file'] ? readTokens(f['token-auth-file']) : undefined,
      kubelet: kubeletFlags(f),
      timeouts: { requestMs: f['request-timeout'] },
      watchCache: { maxBytes: watchCacheBytes(f['watch-cache-max-bytes']) },
      admission: {
        defaultTolerationSeconds: {
          notReadySeconds: f['default-not-ready-toleration-seconds'],
          unreachableSeconds: f['default-unreachable-toleration-seconds'],
        },
      },
      logger: log,
    });
    process.stdout.write(`apiserver at ${running.url}; kubeconfig: ${running.kubeconfigPath}\n`);
    return { stop: () => running.close() };
  },
});
