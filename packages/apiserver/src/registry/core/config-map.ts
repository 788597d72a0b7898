/** ConfigMaps: keys and total size of data and binaryData as upstream, fixed once `immutable`; the DATA column counts both. */
import { validateConfigMapData, validateImmutableData } from '@minik8s/api/validation';
import { type Any, ageColumn, nameColumn } from '../printers.ts';
import { defineStrategy } from '../strategy.ts';

export const configMapStrategy = defineStrategy('', 'ConfigMap', {
  validate: (obj) => validateConfigMapData(obj as Any),
  validateUpdate: (obj, old) => validateImmutableData(obj as Any, old as Any, ['data', 'binaryData']),
  columns: [
    nameColumn,
    { name: 'Data', type: 'integer', cell: (o: Any) => Object.keys(o.data ?? {}).length + Object.keys(o.binaryData ?? {}).length },
    ageColumn,
  ],
});
