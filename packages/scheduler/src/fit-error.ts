/**
 * Why a Pod fits nowhere, worded as kube-scheduler words it (FitError.Error()):
 * "0/2 nodes are available: 1 Insufficient cpu, 1 node(s) were unschedulable. preemption: ..."
 * Each node contributes its reasons; the counts are "<n> <reason>", sorted as strings and
 * joined with ", "; then the PostFilter (preemption) message, each part followed by ".".
 */
import type { Status } from './framework.ts';

export const NO_NODES_AVAILABLE = 'no nodes available to schedule pods';

export function fitErrorMessage(numAllNodes: number, statuses: Iterable<Status>, postFilterMsg = ''): string {
  const counts = new Map<string, number>();
  for (const s of statuses) for (const r of s.reasons) counts.set(r, (counts.get(r) ?? 0) + 1);
  const histogram = [...counts].map(([reason, n]) => `${n} ${reason}`).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  let msg = `0/${numAllNodes} nodes are available:`;
  if (histogram.length) msg += ` ${histogram.join(', ')}.`;
  if (postFilterMsg) msg += ` ${postFilterMsg}.`;
  return msg;
}

/** The Pod fits on no node; `statuses` says why, per node. */
export class FitError extends Error {
  constructor(
    readonly numAllNodes: number,
    readonly statuses: Map<string, Status>,
    readonly postFilterMsg = '',
  ) {
    super(fitErrorMessage(numAllNodes, statuses.values(), postFilterMsg));
    this.name = 'FitError';
  }
}
