/** StatefulSets (upstream's pkg/registry/apps/statefulset/strategy.go). */
import { defaultStatefulSet } from '@minik8s/api';
import { validateReplicatedWorkload } from '@minik8s/api/validation';
import { ageColumn, nameColumn, replicasCell } from '../printers.ts';
import { defineStrategy } from '../strategy.ts';

export const statefulSetStrategy = defineStrategy('apps', 'StatefulSet', {
  defaults: defaultStatefulSet,
  validate: (o) => validateReplicatedWorkload(o, { replicas: true }),
  columns: [nameColumn, { name: 'Ready', cell: replicasCell('replicas', 'readyReplicas') }, ageColumn],
});
