/**
 * The upstream object types (from the `kubernetes-types` package, generated from the
 * Kubernetes 1.30 OpenAPI spec), re-exported so components import them from one place.
 * Top-level kinds are joined with `KubeObject`, so they carry `metadata` and fit every
 * client call (`client.get<Pod>(...)`).
 */
import type * as apps from 'kubernetes-types/apps/v1.js';
import type * as batch from 'kubernetes-types/batch/v1.js';
import type * as coordination from 'kubernetes-types/coordination/v1.js';
import type * as core from 'kubernetes-types/core/v1.js';
import type { KubeObject } from './meta.ts';

export type {
  DaemonSetSpec,
  DaemonSetStatus,
  DeploymentCondition,
  DeploymentSpec,
  DeploymentStatus,
  ReplicaSetSpec,
  ReplicaSetStatus,
  StatefulSetSpec,
  StatefulSetStatus,
} from 'kubernetes-types/apps/v1.js';
export type {
  Container,
  ContainerPort,
  ContainerState,
  ContainerStatus,
  EnvVar,
  NodeCondition,
  NodeSelectorRequirement,
  NodeSelectorTerm,
  PodCondition,
  PodSpec,
  PodStatus,
  PodTemplateSpec,
  Probe,
  ResourceRequirements,
  Taint,
  Toleration,
} from 'kubernetes-types/core/v1.js';

export type Pod = core.Pod & KubeObject;
export type Node = core.Node & KubeObject;
export type Namespace = core.Namespace & KubeObject;
export type Service = core.Service & KubeObject;
export type Event = core.Event & KubeObject;
export type Deployment = apps.Deployment & KubeObject;
export type ReplicaSet = apps.ReplicaSet & KubeObject;
export type DaemonSet = apps.DaemonSet & KubeObject;
export type StatefulSet = apps.StatefulSet & KubeObject;
export type PersistentVolumeClaim = core.PersistentVolumeClaim & KubeObject;
export type ControllerRevision = apps.ControllerRevision & KubeObject;
export type Lease = coordination.Lease & KubeObject;
export type Job = batch.Job & KubeObject;
export type CronJob = batch.CronJob & KubeObject;
export type { JobCondition, JobSpec, JobStatus, PodFailurePolicyRule } from 'kubernetes-types/batch/v1.js';
