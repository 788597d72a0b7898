/**
 * `minik8s-ingress`: the ingress controller. Flag names follow ingress-nginx's where there
 * is one (--ingress-class, --controller-class, --watch-ingress-without-class,
 * --publish-status-address is --publish-address here, --http-port, --https-port).
 * Access logs are JSON lines on stdout; everything else goes to stderr at --log-level.
 */
import { readFileSync } from 'node:fs';
import { KUBECONFIG_FLAG, oneShot, runComponent } from '@minik8s/client/runtime';
import { jsonLines } from './access-log.ts';
import { startIngressController } from './controller.ts';
import { ensureIngressClass } from './ingress-class.ts';
import { DEFAULT_CONTROLLER_NAME, DEFAULT_INGRESS_CLASS } from './routes.ts';

await runComponent({
  command: 'minik8s-ingress',
  component: 'ingress-controller',
  logLevel: 'warn',
  logTo: 'stderr',
  flags: {
    kubeconfig: KUBECONFIG_FLAG,
    'http-port': { type: 'port', arg: 'N', default: '80', help: 'plain HTTP port' },
    'https-port': { type: 'port', arg: 'N', default: '443', help: 'HTTPS port' },
    'bind-address': { type: 'string', arg: 'IP', help: '(default: every address)' },
    'redirect-https-port': { type: 'port', arg: 'N', default: '443', help: 'HTTPS port named in http→https redirects, as clients reach it' },
    'ingress-class': { type: 'string', arg: 'NAME', default: DEFAULT_INGRESS_CLASS, help: 'IngressClass served' },
    'controller-class': { type: 'string', arg: 'NAME', default: DEFAULT_CONTROLLER_NAME, help: 'IngressClass spec.controller that is us' },
    'watch-ingress-without-class': { type: 'bool', default: 'false', help: 'serve Ingresses without any class too' },
    'publish-address': { type: 'string', arg: 'ADDR[,ADDR]', help: 'written to Ingress status.loadBalancer.ingress (IPs or host names)' },
    'ensure-ingress-class': { type: 'bool', default: 'false', help: 'create the IngressClass --ingress-class, as the default class, if missing' },
    'proxy-connect-timeout': { type: 'duration', default: '5s', help: 'connecting to an endpoint' },
    'proxy-read-timeout': { type: 'duration', default: '60s', help: 'waiting for an endpoint to answer' },
    'proxy-next-upstream-tries': { type: 'int', min: 1, default: '3', help: 'endpoints tried per request' },
    'default-ssl-certificate-file': { type: 'string', arg: 'F', help: 'PEM certificate for hosts without one (default: a self-signed fake one)' },
    'default-ssl-key-file': { type: 'string', arg: 'F', help: 'its key' },
    'shutdown-grace-period': { type: 'duration', default: '10s', help: 'let requests in flight finish on SIGTERM' },
    'access-log': { type: 'bool', default: 'true', help: 'JSON access log lines on stdout' },
  },
  async start({ flags: f, log, kubeClient, onExit }) {
    const certFile = f['default-ssl-certificate-file'];
    const keyFile = f['default-ssl-key-file'];
    if (!!certFile !== !!keyFile) throw new Error('--default-ssl-certificate-file and --default-ssl-key-file go together');
    // Access lines go out in batches (64 KiB, or 100 ms after the first), not one write each.
    const accessLog = f['access-log'] ? jsonLines((s) => process.stdout.write(s)) : undefined;
    if (accessLog) onExit(() => accessLog.flush());
    const client = kubeClient();
    const running = await startIngressController({
      client,
      logger: log,
      accessLog,
      httpPort: f['http-port'],
      httpsPort: f['https-port'],
      bindAddress: f['bind-address'],
      redirectHttpsPort: f['redirect-https-port'],
      ingressClass: f['ingress-class'],
      controllerName: f['controller-class'],
      watchIngressWithoutClass: f['watch-ingress-without-class'],
      publishAddress: f['publish-address'],
      connectTimeoutMs: f['proxy-connect-timeout'],
      readTimeoutMs: f['proxy-read-timeout'],
      proxyNextUpstreamTries: f['proxy-next-upstream-tries'],
      defaultCertificate: certFile && keyFile ? { cert: readFileSync(certFile, 'utf8'), key: readFileSync(keyFile, 'utf8') } : undefined,
    });
    if (f['ensure-ingress-class']) {
      // The API server may still be starting: keep trying in the background.
      const made = (r: unknown) => log.info({ ingressClass: f['ingress-class'], r }, 'IngressClass in place');
      running.manager.add(oneShot('ensure-ingress-class', () => ensureIngressClass(client, f['ingress-class'], f['controller-class']).then(made), { log }));
    }
    return { done: running.done, stop: () => running.stop(f['shutdown-grace-period']) };
  },
});
