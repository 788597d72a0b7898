/**
 * `minik8s-ingress`: the ingress controller. Flag names follow ingress-nginx's where there
 * is one (--ingress-class, --controller-class, --watch-ingress-without-class,
 * --publish-status-address is --publish-address here, --http-port, --https-port).
 * Access logs are JSON lines on stdout; everything else goes to stderr at --log-level.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { parseBool, parseDuration, parsePort } from '@minik8s/client/flags';
import { KubeClient } from '@minik8s/client/kube';
import { pino } from 'pino';
import { jsonLines } from './access-log.ts';
import { type RunningIngressController, startIngressController } from './controller.ts';
import { ensureIngressClass } from './ingress-class.ts';
import { DEFAULT_CONTROLLER_NAME, DEFAULT_INGRESS_CLASS } from './routes.ts';

const HELP = `Usage: minik8s-ingress [flags]

Flags:
  --kubeconfig FILE                  (default: KUBECONFIG, ~/.kube/config, or in-cluster)
  --http-port N                      plain HTTP port (default 80)
  --https-port N                     HTTPS port (default 443)
  --bind-address IP                  (default: every address)
  --redirect-https-port N            HTTPS port named in http→https redirects, as clients reach it (default 443)
  --ingress-class NAME               IngressClass served (default ${DEFAULT_INGRESS_CLASS})
  --controller-class NAME            IngressClass spec.controller that is us (default ${DEFAULT_CONTROLLER_NAME})
  --watch-ingress-without-class BOOL serve Ingresses without any class too (default false)
  --publish-address ADDR[,ADDR]      written to Ingress status.loadBalancer.ingress (IPs or host names)
  --ensure-ingress-class BOOL        create the IngressClass --ingress-class, as the default class, if missing (default false)
  --proxy-connect-timeout DURATION   (default 5s)
  --proxy-read-timeout DURATION      (default 60s)
  --proxy-next-upstream-tries N      endpoints tried per request (default 3)
  --default-ssl-certificate-file F   PEM certificate for hosts without one (default: a self-signed fake one)
  --default-ssl-key-file F           its key
  --shutdown-grace-period DURATION   let requests in flight finish on SIGTERM (default 10s)
  --access-log BOOL                  JSON access log lines on stdout (default true)
  --log-level LEVEL                  other logs, on stderr (default warn)
  --help
`;

/** Boolean flags may stand alone (`--access-log`): give them their value. */
function withBoolValues(argv: string[], flags: string[]): string[] {
  return argv.map((a, i) => (flags.includes(a) && (argv[i + 1] === undefined || argv[i + 1]!.startsWith('--')) ? `${a}=true` : a));
}

async function main(): Promise<void> {
  const { values: v } = parseArgs({
    args: withBoolValues(process.argv.slice(2), ['--access-log', '--watch-ingress-without-class', '--ensure-ingress-class']),
    options: {
      kubeconfig: { type: 'string' },
      'http-port': { type: 'string', default: '80' },
      'https-port': { type: 'string', default: '443' },
      'bind-address': { type: 'string' },
      'redirect-https-port': { type: 'string', default: '443' },
      'ingress-class': { type: 'string', default: DEFAULT_INGRESS_CLASS },
      'controller-class': { type: 'string', default: DEFAULT_CONTROLLER_NAME },
      'watch-ingress-without-class': { type: 'string', default: 'false' },
      'publish-address': { type: 'string' },
      'ensure-ingress-class': { type: 'string', default: 'false' },
      'proxy-connect-timeout': { type: 'string', default: '5s' },
      'proxy-read-timeout': { type: 'string', default: '60s' },
      'proxy-next-upstream-tries': { type: 'string', default: '3' },
      'default-ssl-certificate-file': { type: 'string' },
      'default-ssl-key-file': { type: 'string' },
      'shutdown-grace-period': { type: 'string', default: '10s' },
      'access-log': { type: 'string', default: 'true' },
      'log-level': { type: 'string', default: 'warn' },
      help: { type: 'boolean', default: false },
    },
    strict: true,
  });
  if (v.help) return void process.stdout.write(HELP);
  const logger = pino({ level: v['log-level'] }, pino.destination(2));
  // Access lines go out in batches (64 KiB, or 100 ms after the first), not one write each.
  const accessLog = parseBool('access-log', v['access-log']!) ? jsonLines((s) => process.stdout.write(s)) : undefined;
  const certFile = v['default-ssl-certificate-file'];
  const keyFile = v['default-ssl-key-file'];
  if (!!certFile !== !!keyFile) throw new Error('--default-ssl-certificate-file and --default-ssl-key-file go together');
  const tries = Number(v['proxy-next-upstream-tries']);
  if (!Number.isInteger(tries) || tries < 1) throw new Error(`--proxy-next-upstream-tries: "${v['proxy-next-upstream-tries']}" is not a positive integer`);
  const graceMs = parseDuration('shutdown-grace-period', v['shutdown-grace-period']!);
  const options = {
    logger,
    accessLog,
    httpPort: parsePort('http-port', v['http-port']!),
    httpsPort: parsePort('https-port', v['https-port']!),
    bindAddress: v['bind-address'],
    redirectHttpsPort: parsePort('redirect-https-port', v['redirect-https-port']!),
    ingressClass: v['ingress-class'],
    controllerName: v['controller-class'],
    watchIngressWithoutClass: parseBool('watch-ingress-without-class', v['watch-ingress-without-class']!),
    publishAddress: v['publish-address'],
    connectTimeoutMs: parseDuration('proxy-connect-timeout', v['proxy-connect-timeout']!),
    readTimeoutMs: parseDuration('proxy-read-timeout', v['proxy-read-timeout']!),
    proxyNextUpstreamTries: tries,
    defaultCertificate: certFile && keyFile ? { cert: readFileSync(certFile, 'utf8'), key: readFileSync(keyFile, 'utf8') } : undefined,
  };
  const client = KubeClient.fromKubeconfig({ kubeconfig: v.kubeconfig }, { userAgent: 'minik8s-ingress/0.1.0' });

  let running: RunningIngressController | undefined;
  let exiting = false;
  const exit = (code: number) => {
    if (exiting) return;
    exiting = true;
    void (async () => {
      await running?.stop(graceMs).catch(() => {});
      await client.close().catch(() => {});
      accessLog?.flush();
      process.exit(code);
    })();
  };
  process.once('SIGINT', () => exit(0));
  process.once('SIGTERM', () => exit(0));

  if (parseBool('ensure-ingress-class', v['ensure-ingress-class']!)) {
    // The API server may still be starting: keep trying in the background.
    void (async () => {
      for (let attempt = 0; !exiting; attempt++) {
        try {
          const r = await ensureIngressClass(client, options.ingressClass!, options.controllerName!);
          logger.info({ ingressClass: options.ingressClass, r }, 'IngressClass in place');
          return;
        } catch (e) {
          if (attempt >= 10) logger.warn({ err: e }, 'cannot make the IngressClass yet; retrying');
          await new Promise((r) => setTimeout(r, Math.min(500 * 2 ** attempt, 5000)));
        }
      }
    })();
  }
  running = await startIngressController({ client, ...options });
  if (exiting) await running.stop();
}

main().catch((e: Error) => {
  process.stderr.write(`minik8s-ingress: ${e.message}\n`);
  process.exit(1);
});
