/**
 * `minik8s-dns`: the cluster DNS server. Answers Service, headless, ExternalName and Pod
 * names under the cluster domain from the API server's Services and EndpointSlices, and
 * forwards everything else to the upstream resolvers (default: /etc/resolv.conf's).
 */
import { parseArgs } from 'node:util';
import { parseDuration, parseInteger } from '@minik8s/client/flags';
import { KubeClient } from '@minik8s/client/kube';
import { pino } from 'pino';
import { publishService } from './publish.ts';
import { startDnsServer } from './server.ts';
import { DEFAULT_CLUSTER_DOMAIN } from './zone.ts';

const HELP = `Usage: minik8s-dns [flags]

Serves the cluster DNS zone over UDP and TCP and forwards other names upstream.

Flags:
  --kubeconfig FILE            (default: KUBECONFIG, ~/.kube/config, or in-cluster)
  --address IP                 listen address (default 0.0.0.0)
  --port N                     UDP and TCP port (default 53; 0 picks a free one)
  --cluster-domain DOMAIN      (default ${DEFAULT_CLUSTER_DOMAIN})
  --upstream IP[:PORT]         upstream resolver, repeatable; [IPv6]:PORT for IPv6
                               (default: the nameservers in --resolv-conf)
  --resolv-conf FILE           where default upstreams come from (default /etc/resolv.conf)
  --upstream-timeout DURATION  per upstream attempt, then SERVFAIL (default 2s)
  --ttl SECONDS                TTL of cluster records (default 5)
  --publish-service NS/NAME    run outside the cluster's Pods: keep a selector-less Service
                               NS/NAME at --service-ip, with an EndpointSlice naming
                               --advertise-address (e.g. kube-system/kube-dns)
  --service-ip IP              the DNS ClusterIP (default 10.96.0.10)
  --advertise-address IP       this server's address as Pods reach it
  --log-level LEVEL            (default warn)
  --help
`;

async function main(): Promise<void> {
  const { values: v } = parseArgs({
    options: {
      kubeconfig: { type: 'string' },
      address: { type: 'string', default: '0.0.0.0' },
      port: { type: 'string', default: '53' },
      'cluster-domain': { type: 'string', default: DEFAULT_CLUSTER_DOMAIN },
      upstream: { type: 'string', multiple: true },
      'resolv-conf': { type: 'string' },
      'upstream-timeout': { type: 'string', default: '2s' },
      ttl: { type: 'string', default: '5' },
      'publish-service': { type: 'string' },
      'service-ip': { type: 'string', default: '10.96.0.10' },
      'advertise-address': { type: 'string' },
      'log-level': { type: 'string', default: 'warn' },
      help: { type: 'boolean', default: false },
    },
    strict: true,
  });
  if (v.help) return void process.stdout.write(HELP);
  const logger = pino({ level: v['log-level'] });
  const port = parseInteger('port', v.port!, 0, 65535);
  const ttl = parseInteger('ttl', v.ttl!, 0, 2 ** 31 - 1);
  const upstreamTimeoutMs = parseDuration('upstream-timeout', v['upstream-timeout']!);
  const client = KubeClient.fromKubeconfig({ kubeconfig: v.kubeconfig }, { userAgent: 'minik8s-dns/0.1.0' });
  const server = await startDnsServer({
    client,
    address: v.address,
    port,
    clusterDomain: v['cluster-domain'],
    upstream: v.upstream?.length ? v.upstream : undefined,
    resolvConf: v['resolv-conf'],
    upstreamTimeoutMs,
    ttl,
    logger,
  });
  if (v['publish-service']) {
    if (!v['advertise-address']) throw new Error('--publish-service needs --advertise-address');
    const o = { service: v['publish-service'], clusterIP: v['service-ip']!, address: v['advertise-address'], port: server.port };
    // The API server may still be starting: keep trying, quietly at first.
    void (async () => {
      for (let attempt = 0; ; attempt++) {
        try {
          await publishService(client, o);
          logger.info(o, 'published the DNS Service');
          return;
        } catch (e) {
          if (attempt >= 10) logger.warn({ err: e }, 'cannot publish the DNS Service yet; retrying');
          await new Promise((r) => setTimeout(r, Math.min(500 * 2 ** attempt, 5000)));
        }
      }
    })();
  }
  let exiting = false;
  const exit = () => {
    if (exiting) return;
    exiting = true;
    void (async () => {
      await server.stop().catch(() => {});
      await client.close().catch(() => {});
      process.exit(0);
    })();
  };
  process.once('SIGINT', exit);
  process.once('SIGTERM', exit);
}

main().catch((e: Error) => {
  process.stderr.write(`minik8s-dns: ${e.message}\n`);
  process.exit(1);
});
