/** A ReplicaSet's status from the Pods it owns (upstream's calculateStatus). */
import { isPodAvailable, isPodReady, type Pod, type ReplicaSet } from '@minik8s/api';
import { selectorFromSet } from '@minik8s/api/selectors';
import { timestamp } from '../internal/context.ts';

type ReplicaSetStatus = NonNullable<ReplicaSet['status']>;
type ReplicaSetCondition = NonNullable<ReplicaSetStatus['conditions']>[number];

/** `manageError`: what went wrong creating (`diff` < 0) or deleting Pods, shown as a ReplicaFailure condition. */
export function calculateStatus(rs: ReplicaSet, pods: Pod[], now: number, manageError?: { error: Error; creating: boolean }): ReplicaSetStatus {
  const templateLabels = selectorFromSet(rs.spec?.template?.metadata?.labels);
  const minReadySeconds = rs.spec?.minReadySeconds ?? 0;
  let fullyLabeled = 0;
  let ready = 0;
  let available = 0;
  for (const p of pods) {
    if (templateLabels.matches(p.metadata?.labels)) fullyLabeled++;
    if (isPodReady(p)) {
      ready++;
      if (isPodAvailable(p, minReadySeconds, now)) available++;
    }
  }
  const status: ReplicaSetStatus = structuredClone(rs.status ?? { replicas: 0 });
  status.replicas = pods.length;
  status.fullyLabeledReplicas = fullyLabeled;
  status.readyReplicas = ready;
  status.availableReplicas = available;
  let conditions: ReplicaSetCondition[] = status.conditions ?? [];
  const failure = conditions.find((c) => c.type === 'ReplicaFailure');
  if (manageError && !failure) {
    conditions = [
      ...conditions,
      {
        type: 'ReplicaFailure',
        status: 'True',
        reason: manageError.creating ? 'FailedCreate' : 'FailedDelete',
        message: manageError.error.message,
        lastTransitionTime: timestamp(now),
      },
    ];
  } else if (!manageError && failure) {
    conditions = conditions.filter((c) => c.type !== 'ReplicaFailure');
  }
  if (conditions.length) status.conditions = conditions;
  else delete status.conditions;
  return status;
}

/** Status as upstream stores it: zero counts left out (omitempty), `replicas` always there. */
export function normalizeStatus(s: ReplicaSetStatus): ReplicaSetStatus {
  const out: ReplicaSetStatus = { replicas: s.replicas ?? 0 };
  for (const k of ['fullyLabeledReplicas', 'readyReplicas', 'availableReplicas', 'observedGeneration'] as const) {
    if (s[k]) out[k] = s[k];
  }
  if (s.conditions?.length) out.conditions = s.conditions;
  return out;
}
