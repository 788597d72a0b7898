/**
 * `<workload>/{name}/scale`: an autoscaling/v1 Scale over the workload's spec.replicas,
 * as `kubectl scale` and client-go's scale client use it.
 */
import { apiErrors, isObject, type KubeObject } from '@minik8s/api';
import { labelSelectorAsSelector } from '@minik8s/api/selectors';
import type { FastifyPluginAsync } from 'fastify';
import { jsonPatchApply, mergePatch, PATCH_TYPES } from '../../rest/patch.ts';
import type { ResourcePath } from '../../rest/paths.ts';
import type { Resources, WriteOptions } from '../../rest/resources.ts';
import type { ServerDeps } from '../plugin.ts';

// biome-ignore lint/suspicious/noExplicitAny: workloads are read loosely
type Any = any;

export const scaleSubresource: FastifyPluginAsync<ServerDeps> = async (_app, { resources, subresources }) => {
  subresources.add({
    name: 'scale',
    verbs: {
      GET: async (c) => toScale(await resources.get({ ...c.path, subresource: undefined })),
      PUT: async (c) => writeScale(resources, c.path, { put: c.req.body }, c.write),
      PATCH: async (c) => {
        const type = (c.req.headers['content-type'] ?? '').split(';')[0]!.trim();
        return writeScale(resources, c.path, { patch: { type, body: c.req.body } }, c.write);
      },
    },
  });
};

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

/** PUT or PATCH of a Scale: its spec.replicas becomes the workload's. */
async function writeScale(
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
