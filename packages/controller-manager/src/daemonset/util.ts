/**
 * Upstream's pkg/controller/daemon/util and the predicates of daemon_controller.go: which
 * nodes a DaemonSet's Pods belong on, the tolerations every daemon Pod gets, the node
 * affinity that ties a Pod to its node, and the rolling update's counts.
 */
import type { DaemonSet, Node, NodeSelectorTerm, Pod, PodSpec, PodTemplateSpec, Toleration } from '@minik8s/api';
import {
  firstUntolerated,
  matchesTerm,
  TAINT_DISK_PRESSURE,
  TAINT_MEMORY_PRESSURE,
  TAINT_NETWORK_UNAVAILABLE,
  TAINT_NOT_READY,
  TAINT_PID_PRESSURE,
  TAINT_UNREACHABLE,
  TAINT_UNSCHEDULABLE,
} from '@minik8s/api/scheduling';
import { scaledValue } from '../deployment/internal/util.ts';
import { stableJson } from '../internal/hash.ts';
import { CONTROLLER_REVISION_HASH } from '../internal/history.ts';

/** The label with the DaemonSet's template generation (extensions.DaemonSetTemplateGenerationKey, deprecated). */
export const TEMPLATE_GENERATION_LABEL = 'pod-template-generation';
/** The annotation the API server keeps the template generation in (deprecated.daemonset.template.generation). */
export const TEMPLATE_GENERATION_ANNOTATION = 'deprecated.daemonset.template.generation';

// ---------------------------------------------------------------- tolerations

function addOrUpdateToleration(spec: PodSpec, t: Toleration): void {
  const list = spec.tolerations ?? [];
  const i = list.findIndex(
    (x) => (x.key ?? '') === (t.key ?? '') && (x.effect ?? '') === (t.effect ?? '') && (x.operator ?? 'Equal') === (t.operator ?? 'Equal'),
  );
  if (i >= 0) {
    if (JSON.stringify(list[i]) === JSON.stringify(t)) return;
    list[i] = t;
  } else list.push(t);
  spec.tolerations = list;
}

/**
 * Upstream's AddOrUpdateDaemonPodTolerations: daemon Pods stay on not-ready and
 * unreachable nodes (NoExecute, for ever), and ignore the pressure and unschedulable
 * taints; host-network Pods also the network-unavailable one.
 */
export function addDaemonPodTolerations(spec: PodSpec): void {
  addOrUpdateToleration(spec, { key: TAINT_NOT_READY, operator: 'Exists', effect: 'NoExecute' });
  addOrUpdateToleration(spec, { key: TAINT_UNREACHABLE, operator: 'Exists', effect: 'NoExecute' });
  addOrUpdateToleration(spec, { key: TAINT_DISK_PRESSURE, operator: 'Exists', effect: 'NoSchedule' });
  addOrUpdateToleration(spec, { key: TAINT_MEMORY_PRESSURE, operator: 'Exists', effect: 'NoSchedule' });
  addOrUpdateToleration(spec, { key: TAINT_PID_PRESSURE, operator: 'Exists', effect: 'NoSchedule' });
  addOrUpdateToleration(spec, { key: TAINT_UNSCHEDULABLE, operator: 'Exists', effect: 'NoSchedule' });
  if (spec.hostNetwork) addOrUpdateToleration(spec, { key: TAINT_NETWORK_UNAVAILABLE, operator: 'Exists', effect: 'NoSchedule' });
}

/** The first taint with one of `effects` that no toleration tolerates (FindMatchingUntoleratedTaint). */
export const untoleratedTaint = firstUntolerated;

// ---------------------------------------------------------------- node affinity

/** Upstream's GetRequiredNodeAffinity(pod).Match(node): the nodeSelector and the required terms. */
export function matchesRequiredNodeAffinity(spec: PodSpec | undefined, node: Node): boolean {
  const labels = node.metadata.labels ?? {};
  for (const [k, v] of Object.entries(spec?.nodeSelector ?? {})) if (labels[k] !== v) return false;
  const required = spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution;
  if (!required) return true;
  return (required.nodeSelectorTerms ?? []).some((t) => matchesTerm(t, node));
}

/**
 * Upstream's ReplaceDaemonSetPodNodeNameNodeAffinity: the Pod's required node affinity
 * becomes the one term `metadata.name In [node]` (the DaemonSet's own terms already
 * matched the node), so the scheduler can only bind it there; preferred terms stay.
 */
export function replaceNodeNameAffinity(spec: PodSpec, nodeName: string): void {
  const term: NodeSelectorTerm = { matchFields: [{ key: 'metadata.name', operator: 'In', values: [nodeName] }] };
  spec.affinity ??= {};
  spec.affinity.nodeAffinity ??= {};
  spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution = { nodeSelectorTerms: [term] };
}

/** Upstream's GetTargetNodeName: spec.nodeName, or the node the affinity ties an unbound Pod to. */
export function targetNodeName(p: Pod): string | undefined {
  if (p.spec?.nodeName) return p.spec.nodeName;
  for (const t of p.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms ?? []) {
    for (const f of t.matchFields ?? []) {
      if (f.key === 'metadata.name' && f.operator === 'In' && f.values?.length === 1) return f.values[0];
    }
  }
  return undefined;
}

// ---------------------------------------------------------------- should run

