/**
 * A Job's podFailurePolicy (upstream's pod_failure_policy.go): the first rule that
 * matches a failed Pod decides what its failure means. onExitCodes looks at the
 * terminated containers (app and init, optionally one by name) whose exit code is not 0;
 * onPodConditions at the Pod's conditions.
 */
import type { ContainerStatus, JobSpec, Pod, PodFailurePolicyRule } from '@minik8s/api';

export type PolicyAction = 'FailJob' | 'FailIndex' | 'Ignore' | 'Count';

export interface PolicyMatch {
  /** The matching rule's action; undefined when no rule matched (the failure counts). */
  action?: PolicyAction;
  /** Whether the failure counts against backoffLimit. */
  counts: boolean;
  /** For FailJob: the message of the Job's failure condition. */
  message?: string;
}

export function matchPodFailurePolicy(policy: JobSpec['podFailurePolicy'], pod: Pod): PolicyMatch {
  const rules = policy?.rules ?? [];
  for (const [i, rule] of rules.entries()) {
    const action = rule.action as PolicyAction;
    if (rule.onExitCodes) {
      const hit = matchExitCodes(rule, pod);
      if (!hit) continue;
      return result(
        action,
        `Container ${hit.name} for pod ${pod.metadata?.namespace}/${pod.metadata?.name} failed with exit code ${hit.code} matching ${action} rule at index ${i}`,
      );
    }
    if (rule.onPodConditions?.length) {
      const cond = rule.onPodConditions.find((pc) => (pod.status?.conditions ?? []).some((c) => c.type === pc.type && c.status === (pc.status ?? 'True')));
      if (!cond) continue;
      return result(action, `Pod ${pod.metadata?.namespace}/${pod.metadata?.name} has condition ${cond.type} matching ${action} rule at index ${i}`);
    }
  }
  return { counts: true };
}

function result(action: PolicyAction, message: string): PolicyMatch {
  if (action === 'Ignore') return { action, counts: false };
  if (action === 'FailJob') return { action, counts: true, message };
  return { action, counts: true };
}

function matchExitCodes(rule: PodFailurePolicyRule, pod: Pod): { name: string; code: number } | undefined {
  const req = rule.onExitCodes!;
  const statuses: ContainerStatus[] = [...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.containerStatuses ?? [])];
  for (const s of statuses) {
    if (req.containerName && req.containerName !== s.name) continue;
    const code = s.state?.terminated?.exitCode;
    if (code === undefined || code === 0) continue;
    const listed = req.values.includes(code);
    if ((req.operator === 'In' && listed) || (req.operator === 'NotIn' && !listed)) return { name: s.name, code };
  }
  return undefined;
}
