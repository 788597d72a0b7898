/**
 * The message upstream's DefaultPreemption PostFilter adds to a scheduling failure.
 * minik8s does not evict Pods to make room; it reports, per node, what upstream's dry run
 * would: "Preemption is not helpful for scheduling" where evicting cannot help,
 * "No preemption victims found for incoming pod" where there is no lower-priority Pod to
 * evict, the filter's own reasons where evicting every lower-priority Pod still would not
 * be enough; and where it would be enough (upstream would preempt), the same "no victims"
 * answer, since minik8s will not evict them.
 */
import type { Pod } from '@minik8s/api';
import { fitErrorMessage } from './fit-error.ts';
import { type CycleState, isSuccess, type Status, unresolvable } from './framework.ts';
import type { NodeInfo } from './node-info.ts';
import type { Profile } from './profile.ts';

export const PREEMPTION_NOT_HELPFUL = 'Preemption is not helpful for scheduling';
export const NO_PREEMPTION_VICTIMS = 'No preemption victims found for incoming pod';
export const NOT_ELIGIBLE_NEVER = 'not eligible due to preemptionPolicy=Never.';

function priority(pod: Pod): number {
  return pod.spec?.priority ?? 0;
}

export function preemptionMessage(profile: Profile, state: CycleState, pod: Pod, nodes: NodeInfo[], statuses: Map<string, Status>): string {
  if (pod.spec?.preemptionPolicy === 'Never') return `preemption: ${NOT_ELIGIBLE_NEVER}`;
  const result = new Map<string, Status>();
  const prio = priority(pod);
  for (const node of nodes) {
    const s = statuses.get(node.name);
    if (!s || s.code === 'UnschedulableAndUnresolvable' || s.code === 'Error') {
      result.set(node.name, unresolvable(PREEMPTION_NOT_HELPFUL));
      continue;
    }
    const lower = [...node.pods.values()].filter((pi) => priority(pi.pod) < prio);
    if (lower.length === 0) {
      result.set(node.name, unresolvable(NO_PREEMPTION_VICTIMS));
      continue;
    }
    const without = node.clone();
    for (const pi of lower) without.removePod(pi.key);
    const again = profile.runFilters(state, pod, without);
    result.set(node.name, isSuccess(again) ? unresolvable(NO_PREEMPTION_VICTIMS) : again);
  }
  return `preemption: ${fitErrorMessage(nodes.length, result.values())}`;
}
