/**
 * The Node object and its heartbeat, as the kubelet's node status manager: register
 * (or adopt) the Node with its labels, pod CIDR, capacity, addresses and node info;
 * post status periodically (conditions Ready / MemoryPressure / DiskPressure /
 * PIDPressure); renew the node's Lease in kube-node-lease.
 */
import { readFileSync } from 'node:fs';
import { arch, hostname } from 'node:os';
import { type Node, type NodeCondition, rfc3339 } from '@minik8s/api';
import { isAlreadyExists, isNotFound, type KubeClient } from '@minik8s/client/kube';
import type { RuntimeInfo } from './runtime/runtime.ts';

export const KUBELET_VERSION = 'v1.32.0-minik8s';
const NODES = { version: 'v1', plural: 'nodes' } as const;
const LEASES = { group: 'coordination.k8s.io', version: 'v1', plural: 'leases', namespace: 'kube-node-lease' } as const;

export interface NodeConfig {
  nodeName: string;
  podCidr?: string;
  nodeIP?: string;
  port: number;
  maxPods: number;
  cpus?: string;
  memory?: string;
}

function goArch(a: string): string {
  const m: Record<string, string> = { x64: 'amd64', x86_64: 'amd64', arm64: 'arm64', aarch64: 'arm64' };
  return m[a] ?? a;
}

function readId(path: string): string {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    return '';
  }
}

function stamp(ms: number): string {
  return rfc3339(new Date(ms));
}

/** The Node as this kubelet would register it. */
export function desiredNode(c: NodeConfig, info: RuntimeInfo): Node {
  const a = goArch(info.architecture || arch());
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name: c.nodeName,
      labels: {
        'kubernetes.io/hostname': c.nodeName,
        'kubernetes.io/os': 'linux',
        'kubernetes.io/arch': a,
        'beta.kubernetes.io/os': 'linux',
        'beta.kubernetes.io/arch': a,
      },
    },
    spec: c.podCidr ? { podCIDR: c.podCidr, podCIDRs: [c.podCidr] } : {},
  };
}

export function nodeStatus(
  c: NodeConfig,
  info: RuntimeInfo | undefined,
  runtimeError: string | undefined,
  now: number,
  old?: Node['status'],
): NonNullable<Node['status']> {
  const cpu = c.cpus ?? String(info?.cpus ?? 1);
  const memory = c.memory ?? `${Math.floor((info?.memoryBytes ?? 0) / 1024)}Ki`;
  const capacity = { cpu, memory, pods: String(c.maxPods) };
  const t = stamp(now);
  const cond = (type: string, status: string, reason: string, message: string): NodeCondition => {
    const prev = old?.conditions?.find((x) => x.type === type);
    return { type, status, reason, message, lastHeartbeatTime: t, lastTransitionTime: prev && prev.status === status ? (prev.lastTransitionTime ?? t) : t };
  };
  const a = goArch(info?.architecture || arch());
  return {
    capacity,
    allocatable: { ...capacity },
    conditions: [
      cond('MemoryPressure', 'False', 'KubeletHasSufficientMemory', 'kubelet has sufficient memory available'),
      cond('DiskPressure', 'False', 'KubeletHasNoDiskPressure', 'kubelet has no disk pressure'),
      cond('PIDPressure', 'False', 'KubeletHasSufficientPID', 'kubelet has sufficient PID available'),
      runtimeError
        ? cond('Ready', 'False', 'KubeletNotReady', `container runtime is down: ${runtimeError}`)
        : cond('Ready', 'True', 'KubeletReady', 'kubelet is posting ready status'),
    ],
    addresses: [...(c.nodeIP ? [{ type: 'InternalIP', address: c.nodeIP }] : []), { type: 'Hostname', address: c.nodeName }],
    daemonEndpoints: { kubeletEndpoint: { Port: c.port } },
    nodeInfo: {
      machineID: readId('/etc/machine-id'),
      systemUUID: readId('/sys/class/dmi/id/product_uuid') || readId('/etc/machine-id'),
      bootID: readId('/proc/sys/kernel/random/boot_id'),
      kernelVersion: info?.kernelVersion ?? '',
      osImage: info?.operatingSystem ?? '',
      containerRuntimeVersion: `docker://${info?.serverVersion ?? ''}`,
      kubeletVersion: KUBELET_VERSION,
      kubeProxyVersion: KUBELET_VERSION,
      operatingSystem: 'linux',
      architecture: a,
    },
  };
}

/** Creates the Node, or brings an existing one's labels and pod CIDR up to date. Returns its uid. */
export async function registerNode(client: KubeClient, c: NodeConfig, info: RuntimeInfo): Promise<Node> {
  const want = desiredNode(c, info);
  try {
    return await client.create<Node>(NODES, want as never);
  } catch (e) {
    if (!isAlreadyExists(e)) throw e;
  }
  const cur = await client.get<Node & { metadata: { name: string } }>({ ...NODES, name: c.nodeName });
  const next = structuredClone(cur);
  next.metadata.labels = { ...next.metadata.labels, ...want.metadata?.labels };
  if (c.podCidr && !next.spec?.podCIDR) next.spec = { ...next.spec, podCIDR: c.podCidr, podCIDRs: [c.podCidr] };
  return client.update<Node & { metadata: { name: string } }>({ ...NODES, name: c.nodeName }, next);
}

/** Writes the node status (read-modify-write on the status subresource). */
export async function postNodeStatus(
  client: KubeClient,
  c: NodeConfig,
  info: RuntimeInfo | undefined,
  runtimeError: string | undefined,
  now: number,
): Promise<void> {
  const cur = await client.get<Node & { metadata: { name: string } }>({ ...NODES, name: c.nodeName });
  const next = { ...structuredClone(cur), status: { ...cur.status, ...nodeStatus(c, info, runtimeError, now, cur.status) } };
  await client.updateStatus({ ...NODES, name: c.nodeName }, next);
}

/** Creates or renews the node's Lease (leaseDurationSeconds 40 unless told, owned by the Node). */
export async function renewLease(client: KubeClient, nodeName: string, nodeUid: string | undefined, now: number, leaseDurationSeconds = 40): Promise<void> {
  const renewTime = new Date(now).toISOString().replace('Z', '000Z');
  const ref = { ...LEASES, name: nodeName };
  try {
    const cur = await client.get<{ apiVersion: string; kind: string; metadata: { name: string }; spec?: Record<string, unknown> }>(ref);
    const next = structuredClone(cur);
    next.spec = { ...next.spec, holderIdentity: nodeName, leaseDurationSeconds, renewTime };
    await client.update(ref, next);
  } catch (e) {
    if (!isNotFound(e)) throw e;
    await client.create(LEASES, {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: {
        name: nodeName,
        namespace: 'kube-node-lease',
        ...(nodeUid ? { ownerReferences: [{ apiVersion: 'v1', kind: 'Node', name: nodeName, uid: nodeUid }] } : {}),
      },
      spec: { holderIdentity: nodeName, leaseDurationSeconds, renewTime },
    });
  }
}

export const defaultNodeName = (): string => hostname().toLowerCase();
