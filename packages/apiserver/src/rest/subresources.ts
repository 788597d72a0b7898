/**
 * The `scale` subresource (autoscaling/v1 Scale over a workload's spec.replicas, as
 * `kubectl scale` uses it) and pods' `binding` (how the scheduler assigns a node).
 */
import { apiErrors, isObject, type KubeObject, rfc3339 } from '@minik8s/api';
import { labelSelectorAsSelector } from '@minik8s/api/selectors';
import { jsonPatchApply, mergePatch, PATCH_TYPES } from './patch.ts';
import type { ResourcePath } from './paths.ts';
import type { Resources, WriteOptions } from './resources.ts';

// biome-ignore lint/suspicious/noExplicitAny: workloads are read loosely
type Any = any;

export function toScale(o: KubeObject): KubeObject {
  const w = o as Any;
  return {
    kind: 'Scale',
    apiVersion: 'autoscaling/v1',
    metadata: {
      name: o.metadata.name,
      namespace: o.metadata.namespace,
      uid: o.metadata.uid,
      resourceVersion: o.metadata.resourceVersion,
      creationTimestamp: o.metadata.creationTimestamp,
    },
    spec: { replicas: w.spec?.replicas ?? 0 },
    status: { replicas: w.status?.replicas ?? 0, selector: w.spec?.selector ? labelSelectorAsSelector(w.spec.selector).toString() : '' },
  };
}

export async function getScale(resources: Resources, p: ResourcePath): Promise<KubeObject> {
  return toScale(await resources.get({ ...p, subresource: undefined }));
}

/** PUT or PATCH of a Scale: its spec.replicas becomes the workload's. */
export async function writeScale(
  resources: Resources,
  p: ResourcePath,
  change: { put?: unknown; patch?: { type: string; body: unknown } },
  w: WriteOptions,
): Promise<KubeObject> {
  const updated = await resources.guaranteedUpdate(
    { ...p, subresource: undefined },
    (cur) => {
      const scale = toScale(cur);
      let next: Any;
      if (change.put !== undefined) next = change.put;
      else if (change.patch!.type === PATCH_TYPES.merge || change.patch!.type === PATCH_TYPES.strategic) next = mergePatch(scale, change.patch!.body);
      else if (change.patch!.type === PATCH_TYPES.json) next = jsonPatchApply(scale, change.patch!.body);
      else throw apiErrors.unsupportedMediaType(change.patch!.type, [PATCH_TYPES.merge, PATCH_TYPES.json, PATCH_TYPES.strategic]);
      if (!isObject(next as unknown) || !isObject(next.spec as unknown)) throw apiErrors.badRequest('the body must be an autoscaling/v1 Scale');
      const rv = next.metadata?.resourceVersion;
      if (rv && rv !== cur.metadata.resourceVersion) throw apiErrors.modified(p.resource, p.name!);
      const replicas = next.spec.replicas;
      if (!Number.isInteger(replicas) || replicas < 0) {
        throw apiErrors.invalid({ group: 'autoscaling', kind: 'Scale' }, p.name!, [
          { reason: 'FieldValueInvalid', field: 'spec.replicas', message: `Invalid value: ${JSON.stringify(replicas)}: must be greater than or equal to 0` },
        ]);
      }
      return { ...cur, spec: { ...(cur as Any).spec, replicas } };
    },
    w,
  );
  return toScale(updated);
}

/** POST pods/{name}/binding: sets spec.nodeName once; a second binding is a conflict. */
export async function bindPod(resources: Resources, p: ResourcePath, body: unknown, now: () => Date): Promise<KubeObject> {
  const b = body as Any;
  const node = b?.target?.name;
  if (!isObject(b as unknown) || typeof node !== 'string' || !node) {
    throw apiErrors.invalid({ group: '', kind: 'Binding' }, b?.metadata?.name ?? p.name!, [
      { reason: 'FieldValueRequired', field: 'target.name', message: 'Required value' },
    ]);
  }
  if (b.target.kind && b.target.kind !== 'Node') {
    throw apiErrors.invalid({ group: '', kind: 'Binding' }, p.name!, [
      { reason: 'FieldValueNotSupported', field: 'target.kind', message: `Unsupported value: "${b.target.kind}": supported values: "Node"` },
    ]);
  }
  await resources.guaranteedUpdate({ ...p, subresource: undefined }, (cur) => {
    const pod = cur as Any;
    if (pod.metadata.deletionTimestamp) throw apiErrors.conflict(p.resource, p.name!, 'pod is being deleted, cannot be assigned to a host');
    if (pod.spec?.nodeName) throw apiErrors.conflict(p.resource, p.name!, `pod ${p.name} is already assigned to node "${pod.spec.nodeName}"`);
    return { ...cur, spec: { ...pod.spec, nodeName: node } };
  });
  // The PodScheduled condition goes on status, which the main resource may not write.
  await resources.guaranteedUpdate({ ...p, subresource: 'status' }, (cur) => {
    const status = { ...((cur as Any).status ?? {}) };
    const conditions = (status.conditions ?? []).filter((c: Any) => c.type !== 'PodScheduled');
    conditions.push({ type: 'PodScheduled', status: 'True', lastProbeTime: null, lastTransitionTime: rfc3339(now()) });
    return { ...cur, status: { ...status, conditions } };
  });
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code: 201 } as unknown as KubeObject;
}
