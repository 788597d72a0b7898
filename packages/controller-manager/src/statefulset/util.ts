/**
 * The StatefulSet controller's pure helpers (upstream's stateful_set_utils.go): Pod
 * identity (`<set>-<ordinal>`, hostname and subdomain, the pod-name and pod-index
 * labels), storage (one claim per volumeClaimTemplate and ordinal), the claims' owner
 * references under the retention policy, and revisions as a patch of the template.
 */
import {
  type ControllerRevision,
  isPodAvailable,
  isPodReady,
  type OwnerReference,
  type PersistentVolumeClaim,
  type Pod,
  type PodTemplateSpec,
  type StatefulSet,
} from '@minik8s/api';
import { newControllerRef } from '../internal/controller-ref.ts';
import { stableJson } from '../internal/hash.ts';
import { CONTROLLER_REVISION_HASH } from '../internal/history.ts';

/** apps.StatefulSetPodNameLabel. */
export const POD_NAME_LABEL = 'statefulset.kubernetes.io/pod-name';
/** apps.PodIndexLabel (the PodIndexLabel feature, on by default since 1.28). */
export const POD_INDEX_LABEL = 'apps.kubernetes.io/pod-index';
export const STS_KIND = { apiVersion: 'apps/v1', kind: 'StatefulSet' };
export const POD_KIND = { apiVersion: 'v1', kind: 'Pod' };

const ORDINAL = /^(.*)-(\d+)$/;

/** Upstream's getParentNameAndOrdinal: `web-3` → web, 3; -1 when the name has no ordinal. */
export function parentAndOrdinal(pod: Pod): { parent: string; ordinal: number } {
  const m = ORDINAL.exec(pod.metadata.name ?? '');
  if (!m) return { parent: '', ordinal: -1 };
  const ordinal = Number(m[2]);
  return Number.isSafeInteger(ordinal) ? { parent: m[1]!, ordinal } : { parent: '', ordinal: -1 };
}

export const ordinalOf = (pod: Pod): number => parentAndOrdinal(pod).ordinal;

/** Upstream's isMemberOf: the Pod's name is `<set>-<ordinal>`. */
export const isMemberOf = (set: StatefulSet, pod: Pod): boolean => parentAndOrdinal(pod).parent === set.metadata.name;

export const podName = (set: StatefulSet, ordinal: number): string => `${set.metadata.name}-${ordinal}`;

/** spec.ordinals.start (0 by default). */
export const startOrdinal = (set: StatefulSet): number => set.spec?.ordinals?.start ?? 0;
/** One past the highest ordinal the set wants. */
export const endOrdinal = (set: StatefulSet): number => startOrdinal(set) + (set.spec?.replicas ?? 1);
export const inOrdinalRange = (set: StatefulSet, ordinal: number): boolean => ordinal >= startOrdinal(set) && ordinal < endOrdinal(set);

export const claimName = (set: StatefulSet, template: PersistentVolumeClaim, ordinal: number): string =>
  `${template.metadata?.name}-${set.metadata.name}-${ordinal}`;

/** Upstream's getPersistentVolumeClaims: the claims the Pod of `ordinal` uses, by template name. */
export function claimsFor(set: StatefulSet, ordinal: number): Map<string, PersistentVolumeClaim> {
  const out = new Map<string, PersistentVolumeClaim>();
  for (const t of set.spec?.volumeClaimTemplates ?? []) {
    const name = t.metadata?.name;
    if (!name) continue;
    const matchLabels = set.spec?.selector?.matchLabels ?? {};
    out.set(name, {
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      metadata: {
        name: claimName(set, t as PersistentVolumeClaim, ordinal),
        namespace: set.metadata.namespace,
        labels: { ...(t.metadata?.labels ?? {}), ...matchLabels },
        ...(t.metadata?.annotations ? { annotations: { ...t.metadata.annotations } } : {}),
      },
      spec: structuredClone(t.spec ?? {}),
    } as PersistentVolumeClaim);
  }
  return out;
}

/** Upstream's newStatefulSetPod + setPodRevision: the Pod of `ordinal` from `template`, not yet created. */
export function newStatefulSetPod(set: StatefulSet, template: PodTemplateSpec, ordinal: number, revision: string): Pod {
  const name = podName(set, ordinal);
  const spec = structuredClone(template.spec ?? { containers: [] });
  spec.hostname = name;
  if (set.spec?.serviceName) spec.subdomain = set.spec.serviceName;
  const claims = claimsFor(set, ordinal);
  spec.volumes = [
    ...[...claims].map(([volume, claim]) => ({ name: volume, persistentVolumeClaim: { claimName: claim.metadata.name! } })),
    ...(spec.volumes ?? []).filter((v) => !claims.has(v.name)),
  ];
  if (spec.volumes.length === 0) delete spec.volumes;
  const m = template.metadata ?? {};
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      generateName: `${set.metadata.name}-`,
      namespace: set.metadata.namespace,
      labels: { ...(m.labels ?? {}), [POD_NAME_LABEL]: name, [POD_INDEX_LABEL]: String(ordinal), [CONTROLLER_REVISION_HASH]: revision },
      ...(m.annotations ? { annotations: { ...m.annotations } } : {}),
      ...(m.finalizers ? { finalizers: [...m.finalizers] } : {}),
      ownerReferences: [newControllerRef(set, STS_KIND)],
    },
    spec,
  } as Pod;
}

