/**
 * Server-side apply: merges an applied configuration into the live object and moves field
 * ownership, as structured-merge-diff's `Updater.Apply` behind the apiserver's field
 * manager chain (`managedfields/internal`: skipnonapplied, lastappliedmanager,
 * lastappliedupdater, stripmeta, managedfieldsupdater).
 */
import { apiErrors } from '@minik8s/api';
import { ApplyConflictError, type Conflict } from './conflict.ts';
import { type FieldPath, FieldSet, pathString } from './field-set.ts';
import { ownable, PROTECTED } from './internal/ignored.ts';
import { deepEqual, goJson, isMap } from './internal/json.ts';
import { annotationsOf, metadataOf, type Obj, withManagedFields, withoutManagedFields } from './internal/object.ts';
import { type ListMeta, Schema } from './internal/schema.ts';
import { checkDuplicates, compareObjects, dropAppliedNulls, fieldSetOf, mergeObjects, removeItems } from './internal/walk.ts';
import {
  decodeManagedFields,
  encodeManagedFields,
  type ManagedFieldsEntry,
  type ManagedMap,
  type ManagerInfo,
  managerId,
  sameIgnoringTimes,
  timeOf,
} from './managed-fields.ts';

/** kubectl's client-side apply annotation. */
export const LAST_APPLIED_ANNOTATION = 'kubectl.kubernetes.io/last-applied-configuration';
/** The Update manager that takes over an object's fields on its first apply if none are tracked. */
export const BEFORE_FIRST_APPLY = 'before-first-apply';

export interface ApplyOptions {
  /** The live object; undefined when the apply creates it. */
  current?: Obj;
  /** The applied configuration (the PATCH body, parsed). */
  applied: Obj;
  /** `?fieldManager=`: required for apply. */
  manager: string;
  /** `?force=true`: take the conflicting fields from their owners. */
  force?: boolean;
  /** The request's group/version, e.g. `apps/v1` (the applied object must use it). */
  apiVersion: string;
  /** The request's kind; when given, the applied object must have it. */
  kind?: string;
  listMeta: ListMeta;
  now?: Date;
  /** `status` for an apply to the status subresource. */
  subresource?: string;
}

export interface ApplyResult {
  /** The object to store, with `metadata.managedFields` set. Server-owned metadata is the live object's. */
  object: Obj;
  managedFields: ManagedFieldsEntry[];
  /** False when neither the object nor its field ownership changes: no write is needed. */
  changed: boolean;
}

/**
 * Applies `applied` as `manager`:
 * - the applied configuration's fields become exactly what `manager` owns (Apply entry);
 * - a field another manager owns and whose value would change is a conflict: throws
 *   `ApplyConflictError` (409), or with `force` moves the field to the applier;
 * - fields the manager applied before and has dropped are removed unless someone else owns them;
 * - maps and associative lists merge, everything else is replaced.
 * Throws a 400 StatusError for a malformed applied configuration.
 */
