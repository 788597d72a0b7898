/** Reading and writing the metadata of plain JSON objects. */
import type { ManagedFieldsEntry } from '../managed-fields.ts';
import { isMap } from './json.ts';

export type Obj = Record<string, unknown>;

export const metadataOf = (o: Obj): Obj => (isMap(o.metadata) ? o.metadata : {});

export function annotationsOf(o: Obj): Record<string, unknown> | undefined {
  const a = metadataOf(o).annotations;
  return isMap(a) ? a : undefined;
}

/** A shallow copy without `metadata.managedFields`. */
export function withoutManagedFields(o: Obj): Obj {
  const copy = { ...o };
  if (isMap(o.metadata)) {
    const { managedFields: _mf, ...meta } = o.metadata;
    copy.metadata = meta;
  }
  return copy;
}

/** A shallow copy with `metadata.managedFields` set to `entries` (left out when empty). */
export function withManagedFields(o: Obj, entries: ManagedFieldsEntry[]): Obj {
  const meta = { ...metadataOf(o) };
  if (entries.length > 0) meta.managedFields = entries;
  else delete meta.managedFields;
  return { ...o, metadata: meta };
}
