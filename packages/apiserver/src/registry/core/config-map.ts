/** ConfigMaps: the DATA column counts data and binaryData keys. */
import { type Any, ageColumn, nameColumn } from '../printers.ts';
import { defineStrategy } from '../strategy.ts';

export const configMapStrategy = defineStrategy('', 'ConfigMap', {
  columns: [
    nameColumn,
    { name: 'Data', type: 'integer', cell: (o: Any) => Object.keys(o.data ?? {}).length + Object.keys(o.binaryData ?? {}).length },
    ageColumn,
  ],
});
