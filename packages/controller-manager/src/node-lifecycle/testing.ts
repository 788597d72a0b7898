/** Test helpers: Nodes and Leases as a kubelet would keep them, by hand. */
import type { KubeObject, Node } from '@minik8s/api';
import { isNotFound, type KubeClient } from '@minik8s/client/kube';
import { NODES, refTo } from '../internal/resources.ts';

const LEASES = { group: 'coordination.k8s.io', version: 'v1', plural: 'leases', namespace: 'kube-node-lease' } as const;
const now = () => new Date().toISOString().replace(/\.\d+Z$/, 'Z');

/** Posts the node's status (Ready as given, no pressure) and renews its Lease, as the kubelet does each period. */
export async function heartbeat(client: KubeClient, name: string, ready: 'True' | 'False' = 'True'): Promise<void> {
  const t = now();
  const conditions = [
    ['MemoryPressure', 'False', 'KubeletHasSufficientMemory'],
    ['DiskPressure', 'False', 'KubeletHasNoDiskPressure'],
    ['PIDPressure', 'False', 'KubeletHasSufficientPID'],
    ['Ready', ready, ready === 'True' ? 'KubeletReady' : 'KubeletNotReady'],
  ].map(([type, status, reason]) => ({ type, status, reason, message: '', lastHeartbeatTime: t, lastTransitionTime: t }));
  let node: Node & KubeObject;
  try {
    node = await client.get<Node & KubeObject>(refTo(NODES, undefined, name));
  } catch (e) {
    if (!isNotFound(e)) throw e;
    node = await client.create<Node & KubeObject>(NODES, { apiVersion: 'v1', kind: 'Node', metadata: { name } } as never);
  }
  // Keep each condition's transition time while its status holds, as the kubelet does.
  for (const c of conditions) {
    const old = node.status?.conditions?.find((x) => x.type === c.type);
    if (old && old.status === c.status && old.lastTransitionTime) c.lastTransitionTime = old.lastTransitionTime;
  }
  await client.updateStatus(refTo(NODES, undefined, name, 'status'), { ...node, status: { ...node.status, conditions } });
  const renewTime = new Date().toISOString().replace('Z', '000Z');
  try {
    const lease = await client.get<KubeObject & { spec?: Record<string, unknown> }>({ ...LEASES, name });
    await client.update({ ...LEASES, name }, { ...lease, spec: { ...lease.spec, holderIdentity: name, leaseDurationSeconds: 40, renewTime } });
  } catch (e) {
    if (!isNotFound(e)) throw e;
    await client.create(LEASES, {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: { name, namespace: 'kube-node-lease' },
      spec: { holderIdentity: name, leaseDurationSeconds: 40, renewTime },
    });
  }
}

/** A kubelet's heartbeat every `everyMs` until stopped. */
export function keepAlive(client: KubeClient, name: string, everyMs = 200): { stop(): Promise<void> } {
  let stopped = false;
  let last: Promise<void> = Promise.resolve();
  const timer = setInterval(() => {
    if (!stopped) last = heartbeat(client, name).catch(() => {});
  }, everyMs);
  return {
    async stop() {
      stopped = true;
      clearInterval(timer);
      await last;
    },
  };
}
