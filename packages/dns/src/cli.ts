/**
 * `minik8s-dns`: the cluster DNS server. Answers Service, headless, ExternalName and Pod
 * names under the cluster domain from the API server's Services and EndpointSlices, and
 * forwards everything else to the upstream resolvers (default: /etc/resolv.conf's).
 */
import { KUBECONFIG_FLAG, oneShot, runComponent } from '@minik8s/client/runtime';
import { publishService } from './publish.ts';
import { startDnsServer } from './server.ts';
import { DEFAULT_CLUSTER_DOMAIN } from './zone.ts';

await runComponent({
  command: 'minik8s-dns',
  component: 'dns',
  summary: 'Serves the cluster DNS zone over UDP and TCP and forwards other names upstream.',
  logLevel: 'warn',
  flags: {
    kubeconfig: KUBECONFIG_FLAG,
    address: { type: 'string', arg: 'IP', default: '0.0.0.0', help: 'listen address' },
    port: { type: 'int', arg: 'N', min: 0, max: 65535, default: '53', help: 'UDP and TCP port (0 picks a free one)' },
    'cluster-domain': { type: 'string', arg: 'DOMAIN', default: DEFAULT_CLUSTER_DOMAIN, help: 'the zone served' },
    upstream: {
      type: 'list',
      arg: 'IP[:PORT]',
      help: 'upstream resolver, repeatable; [IPv6]:PORT for IPv6\n(default: the nameservers in --resolv-conf)',
    },
    'resolv-conf': { type: 'string', arg: 'FILE', help: 'where default upstreams come from (default /etc/resolv.conf)' },
    'upstream-timeout': { type: 'duration', default: '2s', help: 'per upstream attempt, then SERVFAIL' },
    ttl: { type: 'int', arg: 'SECONDS', min: 0, max: 2 ** 31 - 1, default: '5', help: 'TTL of cluster records' },
    'publish-service': {
      type: 'string',
      arg: 'NS/NAME',
      help: "run outside the cluster's Pods: keep a selector-less Service NS/NAME at --service-ip,\nwith an EndpointSlice naming --advertise-address (e.g. kube-system/kube-dns)",
    },
    'service-ip': { type: 'string', arg: 'IP', default: '10.96.0.10', help: 'the DNS ClusterIP' },
    'advertise-address': { type: 'string', arg: 'IP', help: "this server's address as Pods reach it" },
  },
  async start({ flags: f, log, kubeClient }) {
    if (f['publish-service'] && !f['advertise-address']) throw new Error('--publish-service needs --advertise-address');
    const client = kubeClient();
    const server = await startDnsServer({
      client,
      address: f.address,
      port: f.port,
      clusterDomain: f['cluster-domain'],
      upstream: f.upstream.length ? f.upstream : undefined,
      resolvConf: f['resolv-conf'],
      upstreamTimeoutMs: f['upstream-timeout'],
      ttl: f.ttl,
      logger: log,
    });
    if (f['publish-service'] && f['advertise-address']) {
      const o = { service: f['publish-service'], clusterIP: f['service-ip'], address: f['advertise-address'], port: server.port };
      // The API server may still be starting: keep trying, quietly at first.
      server.manager.add(oneShot('publish-service', () => publishService(client, o).then(() => log.info(o, 'published the DNS Service')), { log }));
    }
    return server.manager;
  },
});
