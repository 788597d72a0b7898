/**
 * `minik8s-kube-proxy`: Services as iptables rules in this node's network namespace.
 * Flag names follow kube-proxy's where there is one. The node's address (for NodePorts
 * and LoadBalancer ports) is --node-ip, else the InternalIP of the Node named by
 * --hostname-override, waiting for the kubelet to register it.
 */
import { hostname } from 'node:os';
import { parseArgs } from 'node:util';
import type { Node } from '@minik8s/api';
import { parseBool, parseDuration } from '@minik8s/client/flags';
import { KubeClient } from '@minik8s/client/kube';
import { pino } from 'pino';
import { startProxier } from './proxier.ts';

const HELP = `Usage: minik8s-kube-proxy [flags]

Flags:
  --kubeconfig FILE                 (default: KUBECONFIG, ~/.kube/config, or in-cluster)
  --hostname-override NAME          this node's name (default: the hostname)
  --node-ip IP                      this node's address (default: the Node's InternalIP)
  --masquerade-all BOOL             SNAT every Service connection (default true: Pods share one bridge)
  --iptables-min-sync-period DUR    least time between two rule loads (default 100ms)
  --iptables-sync-period DUR        load the rules at least this often (default 30s)
  --log-level LEVEL                 (default warn)
  --help
`;

async function nodeAddress(client: KubeClient, name: string): Promise<string> {
  for (;;) {
    const node = await client.get<Node>({ version: 'v1', plural: 'nodes', name }).catch(() => undefined);
    const ip = node?.status?.addresses?.find((a) => a.type === 'InternalIP')?.address;
    if (ip) return ip;
    await new Promise((r) => setTimeout(r, 500));
  }
}

async function main(): Promise<void> {
  const { values: v } = parseArgs({
    options: {
      kubeconfig: { type: 'string' },
      'hostname-override': { type: 'string' },
      'node-ip': { type: 'string' },
      'masquerade-all': { type: 'string', default: 'true' },
      'iptables-min-sync-period': { type: 'string', default: '100ms' },
      'iptables-sync-period': { type: 'string', default: '30s' },
      'log-level': { type: 'string', default: 'warn' },
      help: { type: 'boolean', default: false },
    },
    strict: true,
  });
  if (v.help) return void process.stdout.write(HELP);
  const log = pino({ level: v['log-level'] });
  const client = KubeClient.fromKubeconfig({ kubeconfig: v.kubeconfig }, { userAgent: 'minik8s-kube-proxy/0.1.0' });
  const nodeName = v['hostname-override'] ?? hostname();
  const nodeIP = v['node-ip'] ?? (await nodeAddress(client, nodeName));
  const proxier = await startProxier({
    client,
    nodeIP,
    masqueradeAll: parseBool('masquerade-all', v['masquerade-all']!),
    minSyncMs: parseDuration('iptables-min-sync-period', v['iptables-min-sync-period']!),
    syncMs: parseDuration('iptables-sync-period', v['iptables-sync-period']!),
    log,
  });
  await proxier.synced;
  log.info({ node: nodeName, nodeIP }, 'rules in place');
  const stop = () =>
    proxier
      .stop()
      .then(() => client.close())
      .then(
        () => process.exit(0),
        () => process.exit(1),
      );
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((e: Error) => {
  process.stderr.write(`minik8s-kube-proxy: ${e.message}\n`);
  process.exit(1);
});
