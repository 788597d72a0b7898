/** DaemonSets (upstream's pkg/registry/apps/daemonset/strategy.go): no replicas. */
import { defaultDaemonSet } from '@minik8s/api';
import { validateReplicatedWorkload } from '@minik8s/api/validation';
import { type Any, ageColumn, joined, nameColumn } from '../printers.ts';
import { defineStrategy } from '../strategy.ts';

export const daemonSetStrategy = defineStrategy('apps', 'DaemonSet', {
  defaults: defaultDaemonSet,
  validate: (o) => validateReplicatedWorkload(o, { replicas: false }),
  columns: [
    nameColumn,
    { name: 'Desired', type: 'integer', cell: (o: Any) => o.status?.desiredNumberScheduled ?? 0 },
    { name: 'Current', type: 'integer', cell: (o: Any) => o.status?.currentNumberScheduled ?? 0 },
    { name: 'Ready', type: 'integer', cell: (o: Any) => o.status?.numberReady ?? 0 },
    { name: 'Up-to-date', type: 'integer', cell: (o: Any) => o.status?.updatedNumberScheduled ?? 0 },
    { name: 'Available', type: 'integer', cell: (o: Any) => o.status?.numberAvailable ?? 0 },
    { name: 'Node Selector', cell: (o: Any) => joined(Object.entries(o.spec?.template?.spec?.nodeSelector ?? {}).map(([k, v]) => `${k}=${v}`)) },
    ageColumn,
  ],
});
