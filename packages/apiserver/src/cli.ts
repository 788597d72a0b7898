/**
 * `minik8s-apiserver`: the Kubernetes API over TLS. Flag names follow kube-apiserver's
 * where there is one.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { startApiServer } from './main.ts';

const HELP = `Usage: minik8s-apiserver [flags]

Flags:
  --data-dir DIR            certificates, the embedded store and admin.kubeconfig (default ./apiserver.data)
  --etcd-servers URL        use this etcd or etcdlite (JSON gateway) instead of the embedded store
  --bind-address IP         (default 127.0.0.1)
  --secure-port N           (default 6443)
  --tls-san NAME            an extra DNS name or IP for the serving certificate (repeatable)
  --kubeconfig-out FILE     where to write the admin kubeconfig (default <data-dir>/admin.kubeconfig)
  --token-auth-file FILE    static tokens, CSV lines: token,user,uid,"group1,group2"
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
    logger,
  });
  process.stdout.write(`apiserver at ${running.url}; kubeconfig: ${running.kubeconfigPath}\n`);
  const stop = () => running.close().then(() => process.exit(0), () => process.exit(1));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((e: Error) => {
  process.stderr.write(`minik8s-apiserver: ${e.message}\n`);
  process.exit(1);
});