export function apply(opts: ApplyOptions): ApplyResult {
  const { current, applied, manager, force = false, apiVersion, subresource } = opts;
  const schema = new Schema(opts.listMeta);
  checkApplied(opts, schema);
  const now = timeOf(opts.now);

  const live = current ? withoutManagedFields(current) : {};
  // Entries that do not decode are dropped, rather than failing every apply.
  const managers: ManagedMap = (current && decodeManagedFields(metadataOf(current).managedFields)) || new Map();
  if (current && managers.size === 0) trackExisting(schema, live, managers, { apiVersion, subresource, now });

  const self: ManagerInfo = { manager, operation: 'Apply', apiVersion, ...(subresource ? { subresource } : {}) };
  const selfId = managerId(self);
  const lastSet = managers.get(selfId)?.set;
  const appliedSet = ownable(fieldSetOf(schema, applied), subresource);
  managers.set(selfId, { ...self, time: now, set: appliedSet });

  let object = mergeObjects(schema, live, applied) as Obj;
  if (lastSet && !lastSet.isEmpty()) object = prune(schema, object, lastSet, managers);

  const cmp = compareObjects(schema, live, object);
  const changedSet = ownable(cmp.modified.union(cmp.added), subresource);
  const removedSet = ownable(cmp.removed, subresource);
  const conflicts = new Map<string, FieldSet>();
  for (const [id, m] of managers) {
    if (id === selfId) continue;
    const theirs = m.set.intersection(changedSet);
    if (!theirs.isEmpty()) conflicts.set(id, theirs);
  }
  if (conflicts.size > 0 && !force) {
    let listed = listConflicts(managers, conflicts);
    // kubectl --server-side may take over what kubectl client-side apply set (upstream's
    // lastAppliedManager): conflicts on fields the last-applied annotation still matches.
    if (manager === 'kubectl') {
      const allowed = lastAppliedFields(schema, live, apiVersion, subresource);
      if (allowed) listed = listed.filter((c) => !allowed.has(c.path));
    }
    if (listed.length > 0) throw new ApplyConflictError(listed.map(({ path: _path, ...c }) => c));
  }
  for (const [id, m] of managers) {
    if (id === selfId) continue;
    const set = m.set.difference(conflicts.get(id) ?? new FieldSet()).difference(removedSet);
    managers.set(id, { ...m, set });
  }
  for (const [id, m] of managers) if (m.set.isEmpty()) managers.delete(id);

  if (manager === 'kubectl') updateLastApplied(object, applied);
  dropAppliedNulls(schema, object, applied);
  const managedFields = encodeManagedFields(managers);

  const previous = current ? metadataOf(current).managedFields : undefined;
  if (current && deepEqual(object, live) && sameIgnoringTimes(managedFields, previous ?? [])) {
    // A no-op apply keeps the old times, so that it is not a write (upstream's
    // IgnoreManagedFieldsTimestampsTransformer).
    return { object: structuredClone(current), managedFields: structuredClone(previous as ManagedFieldsEntry[]), changed: false };
  }
  return { object: withManagedFields(object, managedFields), managedFields, changed: true };
}

function checkApplied({ applied, apiVersion, kind, current }: ApplyOptions, schema: Schema): void {
  if (!isMap(applied)) throw apiErrors.badRequest('error decoding YAML: the applied configuration must be an object');
  const meta = isMap(applied.metadata) ? applied.metadata : {};
  if (kind !== undefined && (applied.apiVersion !== apiVersion || applied.kind !== kind)) {
    throw apiErrors.badRequest(`invalid object type: ${gvkString(applied.apiVersion, applied.kind)}`);
  }
  if (applied.apiVersion !== apiVersion) {
    throw apiErrors.badRequest(
      `Incorrect version specified in apply patch. Specified patch version: ${typeof applied.apiVersion === 'string' ? applied.apiVersion : ''}, expected: ${apiVersion}`,
    );
  }
  if (meta.managedFields !== undefined && meta.managedFields !== null) {
    throw apiErrors.badRequest('metadata.managedFields must be nil');
  }
  const dups = checkDuplicates(schema, applied);
  if (dups.length > 0) {
    const target = current ?? applied;
    const tm = metadataOf(target);
    const where = `${String(tm.namespace ?? '')}/${String(tm.name ?? '')}; ${gvkString(applied.apiVersion, applied.kind)}`;
    throw apiErrors.badRequest(`failed to create typed patch object (${where}): ${dups.join(', ')}`);
  }
}

/** `schema.GroupVersionKind.String()`: `apps/v1, Kind=Deployment`, `/v1, Kind=Pod`. */
function gvkString(apiVersion: unknown, kind: unknown): string {
  const av = typeof apiVersion === 'string' ? apiVersion : '';
  const [group, version] = av.includes('/') ? [av.slice(0, av.indexOf('/')), av.slice(av.indexOf('/') + 1)] : ['', av];
  return `${group}/${version}, Kind=${typeof kind === 'string' ? kind : ''}`;
}

