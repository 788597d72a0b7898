/**
 * The upstream object types (from the `kubernetes-types` package, generated from the
 * Kubernetes 1.30 OpenAPI spec), re-exported so components import them from one place.
 */
export type {
  Container,
  ContainerState,
  ContainerStatus,
  Event,
  Namespace,
  Node,
  NodeCondition,
  Pod,
  PodCondition,
  PodSpec,
  PodStatus,
  PodTemplateSpec,
  Probe,
  Service,
  Taint,
  Toleration,
} from 'kubernetes-types/core/v1.js';
export type { Deployment, DeploymentCondition, ReplicaSet } from 'kubernetes-types/apps/v1.js';
export type { Lease } from 'kubernetes-types/coordination/v1.js';
