/**
 * NodeResourcesBalancedAllocation: prefers nodes where, with the Pod added, cpu and memory
 * would be used in similar proportions (upstream: 100 × (1 − standard deviation of the
 * requested fractions)).
 */
import { MAX_NODE_SCORE, type Plugin } from '../framework.ts';
import { podRequests } from '../internal/resources.ts';

export const BALANCED_ALLOCATION = 'NodeResourcesBalancedAllocation';

export function balancedAllocation(): Plugin {
  return {
    name: BALANCED_ALLOCATION,
    score(_state, pod, node) {
      const want = podRequests(pod, true);
      const fractions: number[] = [];
      for (const r of ['cpu', 'memory']) {
        const alloc = node.allocatable.get(r) ?? 0;
        if (alloc === 0) continue;
        const f = ((node.nonZeroRequested.get(r) ?? 0) + (want.get(r) ?? 0)) / alloc;
        fractions.push(Math.min(1, f));
      }
      if (fractions.length < 2) return MAX_NODE_SCORE;
      const mean = fractions.reduce((a, b) => a + b, 0) / fractions.length;
      const variance = fractions.reduce((a, f) => a + (f - mean) ** 2, 0) / fractions.length;
      return Math.floor((1 - Math.sqrt(variance)) * MAX_NODE_SCORE);
    },
  };
}
