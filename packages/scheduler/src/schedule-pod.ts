/**
 * One scheduling decision, upstream's schedulePod: filter every node, score the feasible
 * ones (skipped when only one is left), pick the best, breaking ties at random.
 */
import type { Pod } from '@minik8s/api';
import { FitError, NO_NODES_AVAILABLE } from './fit-error.ts';
import { isSuccess, type Status } from './framework.ts';
import type { NodeInfo } from './node-info.ts';
import { preemptionMessage } from './preemption.ts';
import type { Profile } from './profile.ts';

export class NoNodesAvailableError extends Error {
  constructor() {
    super(NO_NODES_AVAILABLE);
    this.name = 'NoNodesAvailableError';
  }
}

export interface ScheduleResult {
  node: string;
  evaluatedNodes: number;
  feasibleNodes: number;
}

/** Throws FitError when no node fits, NoNodesAvailableError when there are no nodes. */
export function schedulePod(profile: Profile, pod: Pod, nodes: NodeInfo[], random: () => number = Math.random): ScheduleResult {
  if (nodes.length === 0) throw new NoNodesAvailableError();
  const state = profile.newCycle(pod);
  const feasible: NodeInfo[] = [];
  const statuses = new Map<string, Status>();
  for (const n of nodes) {
    const s = profile.runFilters(state, pod, n);
    if (isSuccess(s)) feasible.push(n);
    else statuses.set(n.name, s);
  }
  if (feasible.length === 0) {
    throw new FitError(nodes.length, statuses, preemptionMessage(profile, state, pod, nodes, statuses));
  }
  if (feasible.length === 1) return { node: feasible[0]!.name, evaluatedNodes: nodes.length, feasibleNodes: 1 };
  const scores = profile.runScores(state, pod, feasible);
  return { node: selectHost(feasible, scores, random), evaluatedNodes: nodes.length, feasibleNodes: feasible.length };
}

/** The highest-scoring node; among equals, each is equally likely (reservoir sampling, as upstream). */
export function selectHost(nodes: NodeInfo[], scores: number[], random: () => number): string {
  let best = -1;
  let chosen = '';
  let ties = 0;
  for (let i = 0; i < nodes.length; i++) {
    const s = scores[i] as number;
    if (s > best) {
      best = s;
      chosen = nodes[i]!.name;
      ties = 1;
    } else if (s === best) {
      ties++;
      if (random() * ties < 1) chosen = nodes[i]!.name;
    }
  }
  return chosen;
}
