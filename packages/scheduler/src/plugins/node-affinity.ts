/**
 * NodeAffinity: `spec.nodeSelector` and the required node affinity terms filter nodes;
 * the preferred terms add their weights to a node's score.
 */

import type { Node, Pod } from '@minik8s/api';
import { matchesAnyTerm, matchesTerm, type NodeSelectorTerm } from '@minik8s/api/scheduling';
import { defaultNormalizeScore, type Plugin, SUCCESS, unresolvable } from '../framework.ts';

export const NODE_AFFINITY = 'NodeAffinity';
export const ERR_REASON_AFFINITY = "node(s) didn't match Pod's node affinity/selector";

/** True if the node satisfies the Pod's nodeSelector and required node affinity. */
export function requiredNodeAffinityMatches(pod: Pod, node: Node): boolean {
  const labels = node.metadata?.labels ?? {};
  for (const [k, v] of Object.entries(pod.spec?.nodeSelector ?? {})) {
    if (!Object.hasOwn(labels, k) || labels[k] !== v) return false;
  }
  const required = pod.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution;
  if (required) return matchesAnyTerm((required.nodeSelectorTerms ?? []) as NodeSelectorTerm[], node);
  return true;
}

export function nodeAffinity(): Plugin {
  return {
    name: NODE_AFFINITY,
    filter(_state, pod, node) {
      if (!node.node) return unresolvable(ERR_REASON_AFFINITY);
      return requiredNodeAffinityMatches(pod, node.node) ? SUCCESS : unresolvable(ERR_REASON_AFFINITY);
    },
    score(_state, pod, node) {
      let sum = 0;
      for (const p of pod.spec?.affinity?.nodeAffinity?.preferredDuringSchedulingIgnoredDuringExecution ?? []) {
        if (p.weight === 0 || !node.node) continue;
        if (matchesTerm(p.preference as NodeSelectorTerm, node.node)) sum += p.weight;
      }
      return sum;
    },
    normalizeScore(_state, _pod, scores) {
      defaultNormalizeScore(scores, false);
    },
  };
}
