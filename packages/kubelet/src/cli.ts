/**
 * `minik8s-kubelet`: the node agent. Flag names follow the kubelet's where there is one.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { parseDuration, parseInteger, parsePort } from '@minik8s/client/flags';
import { KubeClient } from '@minik8s/client/kube';
import { pino } from 'pino';
import { DEFAULT_INFRA_IMAGE, startKubelet } from './kubelet.ts';
import { defaultNodeName } from './node-status.ts';

const HELP = `Usage: minik8s-kubelet [flags]

Flags:
  --kubeconfig FILE                  how to reach the API server (default: $KUBECONFIG, ~/.kube/config, in-cluster)
  --hostname-override NAME           the node's name (default: the hostname)
  --pod-cidr CIDR                    this node's Pod addresses, e.g. 10.244.1.0/24 (default: Docker picks)
  --pod-network NAME                 the Docker network Pods join (default minik8s-pods)
  --node-ip IP                       the InternalIP address (default: this machine's address on the pod network)
  --address IP                       where the node server listens (default 0.0.0.0)
  --port N                           the node server's port (default 10250)
  --tls-cert-file FILE               serve HTTPS with this certificate ...
  --tls-private-key-file FILE        ... and key
  --client-ca-file FILE              require client certificates signed by this CA
  --pod-infra-container-image IMAGE  the sandbox image (default ${DEFAULT_INFRA_IMAGE}, running sleep infinity)
  --crashloop-initial-delay DUR      first crash-loop back-off, e.g. 10s, 500ms (default 10s, doubling to 5m)
  --cpus N                           capacity override (default: from Docker)
  --memory QUANTITY                  capacity override, e.g. 4Gi (default: from Docker)
  --max-pods N                       (default 110)
  --root-dir DIR                     state directory, per-Pod files (default /var/lib/minik8s-kubelet)
  --cluster-dns IP[,IP]              the cluster DNS: Pods with dnsPolicy ClusterFirst use it
  --cluster-domain DOMAIN            (default cluster.local)
  --resolv-conf FILE                 the node's resolver configuration for Pods (default /etc/resolv.conf)
  --pod-route CIDR                   a range every Pod routes through this node, e.g. the Service CIDR (repeatable)
  --log-level LEVEL                  (default info)
  --help
`;

async function main(): Promise<void> {
  const { values: v } = parseArgs({
    options: {
      kubeconfig: { type: 'string' },
      'hostname-override': { type: 'string' },
      'pod-cidr': { type: 'string' },
      'pod-network': { type: 'string', default: 'minik8s-pods' },
      'node-ip': { type: 'string' },
      address: { type: 'string', default: '0.0.0.0' },
      port: { type: 'string', default: '10250' },
      'tls-cert-file': { type: 'string' },
      'tls-private-key-file': { type: 'string' },
      'client-ca-file': { type: 'string' },
      'pod-infra-container-image': { type: 'string', default: DEFAULT_INFRA_IMAGE },
      'crashloop-initial-delay': { type: 'string', default: '10s' },
      cpus: { type: 'string' },
      memory: { type: 'string' },
      'max-pods': { type: 'string', default: '110' },
      'root-dir': { type: 'string', default: '/var/lib/minik8s-kubelet' },
      'cluster-dns': { type: 'string', multiple: true, default: [] },
      'cluster-domain': { type: 'string', default: 'cluster.local' },
      'resolv-conf': { type: 'string', default: '/etc/resolv.conf' },
      'pod-route': { type: 'string', multiple: true, default: [] },
      'log-level': { type: 'string', default: 'info' },
      help: { type: 'boolean', default: false },
    },
    strict: true,
  });
  if (v.help) return void process.stdout.write(HELP);
  const port = parsePort('port', v.port!);
  const maxPods = parseInteger('max-pods', v['max-pods']!, 1);
  if (!!v['tls-cert-file'] !== !!v['tls-private-key-file']) throw new Error('--tls-cert-file and --tls-private-key-file go together');
  const logger = pino({ level: v['log-level'] });
  const client = KubeClient.fromKubeconfig(v.kubeconfig ? { kubeconfig: v.kubeconfig } : {}, { userAgent: 'minik8s-kubelet/0.1.0' });
  const running = await startKubelet({
    client,
    nodeName: (v['hostname-override'] ?? defaultNodeName()).toLowerCase(),
    podCidr: v['pod-cidr'],
    podNetwork: v['pod-network'],
    nodeIP: v['node-ip'],
    address: v.address,
    port,
    ...(v['tls-cert-file']
      ? {
          tls: {
            cert: readFileSync(v['tls-cert-file']),
            key: readFileSync(v['tls-private-key-file']!),
            ...(v['client-ca-file'] ? { ca: readFileSync(v['client-ca-file']) } : {}),
          },
        }
      : {}),
    infraImage: v['pod-infra-container-image'],
    crashLoopInitialMs: parseDuration('crashloop-initial-delay', v['crashloop-initial-delay']!),
    cpus: v.cpus,
    memory: v.memory,
    maxPods,
    logger,
    rootDir: v['root-dir'],
    clusterDNS: (v['cluster-dns'] ?? []).flatMap((s) => s.split(',')).filter(Boolean),
    clusterDomain: v['cluster-domain'],
    resolvConf: v['resolv-conf'],
    podRoutes: (v['pod-route'] ?? []).flatMap((s) => s.split(',')).filter(Boolean),
  });
  logger.info({ node: running.nodeName, port: running.port }, 'kubelet running');
  const stop = () =>
    running.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((e: Error) => {
  process.stderr.write(`minik8s-kubelet: ${e.message}\n`);
  process.exit(1);
});
