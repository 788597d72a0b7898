/** ReplicaSets (upstream's pkg/registry/apps/replicaset/strategy.go). */
import { defaultReplicaSet } from '@minik8s/api';
import { validateReplicatedWorkload } from '@minik8s/api/validation';
import { type Any, ageColumn, nameColumn } from '../printers.ts';
import { defineStrategy } from '../strategy.ts';

export const replicaSetStrategy = defineStrategy('apps', 'ReplicaSet', {
  defaults: defaultReplicaSet,
  validate: (o) => validateReplicatedWorkload(o, { replicas: true }),
  columns: [
    nameColumn,
    { name: 'Desired', type: 'integer', cell: (o: Any) => o.spec?.replicas ?? 0 },
    { name: 'Current', type: 'integer', cell: (o: Any) => o.status?.replicas ?? 0 },
    { name: 'Ready', type: 'integer', cell: (o: Any) => o.status?.readyReplicas ?? 0 },
    ageColumn,
  ],
});
