/**
 * `minik8s-apiserver`: the Kubernetes API over TLS. Flag names follow kube-apiserver's
 * where there is one.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { startApiServer } from './main.ts';
import type { KubeletClientConfig } from './rest/pod-log.ts';

const HELP = `Usage: minik8s-apiserver [flags]

Flags:
  --data-dir DIR            certificates, the embedded store and admin.kubeconfig (default ./apiserver.data)
  --etcd-servers URL        use this etcd or etcdlite (JSON gateway) instead of the embedded store
  --bind-address IP         (default 127.0.0.1)
  --secure-port N           (default 6443)
  --tls-san NAME            an extra DNS name or IP for the serving certificate (repeatable)
  --kubeconfig-out FILE     where to write the admin kubeconfig (default <data-dir>/admin.kubeconfig)
  --token-auth-file FILE    static tokens, CSV lines: token,user,uid,"group1,group2"
  --kubelet-client-certificate FILE  client certificate presented to kubelets (default <data-dir>/pki/apiserver-kubelet-client.crt)
  --kubelet-client-key FILE          its key (default <data-dir>/pki/apiserver-kubelet-client.key)
  --kubelet-certificate-authority FILE  CA of the kubelets' serving certificates (default the cluster CA)
  --kubelet-preferred-address-types LIST  node address types to reach kubelets by (default InternalIP,Hostname,InternalDNS,ExternalIP,ExternalDNS)
  --kubelet-insecure-plain-http  talk plain HTTP to kubelets (tests only; not an upstream flag)
  --log-level LEVEL         (default info)
  --help
`;

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

/** The --kubelet-* flags, as overrides of startApiServer's defaults. */
function kubeletFlags(v: Record<string, string | boolean | string[] | undefined>): KubeletClientConfig {
  const file = (name: string) => (typeof v[name] === 'string' ? readFileSync(v[name] as string, 'utf8') : undefined);
  const c: KubeletClientConfig = {};
  const cert = file('kubelet-client-certificate');
  const key = file('kubelet-client-key');
  const ca = file('kubelet-certificate-authority');
  if (cert) c.cert = cert;
  if (key) c.key = key;
  if (ca) c.ca = ca;
  if (typeof v['kubelet-preferred-address-types'] === 'string') c.preferredAddressTypes = v['kubelet-preferred-address-types'].split(',').filter(Boolean);
  if (v['kubelet-insecure-plain-http']) c.scheme = 'http';
  return c;
}

async function main(): Promise<void> {
  const { values: v } = parseArgs({
    options: {
      'data-dir': { type: 'string', default: './apiserver.data' },
      'etcd-servers': { type: 'string' },
      'bind-address': { type: 'string', default: '127.0.0.1' },
      'secure-port': { type: 'string', default: '6443' },
      'tls-san': { type: 'string', multiple: true, default: [] },
      'kubeconfig-out': { type: 'string' },
      'token-auth-file': { type: 'string' },
      'kubelet-client-certificate': { type: 'string' },
      'kubelet-client-key': { type: 'string' },
      'kubelet-certificate-authority': { type: 'string' },
      'kubelet-preferred-address-types': { type: 'string' },
      'kubelet-insecure-plain-http': { type: 'boolean', default: false },
      'log-level': { type: 'string', default: 'info' },
      help: { type: 'boolean', default: false },
    },
    strict: true,
  });
  if (v.help) return void process.stdout.write(HELP);
  const port = Number(v['secure-port']);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--secure-port: "${v['secure-port']}" is not a port`);
  const logger = pino({ level: v['log-level'] });
  const running = await startApiServer({
    dataDir: v['data-dir']!,
    etcdServers: v['etcd-servers'],
    bindAddress: v['bind-address'],
    securePort: port,
    extraSans: v['tls-san'],
    kubeconfigPath: v['kubeconfig-out'],
    tokens: v['token-auth-file'] ? readTokens(v['token-auth-file']) : undefined,
    kubelet: kubeletFlags(v),
    logger,
  });
  process.stdout.write(`apiserver at ${running.url}; kubeconfig: ${running.kubeconfigPath}\n`);
  const stop = () =>
    running.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((e: Error) => {
  process.stderr.write(`minik8s-apiserver: ${e.message}\n`);
  process.exit(1);
});
