/**
 * What the scheduler knows about one node: the Node object and the Pods counted on it
 * (bound ones and assumed ones, which the scheduler has decided on but the API server
 * has not confirmed yet), with their requests and host ports summed up.
 */
import type { Node, Pod } from '@minik8s/api';
import { parseResourceList, podRequests, type ResourceList } from './internal/resources.ts';

export interface HostPort {
  /** '0.0.0.0' when the Pod does not name one. */
  ip: string;
  protocol: string;
  port: number;
}

/** A Pod with what the scheduler computes from it once. */
export interface PodInfo {
  key: string;
  pod: Pod;
  requests: ResourceList;
  /** Requests with upstream's defaults for unset cpu/memory (for scoring). */
  nonZeroRequests: ResourceList;
  hostPorts: HostPort[];
}

export function podKey(pod: Pod): string {
  return `${pod.metadata?.namespace ?? ''}/${pod.metadata?.name ?? ''}`;
}

export function hostPorts(pod: Pod): HostPort[] {
  const out: HostPort[] = [];
  for (const c of pod.spec?.containers ?? []) {
    for (const p of c.ports ?? []) {
      if (!p.hostPort || p.hostPort <= 0) continue;
      out.push({ ip: p.hostIP || '0.0.0.0', protocol: p.protocol || 'TCP', port: p.hostPort });
    }
  }
  return out;
}

export function makePodInfo(pod: Pod): PodInfo {
  return { key: podKey(pod), pod, requests: podRequests(pod), nonZeroRequests: podRequests(pod, true), hostPorts: hostPorts(pod) };
}

function add(into: ResourceList, r: ResourceList, sign: number): void {
  for (const [k, v] of r) into.set(k, (into.get(k) ?? 0) + sign * v);
}

export class NodeInfo {
  readonly pods = new Map<string, PodInfo>();
  readonly requested: ResourceList = new Map();
  readonly nonZeroRequested: ResourceList = new Map();
  allocatable: ResourceList = new Map();
  allowedPodNumber = 0;
  private nodeObj: Node | undefined;

  constructor(readonly name: string) {}

  /** The Node (undefined while only Pods bound to an unknown node are known). */
  get node(): Node | undefined {
    return this.nodeObj;
  }

  setNode(node: Node | undefined): void {
    this.nodeObj = node;
    const alloc = (node?.status?.allocatable ?? node?.status?.capacity ?? {}) as Record<string, string>;
    this.allocatable = parseResourceList(alloc);
    this.allowedPodNumber = alloc.pods !== undefined ? Number(alloc.pods) : 0;
  }

  addPod(pi: PodInfo): void {
    if (this.pods.has(pi.key)) this.removePod(pi.key);
    this.pods.set(pi.key, pi);
    add(this.requested, pi.requests, 1);
    add(this.nonZeroRequested, pi.nonZeroRequests, 1);
  }

  removePod(key: string): PodInfo | undefined {
    const pi = this.pods.get(key);
    if (!pi) return undefined;
    this.pods.delete(key);
    add(this.requested, pi.requests, -1);
    add(this.nonZeroRequested, pi.nonZeroRequests, -1);
    return pi;
  }

  /** Host ports in use by the Pods on this node. */
  usedPorts(): HostPort[] {
    const out: HostPort[] = [];
    for (const pi of this.pods.values()) out.push(...pi.hostPorts);
    return out;
  }

  /** A copy, for what-if questions (would the Pod fit without these Pods?). */
  clone(): NodeInfo {
    const c = new NodeInfo(this.name);
    c.setNode(this.nodeObj);
    for (const pi of this.pods.values()) c.addPod(pi);
    return c;
  }
}
