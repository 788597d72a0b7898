/**
 * Field ownership for writes that are not applies (create, update, every PATCH but apply):
 * structured-merge-diff's `Updater.Update` behind the apiserver's field manager chain.
 */
import { FieldSet } from './field-set.ts';
import { ownable } from './internal/ignored.ts';
import { deepEqual } from './internal/json.ts';
import { metadataOf, type Obj, withoutManagedFields } from './internal/object.ts';
import { type ListMeta, Schema } from './internal/schema.ts';
import { compareObjects } from './internal/walk.ts';
import {
  capUpdateManagers,
  decodeManagedFields,
  encodeManagedFields,
  isResetManagedFields,
  type ManagedFieldsEntry,
  type ManagedMap,
  type ManagerInfo,
  managerId,
  sameIgnoringTimes,
  timeOf,
} from './managed-fields.ts';

export interface RecordUpdateOptions {
  /** The stored object before the write; undefined on create. */
  previous?: Obj;
  /** The object about to be stored (after decoding and defaulting). */
  next: Obj;
  /** `?fieldManager=`, or `managerFromUserAgent(User-Agent)` when it is missing. */
  manager: string;
  operation?: 'Update';
  /** The request's group/version, e.g. `apps/v1`. */
  apiVersion: string;
  listMeta: ListMeta;
  now?: Date;
  /** `status` for a write to the status subresource. */
  subresource?: string;
}

/**
 * The `metadata.managedFields` of `next` after a non-apply write by `manager`:
 * - fields the write added or changed move to `manager`'s Update entry (one per manager
 *   and API version, merged with what it already owned; its time is now);
 * - fields the write removed leave every manager's set;
 * - entries left empty are dropped; beyond ten Update entries the oldest are merged into
 *   `ancient-changes`.
 * The starting point is `previous`'s managed fields, or those `next` carries when the client
 * sent some (a client may rewrite them; `[]` resets them). An object updated without any
 * managed fields stays without, as upstream; on create, `manager` owns all it set. Returns
 * `[]` for "no managedFields".
 */
export function recordUpdate(opts: RecordUpdateOptions): ManagedFieldsEntry[] {
  const { previous, next, manager, apiVersion, subresource } = opts;
  const schema = new Schema(opts.listMeta);
  const managers = startingPoint(previous, next, subresource);
  if (managers.size === 0 && previous !== undefined) return [];

  const cmp = compareObjects(schema, previous ? withoutManagedFields(previous) : {}, withoutManagedFields(next));
  const changed = ownable(cmp.modified.union(cmp.added), subresource);
  const removed = ownable(cmp.removed, subresource);
  for (const [id, m] of managers) managers.set(id, { ...m, set: m.set.difference(changed).difference(removed) });

  if (!changed.isEmpty()) {
    const self: ManagerInfo = { manager, operation: 'Update', apiVersion, ...(subresource ? { subresource } : {}) };
    const id = managerId(self);
    const before = managers.get(id)?.set ?? new FieldSet();
    managers.set(id, { ...self, time: timeOf(opts.now), set: changed.union(before) });
  }
  for (const [id, m] of managers) if (m.set.isEmpty()) managers.delete(id);
  capUpdateManagers(managers);

  const entries = encodeManagedFields(managers);
  const old = previous ? metadataOf(previous).managedFields : undefined;
  if (previous && sameIgnoringTimes(entries, old ?? []) && deepEqual(withoutManagedFields(previous), withoutManagedFields(next))) {
    return structuredClone(old as ManagedFieldsEntry[]);
  }
  return entries;
}

/** Upstream's `decodeLiveOrNew`: the client's managedFields if it sent valid ones, else the stored ones. */
function startingPoint(previous: Obj | undefined, next: Obj, subresource: string | undefined): ManagedMap {
  const stored = () => (previous && decodeManagedFields(metadataOf(previous).managedFields)) || new Map();
  if (subresource) return stored();
  const sent = metadataOf(next).managedFields;
  if (isResetManagedFields(sent)) return new Map();
  const decoded = decodeManagedFields(sent);
  return decoded && decoded.size > 0 ? decoded : stored();
}
