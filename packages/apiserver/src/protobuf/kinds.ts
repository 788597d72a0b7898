/**
 * Which top-level kinds the decoder accepts, and how an apiVersion's group maps to the
 * protobuf package its messages live in. The schema under schema/ holds every message
 * reachable from these kinds (internal/generate-schema.ts walks them).
 */

/** API group → short package name used in the schema ('' is the core group). */
export const GROUP_PACKAGES: Readonly<Record<string, string>> = {
  '': 'core',
  apps: 'apps',
  batch: 'batch',
  autoscaling: 'autoscaling',
  policy: 'policy',
  'rbac.authorization.k8s.io': 'rbac',
  'networking.k8s.io': 'networking',
  'scheduling.k8s.io': 'scheduling',
  'authorization.k8s.io': 'authorization',
  'authentication.k8s.io': 'authentication',
  'certificates.k8s.io': 'certificates',
  'meta.k8s.io': 'meta',
};

/**
 * Kinds that kubectl 1.32's typed clients send as protobuf, and their close relatives
 * (the other workload kinds share the pod template tree).
 */
export const KIND_MESSAGES: readonly string[] = [
  'core.v1.Namespace',
  'core.v1.ConfigMap',
  'core.v1.Secret',
  'core.v1.Service',
  'core.v1.ServiceAccount',
  'core.v1.ResourceQuota',
  'core.v1.Pod',
  'apps.v1.Deployment',
  'apps.v1.ReplicaSet',
  'apps.v1.StatefulSet',
  'apps.v1.DaemonSet',
  'batch.v1.Job',
  'batch.v1.CronJob',
  'autoscaling.v1.Scale',
  'autoscaling.v1.HorizontalPodAutoscaler',
  'autoscaling.v2.HorizontalPodAutoscaler',
  'rbac.v1.Role',
  'rbac.v1.RoleBinding',
  'rbac.v1.ClusterRole',
  'rbac.v1.ClusterRoleBinding',
  'networking.v1.Ingress',
  'networking.v1.IngressClass',
  'networking.v1.NetworkPolicy',
  'policy.v1.PodDisruptionBudget',
  'policy.v1.Eviction',
  'scheduling.v1.PriorityClass',
  'authorization.v1.SelfSubjectAccessReview',
  'authorization.v1.SelfSubjectRulesReview',
  'authorization.v1.SubjectAccessReview',
  'authorization.v1.LocalSubjectAccessReview',
  'authentication.v1.TokenRequest',
  'authentication.v1.TokenReview',
  'authentication.v1.SelfSubjectReview',
  'certificates.v1.CertificateSigningRequest',
  'meta.v1.DeleteOptions',
];

/**
 * Option kinds that every group version registers (a DELETE from the apps client carries
 * `apps/v1, Kind=DeleteOptions`); they all decode as the meta.k8s.io message.
 */
export const OPTION_KINDS: Readonly<Record<string, string>> = {
  DeleteOptions: 'meta.v1.DeleteOptions',
};

/** The schema message for an apiVersion and kind, or undefined when we do not decode it. */
export function messageForKind(apiVersion: string, kind: string): string | undefined {
  if (Object.hasOwn(OPTION_KINDS, kind)) return OPTION_KINDS[kind];
  const slash = apiVersion.indexOf('/');
  const group = slash < 0 ? '' : apiVersion.slice(0, slash);
  const version = apiVersion.slice(slash + 1);
  if (!Object.hasOwn(GROUP_PACKAGES, group)) return undefined;
  const name = `${GROUP_PACKAGES[group]}.${version}.${kind}`;
  return KIND_MESSAGES.includes(name) ? name : undefined;
}
