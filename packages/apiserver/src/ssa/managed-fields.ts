/**
 * `metadata.managedFields`: decoding entries into per-manager field sets and encoding them
 * back in upstream's order (apiserver `managedfields/internal/managedfields.go`,
 * `capmanagers.go`).
 */
import { rfc3339 } from '@minik8s/api';
import { type FieldSet, type FieldsV1, fromFieldsV1, toFieldsV1 } from './field-set.ts';
import { deepEqual, isMap } from './internal/json.ts';

export type Operation = 'Apply' | 'Update';

/** One `metadata.managedFields` entry, with its fields in upstream's JSON order. */
export interface ManagedFieldsEntry {
  manager: string;
  operation: Operation;
  apiVersion: string;
  time?: string;
  fieldsType: 'FieldsV1';
  fieldsV1: FieldsV1;
  subresource?: string;
}

/** Who owns a set: a manager name plus what upstream folds into its identity. */
export interface ManagerInfo {
  manager: string;
  operation: Operation;
  apiVersion: string;
  subresource?: string;
}

export interface Managed extends ManagerInfo {
  time?: string;
  set: FieldSet;
}

/** Managers by identity, as upstream's `fieldpath.ManagedFields` keyed by manager identifier. */
export type ManagedMap = Map<string, Managed>;

/**
 * Upstream's manager identifier (`BuildManagerIdentifier`): the entry without its time and
 * fields, as JSON. Appliers leave out the API version, so one applier is one entry whatever
 * version it applies with; updaters have one entry per API version.
 */
export function managerId(m: ManagerInfo): string {
  const id: Record<string, string> = { manager: m.manager, operation: m.operation };
  if (m.operation === 'Update' && m.apiVersion) id.apiVersion = m.apiVersion;
  if (m.subresource) id.subresource = m.subresource;
  return JSON.stringify(id);
}

/** Upstream's reset request: `managedFields: []`, or a list holding one empty entry. */
export function isResetManagedFields(entries: unknown): boolean {
  if (!Array.isArray(entries)) return false;
  if (entries.length === 0) return true;
  return entries.length === 1 && isMap(entries[0]) && Object.keys(entries[0]).length === 0;
}

/**
 * Decodes `metadata.managedFields`. Undefined when any entry is malformed (an operation
 * other than Apply/Update, no apiVersion, a fieldsType other than FieldsV1, bad FieldsV1),
 * as upstream rejects the whole list.
 */
export function decodeManagedFields(entries: unknown): ManagedMap | undefined {
  const out: ManagedMap = new Map();
  if (entries === undefined || entries === null) return out;
  if (!Array.isArray(entries)) return undefined;
  for (const e of entries) {
    if (!isMap(e)) return undefined;
    if (e.operation !== 'Apply' && e.operation !== 'Update') return undefined;
    if (typeof e.apiVersion !== 'string' || e.apiVersion === '') return undefined;
    if (e.fieldsType !== 'FieldsV1') return undefined;
    let set: FieldSet;
    try {
      set = fromFieldsV1(e.fieldsV1 ?? {});
    } catch {
      return undefined;
    }
    const info: ManagerInfo = {
      manager: typeof e.manager === 'string' ? e.manager : '',
      operation: e.operation,
      apiVersion: e.apiVersion,
      ...(typeof e.subresource === 'string' && e.subresource ? { subresource: e.subresource } : {}),
    };
    out.set(managerId(info), { ...info, ...(typeof e.time === 'string' ? { time: e.time } : {}), set });
  }
  return out;
}

const seconds = (t: string | undefined) => (t ? Math.floor(Date.parse(t) / 1000) || 0 : 0);

/**
 * Encodes managers as entries, in upstream's order: by operation (Apply before Update),
 * then time (oldest first, to the second), manager, apiVersion and subresource. Managers
 * with an empty set are left out.
 */
export function encodeManagedFields(managers: ManagedMap): ManagedFieldsEntry[] {
  const entries: ManagedFieldsEntry[] = [];
  for (const m of managers.values()) {
    if (m.set.isEmpty()) continue;
    entries.push({
      manager: m.manager,
      operation: m.operation,
      apiVersion: m.apiVersion,
      ...(m.time ? { time: m.time } : {}),
      fieldsType: 'FieldsV1',
      fieldsV1: toFieldsV1(m.set),
      ...(m.subresource ? { subresource: m.subresource } : {}),
    });
  }
  const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
  return entries.sort(
    (p, q) =>
      cmp(p.operation, q.operation) ||
      seconds(p.time) - seconds(q.time) ||
      cmp(p.manager, q.manager) ||
      cmp(p.apiVersion, q.apiVersion) ||
      cmp(p.subresource ?? '', q.subresource ?? ''),
  );
}

/** Entries equal but for their times (upstream's `IgnoreManagedFieldsTimestampsTransformer`). */
export function sameIgnoringTimes(a: unknown, b: unknown): boolean {
  if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
  const strip = (e: unknown) => {
    if (!isMap(e)) return e;
    const { time: _time, ...rest } = e;
    return rest;
  };
  return a.every((e, i) => deepEqual(strip(e), strip(b[i])));
}

/** Upstream keeps at most this many Update entries (`DefaultMaxUpdateManagers`). */
export const MAX_UPDATE_MANAGERS = 10;
const ANCIENT_CHANGES = 'ancient-changes';

/**
 * When there are more than ten Update entries, merges the oldest into one
 * `ancient-changes` entry per API version, as upstream's `capUpdateManagers` does.
 */
export function capUpdateManagers(managers: ManagedMap, max = MAX_UPDATE_MANAGERS): void {
  const updaters = [...managers.entries()].filter(([, m]) => m.operation === 'Update').map(([id]) => id);
  if (updaters.length <= max) return;
  updaters.sort((a, b) => seconds(managers.get(a)!.time) - seconds(managers.get(b)!.time) || (a < b ? -1 : a > b ? 1 : 0));
  const firstOfVersion = new Map<string, string>();
  let length = updaters.length;
  for (let i = 0; i < updaters.length && length > max; i++) {
    const id = updaters[i]!;
    const m = managers.get(id)!;
    const bucketInfo: ManagerInfo = { manager: ANCIENT_CHANGES, operation: 'Update', apiVersion: m.apiVersion };
    const bucketId = managerId(bucketInfo);
    const first = firstOfVersion.get(m.apiVersion);
    if (first === undefined) {
      firstOfVersion.set(m.apiVersion, id);
      continue;
    }
    if (id === bucketId) continue; // a newer bucket is never merged into itself
    if (!managers.has(bucketId)) {
      const firstManaged = managers.get(first)!;
      managers.delete(first);
      managers.set(bucketId, { ...bucketInfo, time: firstManaged.time, set: firstManaged.set });
    }
    const bucket = managers.get(bucketId)!;
    managers.set(bucketId, { ...bucketInfo, time: m.time, set: bucket.set.union(m.set) });
    managers.delete(id);
    length--;
  }
}

/** `metav1.Time` as the API writes it: RFC 3339, seconds, UTC. */
export const timeOf = (now: Date | undefined) => rfc3339(now ?? new Date());
