/** Jobs (upstream's pkg/registry/batch/job/strategy.go). */
import { defaultJob } from '@minik8s/api';
import { validateJob } from '@minik8s/api/validation';
import { type Any, ageColumn, nameColumn } from '../printers.ts';
import { defineStrategy } from '../strategy.ts';

const hasCondition = (o: Any, type: string) => (o.status?.conditions ?? []).some((c: Any) => c.type === type && c.status === 'True');

export const jobStrategy = defineStrategy('batch', 'Job', {
  defaults: defaultJob,
  validate: validateJob,
  columns: [
    nameColumn,
    { name: 'Status', cell: (o: Any) => (hasCondition(o, 'Complete') ? 'Complete' : hasCondition(o, 'Failed') ? 'Failed' : 'Running') },
    { name: 'Completions', cell: (o: Any) => `${o.status?.succeeded ?? 0}/${o.spec?.completions ?? 1}` },
    ageColumn,
  ],
});
