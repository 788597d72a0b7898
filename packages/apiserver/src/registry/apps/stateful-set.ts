/**
 * StatefulSets (upstream's pkg/registry/apps/statefulset/strategy.go): validated as
 * upstream's ValidateStatefulSet (the spec fields other than replicas, ordinals,
 * template, updateStrategy, revisionHistoryLimit, persistentVolumeClaimRetentionPolicy
 * and minReadySeconds cannot change), and `updateStrategy.rollingUpdate.maxUnavailable`
 * dropped as the MaxUnavailableStatefulSet feature gate (alpha, off in 1.32) does,
 * unless the stored object already uses it.
 */
import { defaultStatefulSet, type KubeObject } from '@minik8s/api';
import { validateStatefulSet, validateStatefulSetUpdate } from '@minik8s/api/validation';
import { type Any, ageColumn, containerImages, containerNames, nameColumn, replicasCell } from '../printers.ts';
import { defineStrategy, hasStatusSubresource } from '../strategy.ts';

const maxUnavailableInUse = (o: KubeObject | undefined) => (o as Any)?.spec?.updateStrategy?.rollingUpdate?.maxUnavailable != null;

function dropMaxUnavailable(obj: KubeObject, old?: KubeObject): void {
  const ru = (obj as Any).spec?.updateStrategy?.rollingUpdate;
  if (ru && !maxUnavailableInUse(old)) delete ru.maxUnavailable;
}

export const statefulSetStrategy = defineStrategy('apps', 'StatefulSet', {
  defaults: defaultStatefulSet,
  // Upstream validates the decoded object, which defaulting has already filled in.
  validate: (o) => {
    const defaulted = structuredClone(o);
    defaultStatefulSet(defaulted);
    return validateStatefulSet(defaulted);
  },
  validateUpdate: (o, old) => validateStatefulSetUpdate(o, old),
  prepareForCreate: (_r, obj) => {
    obj.status = {};
    dropMaxUnavailable(obj);
  },
  prepareForUpdate: (r, obj, old) => {
    if (hasStatusSubresource(r)) {
      if (old.status === undefined) delete obj.status;
      else obj.status = old.status;
    }
    dropMaxUnavailable(obj, old);
  },
  columns: [
    nameColumn,
    { name: 'Ready', cell: replicasCell('replicas', 'readyReplicas') },
    ageColumn,
    { name: 'Containers', priority: 1, cell: containerNames },
    { name: 'Images', priority: 1, cell: containerImages },
  ],
});
