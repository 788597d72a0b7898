/** ServiceAccounts: the SECRETS column. */
import { type Any, ageColumn, nameColumn } from '../printers.ts';
import { defineStrategy } from '../strategy.ts';

export const serviceAccountStrategy = defineStrategy('', 'ServiceAccount', {
  columns: [nameColumn, { name: 'Secrets', type: 'integer', cell: (o: Any) => (o.secrets ?? []).length }, ageColumn],
});
