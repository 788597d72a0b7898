/**
 * Nodes (upstream's pkg/registry/core/node): a kubelet registers its Node with a status,
 * which is kept; STATUS shows readiness and cordoning.
 */
import { type Any, ageColumn, nameColumn, none } from '../printers.ts';
import { defineStrategy, keepStatusOnCreate } from '../strategy.ts';

export const nodeStrategy = defineStrategy('', 'Node', {
  ...keepStatusOnCreate,
  columns: [
    nameColumn,
    {
      name: 'Status',
      cell: (o: Any) => {
        const ready = (o.status?.conditions ?? []).find((c: Any) => c.type === 'Ready');
        const s = ready?.status === 'True' ? 'Ready' : ready ? 'NotReady' : 'Unknown';
        return o.spec?.unschedulable ? `${s},SchedulingDisabled` : s;
      },
    },
    { name: 'Roles', cell: () => '<none>' },
    ageColumn,
    { name: 'Version', cell: (o: Any) => o.status?.nodeInfo?.kubeletVersion ?? '' },
    { name: 'Internal-IP', priority: 1, cell: (o: Any) => none((o.status?.addresses ?? []).find((a: Any) => a.type === 'InternalIP')?.address) },
  ],
});
