/**
 * `minik8s-kube-proxy`: Services as iptables rules in this node's network namespace.
 * Flag names follow kube-proxy's where there is one. The node's address (for NodePorts
 * and LoadBalancer ports) is --node-ip, else the InternalIP of the Node named by
 * --hostname-override, waiting for the kubelet to register it.
 */
import { hostname } from 'node:os';
import type { Node } from '@minik8s/api';
import type { KubeClient } from '@minik8s/client/kube';
import { KUBECONFIG_FLAG, runComponent } from '@minik8s/client/runtime';
import { startProxier } from './proxier.ts';

async function nodeAddress(client: KubeClient, name: string): Promise<string> {
  for (;;) {
    const node = await client.get<Node>({ version: 'v1', plural: 'nodes', name }).catch(() => undefined);
    const ip = node?.status?.addresses?.find((a) => a.type === 'InternalIP')?.address;
    if (ip) return ip;
    await new Promise((r) => setTimeout(r, 500));
  }
}

await runComponent({
  command: 'minik8s-kube-proxy',
  component: 'kube-proxy',
  logLevel: 'warn',
  flags: {
    kubeconfig: KUBECONFIG_FLAG,
    'hostname-override': { type: 'string', arg: 'NAME', help: "this node's name (default: the hostname)" },
    'node-ip': { type: 'string', arg: 'IP', help: "this node's address (default: the Node's InternalIP)" },
    'masquerade-all': { type: 'bool', default: 'true', help: 'SNAT every Service connection (Pods share one bridge)' },
    'iptables-min-sync-period': { type: 'duration', default: '100ms', help: 'least time between two rule loads' },
    'iptables-sync-period': { type: 'duration', default: '30s', help: 'load the rules at least this often' },
  },
  async start({ flags: f, log, kubeClient }) {
    const client = kubeClient();
    const nodeName = f['hostname-override'] ?? hostname();
    const nodeIP = f['node-ip'] ?? (await nodeAddress(client, nodeName));
    const proxier = await startProxier({
      client,
      nodeIP,
      masqueradeAll: f['masquerade-all'],
      minSyncMs: f['iptables-min-sync-period'],
      syncMs: f['iptables-sync-period'],
      log,
    });
    void proxier.synced.then(() => log.info({ node: nodeName, nodeIP }, 'rules in place'));
    return proxier.manager;
  },
});
