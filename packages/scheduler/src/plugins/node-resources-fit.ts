/**
 * NodeResourcesFit: the Pod's requests must fit in what the node has left (allocatable
 * minus the requests of the Pods already counted there), and the node must have room for
 * one more Pod. Scores with upstream's LeastAllocated strategy: the more cpu and memory a
 * node would have left, the higher.
 */

import type { Pod } from '@minik8s/api';
import { MAX_NODE_SCORE, type Plugin, type Status, SUCCESS, unschedulable } from '../framework.ts';
import { podRequests, type ResourceList } from '../internal/resources.ts';
import type { NodeInfo } from '../node-info.ts';

export const NODE_RESOURCES_FIT = 'NodeResourcesFit';
export const ERR_REASON_TOO_MANY_PODS = 'Too many pods';

const STATE_KEY = 'PreFilterNodeResourcesFit';
const ORDER = ['cpu', 'memory', 'ephemeral-storage'];

function ordered(r: ResourceList): Array<[string, number]> {
  return [...r].sort(([a], [b]) => {
    const ia = ORDER.indexOf(a);
    const ib = ORDER.indexOf(b);
    if (ia >= 0 || ib >= 0) return (ia < 0 ? 99 : ia) - (ib < 0 ? 99 : ib);
    return a < b ? -1 : a > b ? 1 : 0;
  });
}

/** Every reason the Pod does not fit (several resources can be short at once). */
export function fitsRequest(requests: ResourceList, node: NodeInfo): string[] {
  const reasons: string[] = [];
  if (node.pods.size + 1 > node.allowedPodNumber) reasons.push(ERR_REASON_TOO_MANY_PODS);
  for (const [name, want] of ordered(requests)) {
    if (want <= 0) continue;
    const free = (node.allocatable.get(name) ?? 0) - (node.requested.get(name) ?? 0);
    if (want > free) reasons.push(`Insufficient ${name}`);
  }
  return reasons;
}

/** Upstream's leastRequestedScore for one resource. */
export function leastRequestedScore(requested: number, capacity: number): number {
  if (capacity === 0 || requested > capacity) return 0;
  return Math.floor(((capacity - requested) * MAX_NODE_SCORE) / capacity);
}

const SCORED = ['cpu', 'memory'];

function requestsOf(state: { read<T>(k: string): T | undefined }, pod: Pod): ResourceList {
  return state.read<ResourceList>(STATE_KEY) ?? podRequests(pod);
}

export function nodeResourcesFit(): Plugin {
  return {
    name: NODE_RESOURCES_FIT,
    preFilter(state, pod) {
      state.write(STATE_KEY, podRequests(pod));
      state.write(`${STATE_KEY}/nonZero`, podRequests(pod, true));
    },
    filter(state, pod, node): Status {
      const reasons = fitsRequest(requestsOf(state, pod), node);
      return reasons.length ? unschedulable(...reasons) : SUCCESS;
    },
    score(state, pod, node) {
      const want = state.read<ResourceList>(`${STATE_KEY}/nonZero`) ?? podRequests(pod, true);
      let sum = 0;
      for (const r of SCORED) {
        const requested = (node.nonZeroRequested.get(r) ?? 0) + (want.get(r) ?? 0);
        sum += leastRequestedScore(requested, node.allocatable.get(r) ?? 0);
      }
      return Math.floor(sum / SCORED.length);
    },
  };
}