/**
 * Upstream's skipNonAppliedManager: an object with no managed fields gets them on its
 * first apply, all owned by an Update manager `before-first-apply`.
 */
function trackExisting(schema: Schema, live: Obj, managers: ManagedMap, o: { apiVersion: string; subresource?: string; now: string }) {
  const cmp = compareObjects(schema, {}, live);
  const set = ownable(cmp.added.union(cmp.modified), o.subresource);
  if (set.isEmpty()) return;
  const info: ManagerInfo = {
    manager: BEFORE_FIRST_APPLY,
    operation: 'Update',
    apiVersion: o.apiVersion,
    ...(o.subresource ? { subresource: o.subresource } : {}),
  };
  managers.set(managerId(info), { ...info, time: o.now, set });
}

/**
 * Removes what the applier owned before and no longer applies, unless another manager (or
 * the new configuration) owns it or something under it. A list item goes as a whole when
 * nobody else owns the item itself.
 */
function prune(schema: Schema, object: Obj, lastSet: FieldSet, managers: ManagedMap): Obj {
  let owned = new FieldSet();
  for (const m of managers.values()) owned = owned.union(m.set);
  const toRemove = lastSet.withNamedFieldsAsMembers().difference(owned.withNamedFieldsAsMembers()).difference(PROTECTED);
  return toRemove.isEmpty() ? object : (removeItems(schema, object, toRemove) as Obj);
}

function listConflicts(managers: ManagedMap, conflicts: Map<string, FieldSet>): (Conflict & { path: FieldPath })[] {
  const out: (Conflict & { path: FieldPath })[] = [];
  for (const id of [...conflicts.keys()].sort()) {
    const m = managers.get(id)!;
    for (const path of conflicts.get(id)!.paths()) {
      out.push({
        manager: m.manager,
        operation: m.operation,
        apiVersion: m.apiVersion,
        ...(m.subresource ? { subresource: m.subresource } : {}),
        field: pathString(path),
        path,
      });
    }
  }
  return out;
}

/**
 * The fields of the last-applied annotation whose values the live object still has: kubectl
 * set them with client-side apply, so server-side apply by `kubectl` may take them over.
 */
function lastAppliedFields(schema: Schema, live: Obj, apiVersion: string, subresource?: string): FieldSet | undefined {
  const raw = annotationsOf(live)?.[LAST_APPLIED_ANNOTATION];
  if (typeof raw !== 'string' || raw === '') return undefined;
  let lastApplied: unknown;
  try {
    lastApplied = JSON.parse(raw);
  } catch {
    return undefined;
  }
  if (!isMap(lastApplied) || lastApplied.apiVersion !== apiVersion) return undefined;
  const set = ownable(fieldSetOf(schema, lastApplied), subresource);
  const cmp = compareObjects(schema, lastApplied, live);
  return set.difference(cmp.modified).difference(cmp.added).difference(cmp.removed);
}

/**
 * Upstream's lastAppliedUpdater: after `kubectl` applies server-side, an existing
 * last-applied annotation is rewritten to the applied configuration (without the
 * annotation), so a later client-side apply diffs against it.
 */
function updateLastApplied(object: Obj, applied: Obj): void {
  const annotations = annotationsOf(object);
  const existing = annotations?.[LAST_APPLIED_ANNOTATION];
  if (!annotations || typeof existing !== 'string' || existing === '') return;
  const config = structuredClone(applied);
  const meta = isMap(config.metadata) ? config.metadata : undefined;
  if (meta && isMap(meta.annotations)) delete meta.annotations[LAST_APPLIED_ANNOTATION];
  annotations[LAST_APPLIED_ANNOTATION] = `${goJson(config)}\n`;
}
