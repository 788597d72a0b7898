/** The Pods of a node, through an index on the shared Pod informer. */
import type { Pod } from '@minik8s/api';
import type { Informer } from '@minik8s/client/kube';

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