export interface ShouldRun {
  /** A Pod should be created here if there is none. */
  shouldRun: boolean;
  /** A Pod already here may stay. */
  shouldContinueRunning: boolean;
}

/**
 * Upstream's NodeShouldRunDaemonPod: the node must be the template's nodeName (if any)
 * and match the nodeSelector and required node affinity; a NoSchedule or NoExecute taint
 * the Pod does not tolerate stops new Pods, and only a NoExecute one evicts a running Pod.
 * Cordoned nodes qualify: daemon Pods tolerate node.kubernetes.io/unschedulable.
 */
export function nodeShouldRunDaemonPod(node: Node, ds: DaemonSet): ShouldRun {
  const spec = ds.spec?.template?.spec;
  if (spec?.nodeName && spec.nodeName !== node.metadata.name) return { shouldRun: false, shouldContinueRunning: false };
  if (!matchesRequiredNodeAffinity(spec, node)) return { shouldRun: false, shouldContinueRunning: false };
  const podSpec: PodSpec = { containers: [], ...structuredClone(spec ?? {}) };
  addDaemonPodTolerations(podSpec);
  const taints = node.spec?.taints;
  if (untoleratedTaint(taints, podSpec.tolerations, ['NoSchedule', 'NoExecute'])) {
    return { shouldRun: false, shouldContinueRunning: !untoleratedTaint(taints, podSpec.tolerations, ['NoExecute']) };
  }
  return { shouldRun: true, shouldContinueRunning: true };
}

// ---------------------------------------------------------------- templates and revisions

/** The template generation the API server recorded (undefined if none). */
export function templateGeneration(ds: DaemonSet): string | undefined {
  const v = ds.metadata.annotations?.[TEMPLATE_GENERATION_ANNOTATION];
  return v && /^\d+$/.test(v) ? v : undefined;
}

/** Upstream's CreatePodTemplate: the template with the generation and hash labels and the daemon tolerations. */
export function podTemplate(ds: DaemonSet, hash: string): PodTemplateSpec {
  const t = structuredClone(ds.spec?.template ?? {});
  t.metadata ??= {};
  t.metadata.labels = { ...(t.metadata.labels ?? {}) };
  const gen = templateGeneration(ds);
  if (gen !== undefined) t.metadata.labels[TEMPLATE_GENERATION_LABEL] = gen;
  if (hash) t.metadata.labels[CONTROLLER_REVISION_HASH] = hash;
  t.spec ??= { containers: [] };
  addDaemonPodTolerations(t.spec);
  return t;
}

/** Upstream's IsPodUpdated: the Pod carries the current revision's hash (or template generation). */
export function isPodUpdated(p: Pod, hash: string, generation: string | undefined): boolean {
  const labels = p.metadata.labels ?? {};
  return (hash !== '' && labels[CONTROLLER_REVISION_HASH] === hash) || (generation !== undefined && labels[TEMPLATE_GENERATION_LABEL] === generation);
}

/**
 * Upstream's getPatch: the data of a DaemonSet's ControllerRevision, the template as a
 * strategic merge patch that replaces it (`kubectl rollout undo` applies it as it is).
 */
export function revisionData(ds: DaemonSet): { spec: { template: Record<string, unknown> } } {
  // Keys sorted, as Go marshals the map upstream builds, and the template's metadata with
  // the `creationTimestamp: null` Go writes for it: kubectl compares these bytes with its
  // own rendering of the DaemonSet to tell that a revision is the current one.
  const t = JSON.parse(stableJson(ds.spec?.template ?? {})) as { metadata?: Record<string, unknown> };
  const template = { $patch: 'replace', ...t, metadata: JSON.parse(stableJson({ creationTimestamp: null, ...(t.metadata ?? {}) })) };
  return { spec: { template } };
}

// ---------------------------------------------------------------- rolling update

const isRolling = (ds: DaemonSet) => (ds.spec?.updateStrategy?.type ?? 'RollingUpdate') === 'RollingUpdate';

/** Upstream's SurgeCount: maxSurge of the nodes that should run a Pod, percentages rounded up. */
export function surgeCount(ds: DaemonSet, desired: number): number {
  if (!isRolling(ds)) return 0;
  const v = ds.spec?.updateStrategy?.rollingUpdate?.maxSurge;
  return v === undefined ? 0 : scaledValue(v, desired, true);
}

/** Upstream's UnavailableCount: maxUnavailable of the nodes that should run a Pod, percentages rounded up. */
export function unavailableCount(ds: DaemonSet, desired: number): number {
  if (!isRolling(ds)) return 0;
  const v = ds.spec?.updateStrategy?.rollingUpdate?.maxUnavailable;
  return v === undefined ? 0 : scaledValue(v, desired, true);
}

/** Bound Pods first, then oldest first, then by name (upstream's podByCreationTimestampAndPhase). */
export function byCreationAndPhase(a: Pod, b: Pod): number {
  const bound = (p: Pod) => (p.spec?.nodeName ? 0 : 1);
  if (bound(a) !== bound(b)) return bound(a) - bound(b);
  const ta = Date.parse(a.metadata.creationTimestamp ?? '') || 0;
  const tb = Date.parse(b.metadata.creationTimestamp ?? '') || 0;
  if (ta !== tb) return ta - tb;
  return a.metadata.name! < b.metadata.name! ? -1 : a.metadata.name! > b.metadata.name! ? 1 : 0;
}
