/**
 * NodeReady: a node whose Ready condition is not True takes only Pods that tolerate the
 * taint the node lifecycle controller puts on it (`node.kubernetes.io/not-ready`, or
 * `unreachable` when the condition is Unknown), so a node is skipped from the moment its
 * kubelet reports it unready, before any taint arrives. Upstream leaves this to the taints
 * alone; the reason is the one upstream's old CheckNodeCondition predicate gave.
 */

import { TAINT_NOT_READY, TAINT_UNREACHABLE, tolerated } from '@minik8s/api/scheduling';
import { type Plugin, SUCCESS, unresolvable } from '../framework.ts';
import { getNodeCondition } from '../internal/node-util.ts';

export const NODE_READY = 'NodeReady';
export const ERR_REASON_NOT_READY = 'node(s) were not ready';

export function nodeReady(): Plugin {
  return {
    name: NODE_READY,
    filter(_state, pod, node) {
      const ready = node.node ? getNodeCondition(node.node, 'Ready') : undefined;
      if (ready?.status === 'True') return SUCCESS;
      const key = ready?.status === 'Unknown' ? TAINT_UNREACHABLE : TAINT_NOT_READY;
      if (tolerated(pod.spec?.tolerations, { key, effect: 'NoSchedule' })) return SUCCESS;
      return unresolvable(ERR_REASON_NOT_READY);
    },
  };
}
