/** NodeUnschedulable: a cordoned node (spec.unschedulable) takes only Pods that tolerate it. */

import { TAINT_UNSCHEDULABLE, tolerated } from '@minik8s/api/scheduling';
import { type Plugin, SUCCESS, unresolvable } from '../framework.ts';

export const NODE_UNSCHEDULABLE = 'NodeUnschedulable';
export const ERR_REASON_UNSCHEDULABLE = 'node(s) were unschedulable';

export function nodeUnschedulable(): Plugin {
  return {
    name: NODE_UNSCHEDULABLE,
    filter(_state, pod, node) {
      if (!node.node?.spec?.unschedulable) return SUCCESS;
      if (tolerated(pod.spec?.tolerations, { key: TAINT_UNSCHEDULABLE, effect: 'NoSchedule' })) return SUCCESS;
      return unresolvable(ERR_REASON_UNSCHEDULABLE);
    },
  };
}
