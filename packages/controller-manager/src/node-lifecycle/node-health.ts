/**
 * What the node lifecycle controller decides about one Node, as pure functions:
 * the conditions of a node whose kubelet went quiet (upstream's tryUpdateNodeHealth),
 * the NoSchedule taints its conditions call for (TaintNodesByCondition) and the
 * NoExecute taint of a node that is not Ready (doNoExecuteTaintingPass).
 */
import type { Node, NodeCondition, Taint } from '@minik8s/api';
import {
  TAINT_DISK_PRESSURE,
  TAINT_MEMORY_PRESSURE,
  TAINT_NETWORK_UNAVAILABLE,
  TAINT_NOT_READY,
  TAINT_PID_PRESSURE,
  TAINT_UNREACHABLE,
  TAINT_UNSCHEDULABLE,
} from '@minik8s/api/scheduling';

/** The conditions the kubelet posts and the controller turns Unknown when it stops. */
export const HEALTH_CONDITIONS = ['Ready', 'MemoryPressure', 'DiskPressure', 'PIDPressure'] as const;

export const REASON_NODE_STATUS_UNKNOWN = 'NodeStatusUnknown';
export const MESSAGE_STOPPED_POSTING = 'Kubelet stopped posting node status.';
export const REASON_NEVER_UPDATED = 'NodeStatusNeverUpdated';
export const MESSAGE_NEVER_POSTED = 'Kubelet never posted node status.';

export const condition = (node: Node, type: string): NodeCondition | undefined => node.status?.conditions?.find((c) => c.type === type);

/** Ready's status: 'True', 'False' or 'Unknown' (also when the node never posted one). */
export const readyStatus = (node: Node): string => condition(node, 'Ready')?.status ?? 'Unknown';

/**
 * The conditions once the kubelet is considered gone: Ready and the pressure conditions
 * Unknown (NodeStatusUnknown, or NodeStatusNeverUpdated for a condition never posted),
 * their heartbeat kept, the transition now. Undefined when they already are.
 */
export function unknownConditions(node: Node, now: string): NodeCondition[] | undefined {
  const conditions = (node.status?.conditions ?? []).map((c) => ({ ...c }));
  let changed = false;
  for (const type of HEALTH_CONDITIONS) {
    const c = conditions.find((x) => x.type === type);
    if (!c) {
      conditions.push({
        type,
        status: 'Unknown',
        reason: REASON_NEVER_UPDATED,
        message: MESSAGE_NEVER_POSTED,
        lastHeartbeatTime: node.metadata.creationTimestamp,
        lastTransitionTime: now,
      });
      changed = true;
    } else if (c.status !== 'Unknown') {
      Object.assign(c, { status: 'Unknown', reason: REASON_NODE_STATUS_UNKNOWN, message: MESSAGE_STOPPED_POSTING, lastTransitionTime: now });
      changed = true;
    }
  }
  return changed ? conditions : undefined;
}

/** TaintNodesByCondition: condition (and status) → the NoSchedule taint key it calls for. */
const CONDITION_TAINTS: Array<{ type: string; status: string; key: string }> = [
  { type: 'Ready', status: 'False', key: TAINT_NOT_READY },
  { type: 'Ready', status: 'Unknown', key: TAINT_UNREACHABLE },
  { type: 'MemoryPressure', status: 'True', key: TAINT_MEMORY_PRESSURE },
  { type: 'DiskPressure', status: 'True', key: TAINT_DISK_PRESSURE },
  { type: 'NetworkUnavailable', status: 'True', key: TAINT_NETWORK_UNAVAILABLE },
  { type: 'PIDPressure', status: 'True', key: TAINT_PID_PRESSURE },
];
const NO_SCHEDULE_KEYS = new Set([...CONDITION_TAINTS.map((c) => c.key), TAINT_UNSCHEDULABLE]);
const NO_EXECUTE_KEYS = new Set([TAINT_NOT_READY, TAINT_UNREACHABLE]);

/** The NoSchedule taint keys the node's conditions and `spec.unschedulable` call for. */
export function noScheduleTaintKeys(node: Node): string[] {
  const keys = CONDITION_TAINTS.filter((t) => condition(node, t.type)?.status === t.status).map((t) => t.key);
  if (node.spec?.unschedulable) keys.push(TAINT_UNSCHEDULABLE);
  return keys;
}

/** The NoExecute taint key for the node's Ready condition: False → not-ready, Unknown → unreachable. */
export function noExecuteTaintKey(node: Node): string | undefined {
  const s = readyStatus(node);
  return s === 'False' ? TAINT_NOT_READY : s === 'Unknown' ? TAINT_UNREACHABLE : undefined;
}

/**
 * The node's taints with the controller-managed ones as they should be; undefined when
 * nothing changes. `evict` false (every node is down: the controller cannot tell a dead
 * cluster from its own lost connection) leaves no NoExecute taint of its own.
 * A NoExecute taint that stays keeps its `timeAdded`; a new one gets `now`.
 */
export function planTaints(node: Node, now: string, evict: boolean): Taint[] | undefined {
  const current = node.spec?.taints ?? [];
  const noSchedule = new Set(noScheduleTaintKeys(node));
  const noExecute = evict ? noExecuteTaintKey(node) : undefined;
  const managed = (t: Taint) => (t.effect === 'NoSchedule' && NO_SCHEDULE_KEYS.has(t.key)) || (t.effect === 'NoExecute' && NO_EXECUTE_KEYS.has(t.key));
  const wanted = (t: Taint) => (t.effect === 'NoSchedule' ? noSchedule.has(t.key) : t.key === noExecute);
  const next = current.filter((t) => !managed(t) || wanted(t));
  for (const key of noSchedule) if (!next.some((t) => t.key === key && t.effect === 'NoSchedule')) next.push({ key, effect: 'NoSchedule' });
  if (noExecute && !next.some((t) => t.key === noExecute && t.effect === 'NoExecute')) next.push({ key: noExecute, effect: 'NoExecute', timeAdded: now });
  const same = next.length === current.length && next.every((t, i) => t === current[i]);
  return same ? undefined : next;
}
