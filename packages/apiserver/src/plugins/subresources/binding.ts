/** `pods/{name}/binding` (POST): how the scheduler assigns a Pod to a node. */
import { apiErrors, isObject, type KubeObject, rfc3339 } from '@minik8s/api';
import type { FastifyPluginAsync } from 'fastify';
import type { ResourcePath } from '../../rest/paths.ts';
import type { Resources } from '../../rest/resources.ts';
import type { ServerDeps } from '../plugin.ts';

// biome-ignore lint/suspicious/noExplicitAny: Pods and Bindings are read loosely
type Any = any;

export const bindingSubresource: FastifyPluginAsync<ServerDeps> = async (_app, { resources, subresources, now }) => {
  subresources.add({
    name: 'binding',
    verbs: { POST: async (c) => c.reply.code(201).send(await bindPod(resources, c.path, c.req.body, now)) },
  });
};

/** Sets spec.nodeName once (a second binding is a conflict) and the PodScheduled condition. */
async function bindPod(resources: Resources, p: ResourcePath, body: unknown, now: () => Date): Promise<KubeObject> {
  const b = body as Any;
  const node = b?.target?.name;
  if (!isObject(b as unknown) || typeof node !== 'string' || !node) {
    throw apiErrors.invalid({ group: '', kind: 'Binding' }, typeof b?.metadata?.name === 'string' ? b.metadata.name : p.name!, [
      { reason: 'FieldValueRequired', field: 'target.name', message: 'Required value' },
    ]);
  }
  if (b.target.kind && b.target.kind !== 'Node') {
    throw apiErrors.invalid({ group: '', kind: 'Binding' }, p.name!, [
      { reason: 'FieldValueNotSupported', field: 'target.kind', message: `Unsupported value: ${JSON.stringify(b.target.kind)}: supported values: "Node"` },
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
