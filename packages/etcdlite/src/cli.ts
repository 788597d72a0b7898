/**
 * `etcdlite`: serve the store over etcd's v3 JSON gateway. Flags are etcd's own names,
 * so a command line written for etcd mostly works here unchanged.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { parseAutoCompaction } from './compactor.ts';
import { startEtcdlite } from './etcdlite.ts';
import { VERSION } from './server/gateway.ts';

const HELP = `Usage: etcdlite [flags]

An etcd-compatible MVCC key-value store on LevelDB, serving the etcd v3 JSON API.

Flags:
  --data-dir DIR                        where the database lives (default ./etcdlite.data)
  --listen-client-urls URL              http://HOST:PORT or https://HOST:PORT (default http://127.0.0.1:2379)
  --cert-file FILE, --key-file FILE     serve TLS with this certificate and key
  --trusted-ca-file FILE                CA that client certificates must chain to
  --client-cert-auth                    require a client certificate signed by --trusted-ca-file
  --auto-compaction-mode MODE           periodic or revision
  --auto-compaction-retention VALUE     periodic: 1h, 30m, 10s (bare number = hours); revision: a count
  --max-request-bytes N                 largest key+value bytes in one request (default 1572864)
  --max-txn-ops N                       most operations in one txn branch (default 128)
  --experimental-watch-progress-notify-interval D
                                        how often idle progress_notify watchers hear the revision (default 10m)
  --log-level LEVEL                     fatal, error, warn, info, debug (default info)
  --version, --help
`;

function duration(s: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/.exec(s);
  if (!m) throw new Error(`"${s}" is not a duration like 10m, 30s or 500ms`);
  return Number(m[1]) * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2] as 'ms' | 's' | 'm' | 'h'];
}

function positiveInt(name: string, s: string | undefined): number | undefined {
  if (s === undefined) return undefined;
  const n = Number(s);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`--${name}: "${s}" is not a positive integer`);
  return n;
}

async function main(): Promise<void> {
  const { values: v } = parseArgs({
    options: {
      'data-dir': { type: 'string', default: './etcdlite.data' },
      'listen-client-urls': { type: 'string', default: 'http://127.0.0.1:2379' },
      'cert-file': { type: 'string' },
      'key-file': { type: 'string' },
      'trusted-ca-file': { type: 'string' },
      'client-cert-auth': { type: 'boolean', default: false },
      'auto-compaction-mode': { type: 'string' },
      'auto-compaction-retention': { type: 'string' },
      'max-request-bytes': { type: 'string' },
      'max-txn-ops': { type: 'string' },
      'experimental-watch-progress-notify-interval': { type: 'string' },
      'log-level': { type: 'string', default: 'info' },
      version: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
    allowPositionals: false,
  });
  if (v.help) return void process.stdout.write(HELP);
  if (v.version) return void process.stdout.write(`etcdlite (etcd API ${VERSION})\n`);

  const url = new URL(v['listen-client-urls']!);
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error('--listen-client-urls must be http:// or https://');
  const https = url.protocol === 'https:';
  if (https !== !!(v['cert-file'] && v['key-file'])) {
    throw new Error('an https:// listen URL needs --cert-file and --key-file (and http:// must not have them)');
  }
  if (v['client-cert-auth'] && !v['trusted-ca-file']) throw new Error('--client-cert-auth needs --trusted-ca-file');
  const mode = v['auto-compaction-mode'];
  const retention = v['auto-compaction-retention'];
  if (mode && !retention) throw new Error('--auto-compaction-mode needs --auto-compaction-retention');

  const logger = pino({ level: v['log-level'] });
  const running = await startEtcdlite({
    dataDir: v['data-dir']!,
    host: url.hostname.replace(/^\[|\]$/g, ''),
    port: Number(url.port || 2379),
    logger,
    tls: https
      ? {
          cert: readFileSync(v['cert-file']!),
          key: readFileSync(v['key-file']!),
          ca: v['trusted-ca-file'] ? readFileSync(v['trusted-ca-file']) : undefined,
          clientCertAuth: v['client-cert-auth'],
        }
      : undefined,
    // etcd's default mode is periodic when only a retention is given.
    autoCompaction: retention ? parseAutoCompaction(mode ?? 'periodic', retention) : undefined,
    maxRequestBytes: positiveInt('max-request-bytes', v['max-request-bytes']),
    maxTxnOps: positiveInt('max-txn-ops', v['max-txn-ops']),
    progressNotifyIntervalMs: v['experimental-watch-progress-notify-interval'] ? duration(v['experimental-watch-progress-notify-interval']) : undefined,
  });
  const stop = (signal: string) => {
    logger.info({ signal }, 'etcdlite stopping');
    running.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGINT', () => stop('SIGINT'));
  process.once('SIGTERM', () => stop('SIGTERM'));
}

main().catch((e: Error) => {
  process.stderr.write(`etcdlite: ${e.message}\n`);
  process.exit(1);
});
