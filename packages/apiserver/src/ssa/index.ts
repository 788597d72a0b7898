/**
 * Server-side apply and `metadata.managedFields`, after upstream's structured-merge-diff
 * and the apiserver's field manager. Pure functions over plain JSON objects; schema
 * knowledge comes from a `ListMeta` lookup (the server's `openapi.patchMeta`).
 */
import type { FieldSet } from './field-set.ts';
import { ownable } from './internal/ignored.ts';
import { type ListMeta, Schema } from './internal/schema.ts';
import { fieldSetOf } from './internal/walk.ts';

export { type ApplyOptions, type ApplyResult, apply, BEFORE_FIRST_APPLY, LAST_APPLIED_ANNOTATION } from './apply.ts';
export { ApplyConflictError, type Conflict, conflictStatus, isApplyConflictError, printManager } from './conflict.ts';
export {
  comparePathElements,
  type FieldPath,
  FieldSet,
  type FieldsV1,
  fieldElement,
  fromFieldsV1,
  keyElement,
  type PathElement,
  parsePathElement,
  pathString,
  toFieldsV1,
  valueElement,
} from './field-set.ts';
export type { ListMeta } from './internal/schema.ts';
export {
  capUpdateManagers,
  decodeManagedFields,
  encodeManagedFields,
  isResetManagedFields,
  MAX_UPDATE_MANAGERS,
  type ManagedFieldsEntry,
  type ManagerInfo,
  managerId,
  type Operation,
} from './managed-fields.ts';
export {
  checkFieldManager,
  FIELD_MANAGER_MAX_LENGTH,
  fieldManagerCauses,
  fieldManagerFor,
  managerFromUserAgent,
  parseForce,
  type WriteKind,
} from './manager-name.ts';
export { type RecordUpdateOptions, recordUpdate } from './update.ts';

/**
 * The paths an object sets, as an applier of it would own them: scalars, atomic lists and
 * maps, and associative-list and set items; without `apiVersion`, `kind`, the metadata the
 * server owns (name, namespace, uid, resourceVersion, generation, creationTimestamp,
 * deletionTimestamp, deletionGracePeriodSeconds, managedFields, selfLink) and `status`
 * (or `spec`, for the status subresource).
 */
export function fieldSet(obj: unknown, listMeta: ListMeta, opts: { subresource?: string } = {}): FieldSet {
  return ownable(fieldSetOf(new Schema(listMeta), obj), opts.subresource);
}
