/** NodeUnschedulable: a cordoned node (spec.unschedulable) takes only Pods that tolerate it. */

import { tolerated } from '@minik8s/api/scheduling';
import { type Plugin, SUCCESS, unresolvable } from '../framework.ts';

export const NODE_UNSCHEDULABLE = 'NodeUnschedulable';
export const ERR_REASON_UNSCHEDULABLE = 'node(s) were unschedulable';
export const TAINT_NODE_UNSCHEDULABLE = 'node.kubernetes.io/unschedulable';

export function nodeUnschedulable(): Plugin {
  return {
    name: NODE_UNSCHEDULABLE,
    filter(_state, pod, node) {
      if (!node.node?.spec?.unschedulable) return SUCCESS;
      if (tolerated(pod.spec?.tolerations, { key: TAINT_NODE_UNSCHEDULABLE, effect: 'NoSchedule' })) return SUCCESS;
      return unresolvable(ERR_REASON_UNSCHEDULABLE);
    },
  };
}
