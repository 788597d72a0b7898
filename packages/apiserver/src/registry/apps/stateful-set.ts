/** StatefulSets (upstream's pkg/registry/apps/statefulset/strategy.go). */
import { validateReplicatedWorkload } from '@minik8s/api/validation';
import { ageColumn, nameColumn, replicasCell } from '../printers.ts';
import { defineStrategy } from '../strategy.ts';

export const statefulSetStrategy = defineStrategy('apps', 'StatefulSet', {
  validate: (o) => validateReplicatedWorkload(o, { replicas: true }),
  columns: [nameColumn, { name: 'Ready', cell: replicasCell('replicas', 'readyReplicas') }, ageColumn],
});
