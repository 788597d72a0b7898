/** NodePorts: a Pod's host ports must be free on the node (same protocol and port, overlapping IP). */
import { type Plugin, SUCCESS, unschedulable } from '../framework.ts';
import { type HostPort, hostPorts } from '../node-info.ts';

export const NODE_PORTS = 'NodePorts';
export const ERR_REASON_PORTS = "node(s) didn't have free ports for the requested pod ports";

const STATE_KEY = 'PreFilterNodePorts';
const ANY_IP = '0.0.0.0';

export function portsConflict(a: HostPort, b: HostPort): boolean {
  if (a.port !== b.port || a.protocol !== b.protocol) return false;
  return a.ip === b.ip || a.ip === ANY_IP || b.ip === ANY_IP;
}

export function nodePorts(): Plugin {
  return {
    name: NODE_PORTS,
    preFilter(state, pod) {
      state.write(STATE_KEY, hostPorts(pod));
    },
    filter(state, pod, node) {
      const wanted = state.read<HostPort[]>(STATE_KEY) ?? hostPorts(pod);
      if (wanted.length === 0) return SUCCESS;
      const used = node.usedPorts();
      for (const w of wanted) if (used.some((u) => portsConflict(w, u))) return unschedulable(ERR_REASON_PORTS);
      return SUCCESS;
    },
  };
}
