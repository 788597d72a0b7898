/** Which changes to a Pod or Node can change a scheduling decision (so heartbeats do not requeue everything). */
import type { Node, Pod } from '@minik8s/api';

const same = (a: unknown, b: unknown) => JSON.stringify(a ?? null) === JSON.stringify(b ?? null);

/** Labels, annotations or spec changed (status alone, e.g. our own PodScheduled condition, does not count). */
export function podSchedulingInputsChanged(a: Pod, b: Pod): boolean {
  return !same(a.metadata?.labels, b.metadata?.labels) || !same(a.metadata?.annotations, b.metadata?.annotations) || !same(a.spec, b.spec);
}

function conditionStates(n: Node): string {
  return (n.status?.conditions ?? [])
    .map((c) => `${c.type}=${c.status}`)
    .sort()
    .join(',');
}

/** Allocatable, labels, taints, cordon or condition statuses changed (not heartbeat times). */
export function nodeSchedulingInputsChanged(a: Node, b: Node): boolean {
  return (
    !same(a.status?.allocatable, b.status?.allocatable) ||
    !same(a.metadata?.labels, b.metadata?.labels) ||
    !same(a.spec?.taints, b.spec?.taints) ||
    !!a.spec?.unschedulable !== !!b.spec?.unschedulable ||
    conditionStates(a) !== conditionStates(b)
  );
}
