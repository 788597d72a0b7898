/** Secrets: keys and total size of data and stringData as upstream; TYPE and DATA columns. */
import { defaultSecret } from '@minik8s/api';
import { validateSecretData } from '@minik8s/api/validation';
import { type Any, ageColumn, nameColumn } from '../printers.ts';
import { defineStrategy } from '../strategy.ts';

export const secretStrategy = defineStrategy('', 'Secret', {
  defaults: defaultSecret,
  validate: (obj) => validateSecretData(obj as Any),
  columns: [
    nameColumn,
    { name: 'Type', cell: (o: Any) => o.type ?? 'Opaque' },
    { name: 'Data', type: 'integer', cell: (o: Any) => Object.keys(o.data ?? {}).length },
    ageColumn,
  ],
});
