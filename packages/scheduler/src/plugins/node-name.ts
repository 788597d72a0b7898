/** NodeName: a Pod that names its node (spec.nodeName) fits only there. */
import { type Plugin, SUCCESS, unresolvable } from '../framework.ts';

export const NODE_NAME = 'NodeName';
export const ERR_REASON_NODE_NAME = "node(s) didn't match the requested node name";

export function nodeName(): Plugin {
  return {
    name: NODE_NAME,
    filter(_state, pod, node) {
      const want = pod.spec?.nodeName;
      return !want || want === node.name ? SUCCESS : unresolvable(ERR_REASON_NODE_NAME);
    },
  };
}
