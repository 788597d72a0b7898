/**
 * The scheduler's view of the cluster: a NodeInfo per node with the Pods counted on it.
 * A Pod is counted from the moment the scheduler picks its node ("assumed"), before the
 * binding is written and long before the watch shows it bound, so a burst of Pods does
 * not overcommit a node; the watch event then confirms it, and a failed binding forgets it.
 * Pods that have finished (Succeeded/Failed) are not counted.
 */
import { isPodTerminal, type Node, type Pod } from '@minik8s/api';
import { makePodInfo, NodeInfo, podKey } from './node-info.ts';

interface PodState {
  nodeName: string;
  assumed: boolean;
}

export class SchedulerCache {
  private readonly infos = new Map<string, NodeInfo>();
  private readonly podStates = new Map<string, PodState>();

  private info(name: string): NodeInfo {
    let ni = this.infos.get(name);
    if (!ni) {
      ni = new NodeInfo(name);
      this.infos.set(name, ni);
    }
    return ni;
  }

  setNode(node: Node): void {
    this.info(node.metadata?.name ?? '').setNode(node);
  }

  removeNode(name: string): void {
    const ni = this.infos.get(name);
    if (!ni) return;
    // Pods still bound to a deleted node stay counted until they go (upstream's "ghost" node).
    if (ni.pods.size === 0) this.infos.delete(name);
    else ni.setNode(undefined);
  }

  /** A bound Pod as the API server has it (add or update): counted, or uncounted once finished. */
  setPod(pod: Pod): void {
    const nodeName = pod.spec?.nodeName;
    if (!nodeName) return;
    const key = podKey(pod);
    if (isPodTerminal(pod)) {
      this.removePod(key);
      return;
    }
    const prev = this.podStates.get(key);
    if (prev && prev.nodeName !== nodeName) this.infos.get(prev.nodeName)?.removePod(key);
    this.info(nodeName).addPod(makePodInfo(pod));
    this.podStates.set(key, { nodeName, assumed: false });
  }

  removePod(key: string): void {
    const st = this.podStates.get(key);
    if (!st) return;
    this.podStates.delete(key);
    const ni = this.infos.get(st.nodeName);
    ni?.removePod(key);
    if (ni && !ni.node && ni.pods.size === 0) this.infos.delete(st.nodeName);
  }

  /** Counts `pod` on `nodeName` before the binding is confirmed. */
  assume(pod: Pod, nodeName: string): void {
    const bound: Pod = { ...pod, spec: { ...pod.spec!, nodeName } };
    const key = podKey(pod);
    this.info(nodeName).addPod(makePodInfo(bound));
    this.podStates.set(key, { nodeName, assumed: true });
  }

  /** Undoes `assume` (the binding failed). A Pod the watch has confirmed is left alone. */
  forget(key: string): void {
    if (this.podStates.get(key)?.assumed) this.removePod(key);
  }

  isAssumed(key: string): boolean {
    return this.podStates.get(key)?.assumed === true;
  }

  /** True if the Pod is counted on a node (assumed or bound). */
  has(key: string): boolean {
    return this.podStates.has(key);
  }

  /** Nodes the scheduler may place Pods on (known Node objects), in name order. */
  nodeInfos(): NodeInfo[] {
    return [...this.infos.values()].filter((ni) => ni.node).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  nodeInfo(name: string): NodeInfo | undefined {
    return this.infos.get(name);
  }
}
