/**
 * Secrets: keys and total size of data and stringData, the keys each type needs, the type
 * and (once `immutable`) the data fixed on update, as upstream; TYPE and DATA columns.
 */
import { defaultSecret } from '@minik8s/api';
import { fieldInvalid, validateImmutableData, validateSecretData, validateSecretType } from '@minik8s/api/validation';
import { type Any, ageColumn, nameColumn } from '../printers.ts';
import { defineStrategy } from '../strategy.ts';

export const secretStrategy = defineStrategy('', 'Secret', {
  defaults: defaultSecret,
  validate: (obj) => [...validateSecretData(obj as Any), ...validateSecretType(obj as Any)],
  validateUpdate: (obj, old) => [
    ...((obj as Any).type === (old as Any).type ? [] : [fieldInvalid('type', (obj as Any).type, 'field is immutable')]),
    ...validateImmutableData(obj as Any, old as Any, ['data']),
  ],
  columns: [
    nameColumn,
    { name: 'Type', cell: (o: Any) => o.type ?? 'Opaque' },
    { name: 'Data', type: 'integer', cell: (o: Any) => Object.keys(o.data ?? {}).length },
    ageColumn,
  ],
});
