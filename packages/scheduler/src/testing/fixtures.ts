/**
 * Fixture builders for scheduler tests:
 * `makePod().name('a').cpu('500m').obj()`, `makeNode().name('n1').cpu('2').obj()`.
 */
import type { Node, Pod, Taint, Toleration } from '@minik8s/api';
import { makePodInfo, NodeInfo } from '../node-info.ts';

// biome-ignore lint/suspicious/noExplicitAny: fixture plumbing builds loosely typed objects
type AnyObj = Record<string, any>;

export class PodBuilder {
  private readonly p: AnyObj = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'pod', namespace: 'default', uid: 'uid-pod' },
    spec: { containers: [{ name: 'c', image: 'busybox', resources: {} }], schedulerName: 'default-scheduler' },
    status: { phase: 'Pending' },
  };

  name(n: string): this {
    this.p.metadata.name = n;
    this.p.metadata.uid = `uid-${n}`;
    return this;
  }
  namespace(ns: string): this {
    this.p.metadata.namespace = ns;
    return this;
  }
  labels(l: Record<string, string>): this {
    this.p.metadata.labels = { ...this.p.metadata.labels, ...l };
    return this;
  }
  private req(resource: string, v: string, container = 0): this {
    const c = this.p.spec.containers[container];
    c.resources.requests = { ...c.resources.requests, [resource]: v };
    return this;
  }
  cpu(v: string): this {
    return this.req('cpu', v);
  }
  memory(v: string): this {
    return this.req('memory', v);
  }
  request(resource: string, v: string): this {
    return this.req(resource, v);
  }
  /** Another app container with these requests. */
  container(requests: Record<string, string>): this {
    this.p.spec.containers.push({ name: `c${this.p.spec.containers.length}`, image: 'busybox', resources: { requests } });
    return this;
  }
  initContainer(requests: Record<string, string>, restartPolicy?: 'Always'): this {
    this.p.spec.initContainers ??= [];
    this.p.spec.initContainers.push({
      name: `i${this.p.spec.initContainers.length}`,
      image: 'busybox',
      resources: { requests },
      ...(restartPolicy ? { restartPolicy } : {}),
    });
    return this;
  }
  hostPort(port: number, protocol = 'TCP', hostIP?: string): this {
    const c = this.p.spec.containers[0];
    c.ports ??= [];
    c.ports.push({ containerPort: port, hostPort: port, protocol, ...(hostIP ? { hostIP } : {}) });
    return this;
  }
  nodeSelector(s: Record<string, string>): this {
    this.p.spec.nodeSelector = s;
    return this;
  }
  nodeName(n: string): this {
    this.p.spec.nodeName = n;
    return this;
  }
  affinity(nodeAffinity: AnyObj): this {
    this.p.spec.affinity = { nodeAffinity };
    return this;
  }
  /** requiredDuringScheduling with one term of these expressions. */
  requireNode(...matchExpressions: Array<{ key: string; operator: string; values?: string[] }>): this {
    return this.affinity({ requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions }] } });
  }
  toleration(t: Toleration): this {
    this.p.spec.tolerations = [...(this.p.spec.tolerations ?? []), t];
    return this;
  }
  owner(uid: string, kind = 'ReplicaSet', name = 'rs'): this {
    this.p.metadata.ownerReferences = [{ apiVersion: 'apps/v1', kind, name, uid, controller: true }];
    return this;
  }
  priority(n: number): this {
    this.p.spec.priority = n;
    return this;
  }
  phase(ph: string): this {
    this.p.status.phase = ph;
    return this;
  }
  schedulerName(n: string): this {
    this.p.spec.schedulerName = n;
    return this;
  }
  obj(): Pod {
    return structuredClone(this.p) as Pod;
  }
}

export class NodeBuilder {
  private readonly n: AnyObj = {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name: 'node', labels: {} },
    spec: {},
    status: {
      allocatable: { cpu: '4', memory: '8Gi', pods: '110' },
      capacity: { cpu: '4', memory: '8Gi', pods: '110' },
      conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'kubelet is posting ready status' }],
    },
  };

  name(n: string): this {
    this.n.metadata.name = n;
    this.n.metadata.labels['kubernetes.io/hostname'] = n;
    return this;
  }
  labels(l: Record<string, string>): this {
    this.n.metadata.labels = { ...this.n.metadata.labels, ...l };
    return this;
  }
  private alloc(resource: string, v: string): this {
    this.n.status.allocatable[resource] = v;
    this.n.status.capacity[resource] = v;
    return this;
  }
  cpu(v: string): this {
    return this.alloc('cpu', v);
  }
  memory(v: string): this {
    return this.alloc('memory', v);
  }
  pods(v: number): this {
    return this.alloc('pods', String(v));
  }
  resource(name: string, v: string): this {
    return this.alloc(name, v);
  }
  taint(t: Taint): this {
    this.n.spec.taints = [...(this.n.spec.taints ?? []), t];
    return this;
  }
  unschedulable(u = true): this {
    this.n.spec.unschedulable = u;
    return this;
  }
  ready(status: 'True' | 'False' | 'Unknown'): this {
    this.n.status.conditions = [{ type: 'Ready', status }];
    return this;
  }
  obj(): Node {
    return structuredClone(this.n) as Node;
  }
}

export const makePod = () => new PodBuilder();
export const makeNode = () => new NodeBuilder();

/** A NodeInfo for `node` with `pods` counted on it. */
export function nodeInfo(node: Node, ...pods: Pod[]): NodeInfo {
  const ni = new NodeInfo(node.metadata?.name ?? '');
  ni.setNode(node);
  for (const p of pods) ni.addPod(makePodInfo({ ...p, spec: { ...p.spec!, nodeName: ni.name } }));
  return ni;
}
