/** PodDisruptionBudgets (upstream's pkg/registry/policy/poddisruptionbudget/strategy.go). */
import { validatePodDisruptionBudget } from '@minik8s/api/validation';
import { type Any, ageColumn, nameColumn } from '../printers.ts';
import { defineStrategy } from '../strategy.ts';

const orNA = (v: unknown) => (v === undefined || v === null ? 'N/A' : String(v));

export const podDisruptionBudgetStrategy = defineStrategy('policy', 'PodDisruptionBudget', {
  validate: validatePodDisruptionBudget,
  columns: [
    nameColumn,
    { name: 'Min Available', cell: (o: Any) => orNA(o.spec?.minAvailable) },
    { name: 'Max Unavailable', cell: (o: Any) => orNA(o.spec?.maxUnavailable) },
    { name: 'Allowed Disruptions', type: 'integer', cell: (o: Any) => o.status?.disruptionsAllowed ?? 0 },
    ageColumn,
  ],
});
