/** Deployments (upstream's pkg/registry/apps/deployment/strategy.go). */
import { defaultDeployment } from '@minik8s/api';
import { validateReplicatedWorkload } from '@minik8s/api/validation';
import { type Any, ageColumn, containerImages, containerNames, joined, nameColumn, replicasCell } from '../printers.ts';
import { defineStrategy } from '../strategy.ts';

export const deploymentStrategy = defineStrategy('apps', 'Deployment', {
  defaults: defaultDeployment,
  validate: (o) => validateReplicatedWorkload(o, { replicas: true }),
  columns: [
    nameColumn,
    { name: 'Ready', cell: replicasCell('replicas', 'readyReplicas') },
    { name: 'Up-to-date', type: 'integer', cell: (o: Any) => o.status?.updatedReplicas ?? 0 },
    { name: 'Available', type: 'integer', cell: (o: Any) => o.status?.availableReplicas ?? 0 },
    ageColumn,
    { name: 'Containers', priority: 1, cell: containerNames },
    { name: 'Images', priority: 1, cell: containerImages },
    { name: 'Selector', priority: 1, cell: (o: Any) => joined(Object.entries(o.spec?.selector?.matchLabels ?? {}).map(([k, v]) => `${k}=${v}`)) },
  ],
});
