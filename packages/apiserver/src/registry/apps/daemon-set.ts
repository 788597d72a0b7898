/**
 * DaemonSets (upstream's pkg/registry/apps/daemonset/strategy.go): no replicas, an
 * immutable selector, and the template generation (1, then one more for every template
 * change) shown as the `deprecated.daemonset.template.generation` annotation, as the v1
 * conversion writes it.
 */
import { isDeepStrictEqual } from 'node:util';
import { defaultDaemonSet, type KubeObject } from '@minik8s/api';
import { validateDaemonSetUpdate, validateReplicatedWorkload } from '@minik8s/api/validation';
import { type Any, ageColumn, containerImages, containerNames, joined, nameColumn } from '../printers.ts';
import { defineStrategy, hasStatusSubresource } from '../strategy.ts';

export const TEMPLATE_GENERATION = 'deprecated.daemonset.template.generation';

function setTemplateGeneration(obj: KubeObject, generation: number): void {
  obj.metadata.annotations = { ...(obj.metadata.annotations ?? {}), [TEMPLATE_GENERATION]: String(generation) };
}

export const daemonSetStrategy = defineStrategy('apps', 'DaemonSet', {
  defaults: defaultDaemonSet,
  validate: (o) => validateReplicatedWorkload(o, { replicas: false }),
  validateUpdate: (o, old) => validateDaemonSetUpdate(o, old),
  prepareForCreate: (_r, obj) => {
    obj.status = {};
    setTemplateGeneration(obj, 1);
  },
  prepareForUpdate: (r, obj, old) => {
    if (hasStatusSubresource(r)) {
      if (old.status === undefined) delete obj.status;
      else obj.status = old.status;
    }
    const before = Number(old.metadata.annotations?.[TEMPLATE_GENERATION] ?? '1') || 1;
    const changed = !isDeepStrictEqual((obj as Any).spec?.template, (old as Any).spec?.template);
    setTemplateGeneration(obj, changed ? before + 1 : before);
  },
  columns: [
    nameColumn,
    { name: 'Desired', type: 'integer', cell: (o: Any) => o.status?.desiredNumberScheduled ?? 0 },
    { name: 'Current', type: 'integer', cell: (o: Any) => o.status?.currentNumberScheduled ?? 0 },
    { name: 'Ready', type: 'integer', cell: (o: Any) => o.status?.numberReady ?? 0 },
    { name: 'Up-to-date', type: 'integer', cell: (o: Any) => o.status?.updatedNumberScheduled ?? 0 },
    { name: 'Available', type: 'integer', cell: (o: Any) => o.status?.numberAvailable ?? 0 },
    { name: 'Node Selector', cell: (o: Any) => joined(Object.entries(o.spec?.template?.spec?.nodeSelector ?? {}).map(([k, v]) => `${k}=${v}`)) },
    ageColumn,
    { name: 'Containers', priority: 1, cell: containerNames },
    { name: 'Images', priority: 1, cell: containerImages },
    { name: 'Selector', priority: 1, cell: (o: Any) => joined(Object.entries(o.spec?.selector?.matchLabels ?? {}).map(([k, v]) => `${k}=${v}`)) },
  ],
});
