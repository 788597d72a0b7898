/** Taints and tolerations as upstream's corev1 helpers match them; the node taint keys the controllers manage. */
import type { Pod, Taint, Toleration } from '@minik8s/api';
import type { Informer } from '@minik8s/client/kube';

export const TAINT_NOT_READY = 'node.kubernetes.io/not-ready';
export const TAINT_UNREACHABLE = 'node.kubernetes.io/unreachable';
export const TAINT_UNSCHEDULABLE = 'node.kubernetes.io/unschedulable';
export const TAINT_MEMORY_PRESSURE = 'node.kubernetes.io/memory-pressure';
export const TAINT_DISK_PRESSURE = 'node.kubernetes.io/disk-pressure';
export const TAINT_PID_PRESSURE = 'node.kubernetes.io/pid-pressure';
export const TAINT_NETWORK_UNAVAILABLE = 'node.kubernetes.io/network-unavailable';
export const TAINT_OUT_OF_SERVICE = 'node.kubernetes.io/out-of-service';

/** Toleration.ToleratesTaint: same effect (or any), same key (or any with Exists), same value for Equal. */
export function toleratesTaint(t: Toleration, taint: Taint): boolean {
  if (t.effect && t.effect !== taint.effect) return false;
  if (t.key && t.key !== taint.key) return false;
  const op = t.operator || 'Equal';
  if (op === 'Exists') return true;
  return op === 'Equal' && (t.value ?? '') === (taint.value ?? '');
}

/**
 * GetMatchingTolerations: whether every taint is tolerated, and the tolerations that
 * tolerate them (the first one for each taint).
 */
export function matchingTolerations(taints: Taint[], tolerations: Toleration[] | undefined): { all: boolean; used: Toleration[] } {
  const used: Toleration[] = [];
  for (const taint of taints) {
    const t = (tolerations ?? []).find((x) => toleratesTaint(x, taint));
    if (!t) return { all: false, used: [] };
    used.push(t);
  }
  return { all: true, used };
}

/** The Pods' index by `spec.nodeName` on a shared informer (added once, whoever asks first). */
export const POD_NODE_INDEX = 'spec.nodeName';

export function indexPodsByNode<T extends Pod>(pods: Informer<T>): Informer<T> {
  try {
    pods.addIndex(POD_NODE_INDEX, (p) => (p.spec?.nodeName ? [p.spec.nodeName] : []));
  } catch {
    // Another controller of this manager added it already.
  }
  return pods;
}
