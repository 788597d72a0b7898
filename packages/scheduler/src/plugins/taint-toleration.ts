/**
 * TaintToleration: filters out nodes with a NoSchedule or NoExecute taint the Pod does not
 * tolerate, and scores nodes lower for each PreferNoSchedule taint it does not tolerate.
 */

import type { Toleration } from '@minik8s/api';
import { firstUntolerated, tolerated } from '@minik8s/api/scheduling';
import { type CycleState, defaultNormalizeScore, type Plugin, SUCCESS, unresolvable } from '../framework.ts';

export const TAINT_TOLERATION = 'TaintToleration';

export function untoleratedTaintReason(key: string, value: string | undefined): string {
  return `node(s) had untolerated taint {${key}: ${value ?? ''}}`;
}

const STATE_KEY = 'PreScoreTaintToleration';

export function taintToleration(): Plugin {
  return {
    name: TAINT_TOLERATION,
    filter(_state, pod, node) {
      const taint = firstUntolerated(node.node?.spec?.taints, pod.spec?.tolerations, ['NoSchedule', 'NoExecute']);
      return taint ? unresolvable(untoleratedTaintReason(taint.key, taint.value)) : SUCCESS;
    },
    preScore(state: CycleState, pod) {
      const prefer = (pod.spec?.tolerations ?? []).filter((t) => !t.effect || t.effect === 'PreferNoSchedule');
      state.write(STATE_KEY, prefer);
    },
    score(state, pod, node) {
      const tolerations = state.read<Toleration[]>(STATE_KEY) ?? pod.spec?.tolerations ?? [];
      let n = 0;
      for (const taint of node.node?.spec?.taints ?? []) {
        if (taint.effect === 'PreferNoSchedule' && !tolerated(tolerations, taint)) n++;
      }
      return n;
    },
    normalizeScore(_state, _pod, scores) {
      defaultNormalizeScore(scores, true);
    },
  };
}
