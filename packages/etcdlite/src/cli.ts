/**
 * `etcdlite`: serve the store over etcd's v3 JSON gateway. Flags are etcd's own names,
 * so a command line written for etcd mostly works here unchanged.
 */
import { readFileSync } from 'node:fs';
import { runComponent } from '@minik8s/client/runtime';
import { parseAutoCompaction } from './compactor.ts';
import { startEtcdlite } from './etcdlite.ts';
import { VERSION } from './server/gateway.ts';

await runComponent({
  command: 'etcdlite',
  component: 'etcdlite',
  summary: 'An etcd-compatible MVCC key-value store on LevelDB, serving the etcd v3 JSON API.',
  flags: {
    'data-dir': { type: 'string', arg: 'DIR', default: './etcdlite.data', help: 'where the database lives' },
    'listen-client-urls': { type: 'string', arg: 'URL', default: 'http://127.0.0.1:2379', help: 'http://HOST:PORT or https://HOST:PORT' },
    'cert-file': { type: 'string', arg: 'FILE', help: 'serve TLS with this certificate (and --key-file)' },
    'key-file': { type: 'string', arg: 'FILE', help: "the certificate's key" },
    'trusted-ca-file': { type: 'string', arg: 'FILE', help: 'CA that client certificates must chain to' },
    'client-cert-auth': { type: 'bool', default: 'false', help: 'require a client certificate signed by --trusted-ca-file' },
    'auto-compaction-mode': { type: 'string', arg: 'MODE', help: 'periodic or revision' },
    'auto-compaction-retention': { type: 'string', arg: 'VALUE', help: 'periodic: 1h, 30m, 10s (bare number = hours); revision: a count' },
    'max-request-bytes': { type: 'int', min: 1, help: 'largest key+value bytes in one request (default 1572864)' },
    'max-txn-ops': { type: 'int', min: 1, help: 'most operations in one txn branch (default 128)' },
    'experimental-watch-progress-notify-interval': {
      type: 'duration',
      help: 'how often idle progress_notify watchers hear the revision (default 10m)',
    },
    version: { type: 'bool', default: 'false', help: 'print the version and exit' },
  },
  async start({ flags: f, log }) {
    if (f.version) return void process.stdout.write(`etcdlite (etcd API ${VERSION})\n`);
    const url = new URL(f['listen-client-urls']);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error('--listen-client-urls must be http:// or https://');
    const https = url.protocol === 'https:';
    if (https !== !!(f['cert-file'] && f['key-file'])) {
      throw new Error('an https:// listen URL needs --cert-file and --key-file (and http:// must not have them)');
    }
    if (f['client-cert-auth'] && !f['trusted-ca-file']) throw new Error('--client-cert-auth needs --trusted-ca-file');
    const mode = f['auto-compaction-mode'];
    const retention = f['auto-compaction-retention'];
    if (mode && !retention) throw new Error('--auto-compaction-mode needs --auto-compaction-retention');
    const running = await startEtcdlite({
      dataDir: f['data-dir'],
      host: url.hostname.replace(/^\[|\]$/g, ''),
      port: Number(url.port || 2379),
      logger: log,
      tls: https
        ? {
            cert: readFileSync(f['cert-file']!),
            key: readFileSync(f['key-file']!),
            ca: f['trusted-ca-file'] ? readFileSync(f['trusted-ca-file']) : undefined,
            clientCertAuth: f['client-cert-auth'],
          }
        : undefined,
      // etcd's default mode is periodic when only a retention is given.
      autoCompaction: retention ? parseAutoCompaction(mode ?? 'periodic', retention) : undefined,
      maxRequestBytes: f['max-request-bytes'],
      maxTxnOps: f['max-txn-ops'],
      progressNotifyIntervalMs: f['experimental-watch-progress-notify-interval'],
    });
    return { stop: () => running.close() };
  },
});
