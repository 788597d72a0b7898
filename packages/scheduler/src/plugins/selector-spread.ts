/**
 * SelectorSpread: spreads the Pods of one controller (ReplicaSet, StatefulSet, ...) over
 * the nodes. A node scores higher the fewer Pods of the same controller (same namespace,
 * same controller owner UID) it already holds; Pods being deleted do not count. So three
 * replicas land 2/1 on two nodes, not 3/0.
 */
import { controllerRef } from '@minik8s/api';
import { MAX_NODE_SCORE, type Plugin } from '../framework.ts';

export const SELECTOR_SPREAD = 'SelectorSpread';
const STATE_KEY = 'PreScoreSelectorSpread';

export function selectorSpread(): Plugin {
  return {
    name: SELECTOR_SPREAD,
    preScore(state, pod) {
      state.write(STATE_KEY, controllerRef(pod)?.uid ?? '');
    },
    score(state, pod, node) {
      const owner = state.read<string>(STATE_KEY) ?? controllerRef(pod)?.uid ?? '';
      if (!owner) return 0;
      const ns = pod.metadata?.namespace;
      let n = 0;
      for (const pi of node.pods.values()) {
        const p = pi.pod;
        if (p.metadata?.namespace !== ns || p.metadata?.deletionTimestamp) continue;
        if (controllerRef(p)?.uid === owner) n++;
      }
      return n;
    },
    normalizeScore(state, _pod, scores) {
      if (!state.read<string>(STATE_KEY)) {
        scores.fill(0);
        return;
      }
      const max = Math.max(0, ...scores);
      for (let i = 0; i < scores.length; i++) {
        scores[i] = max === 0 ? MAX_NODE_SCORE : Math.floor((MAX_NODE_SCORE * (max - (scores[i] as number))) / max);
      }
    },
  };
}