/** Upstream's identityMatches: the name, namespace and identity labels the ordinal implies. */
export function identityMatches(set: StatefulSet, pod: Pod): boolean {
  const { parent, ordinal } = parentAndOrdinal(pod);
  return (
    ordinal >= 0 &&
    parent === set.metadata.name &&
    pod.metadata.namespace === set.metadata.namespace &&
    pod.metadata.labels?.[POD_NAME_LABEL] === pod.metadata.name &&
    pod.metadata.labels?.[POD_INDEX_LABEL] === String(ordinal)
  );
}

export const podRevision = (pod: Pod): string | undefined => pod.metadata.labels?.[CONTROLLER_REVISION_HASH];

export const isRunningAndReady = (pod: Pod): boolean => pod.status?.phase === 'Running' && isPodReady(pod);
export const isRunningAndAvailable = (pod: Pod, minReadySeconds: number, now: number): boolean =>
  pod.status?.phase === 'Running' && isPodAvailable(pod, minReadySeconds, now);
export const isTerminating = (pod: Pod): boolean => !!pod.metadata.deletionTimestamp;
export const isHealthy = (pod: Pod): boolean => isRunningAndReady(pod) && !isTerminating(pod);
export const hasFinished = (pod: Pod): boolean => pod.status?.phase === 'Failed' || pod.status?.phase === 'Succeeded';

/** Upstream's getPatch: the template (Go's encoding: `creationTimestamp: null` in its metadata) to be put back with `$patch: replace`. */
export function revisionData(set: StatefulSet): { spec: { template: Record<string, unknown> } } {
  const t = JSON.parse(stableJson(set.spec?.template ?? {})) as { metadata?: Record<string, unknown> };
  const template = { $patch: 'replace', ...t, metadata: JSON.parse(stableJson({ creationTimestamp: null, ...(t.metadata ?? {}) })) };
  return { spec: { template } };
}

/** Upstream's ApplyRevision for the part a revision holds: the template it saved. */
export function templateOf(rev: ControllerRevision, fallback: PodTemplateSpec): PodTemplateSpec {
  const t = (rev.data as { spec?: { template?: Record<string, unknown> } } | undefined)?.spec?.template;
  if (!t) return fallback;
  const { $patch: _, ...rest } = t;
  const out = structuredClone(rest) as PodTemplateSpec;
  if (out.metadata && (out.metadata as Record<string, unknown>).creationTimestamp === null) delete (out.metadata as Record<string, unknown>).creationTimestamp;
  return out;
}

// ---------------------------------------------------------------- claim retention

type Policy = 'Retain' | 'Delete';

function retention(set: StatefulSet): { whenDeleted: Policy; whenScaled: Policy } {
  const p = set.spec?.persistentVolumeClaimRetentionPolicy;
  return { whenDeleted: p?.whenDeleted === 'Delete' ? 'Delete' : 'Retain', whenScaled: p?.whenScaled === 'Delete' ? 'Delete' : 'Retain' };
}

/**
 * The owners the claim of `pod` should have under the retention policy (upstream's
 * updateClaimOwnerRefForSetAndPod): whenDeleted=Delete makes the set the claim's
 * controller while the Pod's ordinal is in range; whenScaled=Delete makes the Pod its
 * controller once the ordinal is out of range. Returns undefined when nothing changes,
 * and leaves claims controlled by anything else alone.
 */
export function claimOwnersFor(claim: PersistentVolumeClaim, set: StatefulSet, pod: Pod): OwnerReference[] | undefined {
  const refs = claim.metadata.ownerReferences ?? [];
  const ours = (r: OwnerReference) =>
    (r.kind === 'StatefulSet' && r.name === set.metadata.name && r.apiVersion.startsWith('apps/')) || (r.kind === 'Pod' && r.name === pod.metadata.name);
  // A reference to an earlier object of the same name: that claim is not ours to manage.
  if (refs.some((r) => ours(r) && r.uid !== (r.kind === 'Pod' ? pod.metadata.uid : set.metadata.uid))) return undefined;
  const unexpected = refs.some((r) => r.controller && r.uid !== set.metadata.uid && r.uid !== pod.metadata.uid);
  const next = refs.filter((r) => !ours(r));
  if (!unexpected) {
    const { whenDeleted, whenScaled } = retention(set);
    const scaledDown = !inOrdinalRange(set, ordinalOf(pod));
    if (whenScaled === 'Delete' && scaledDown) next.push(newControllerRef(pod, POD_KIND));
    else if (whenDeleted === 'Delete') next.push(newControllerRef(set, STS_KIND));
  }
  const key = (rs: OwnerReference[]) => stableJson([...rs].sort((a, b) => (a.uid < b.uid ? -1 : 1)));
  return key(next) === key(refs) ? undefined : next;
}
