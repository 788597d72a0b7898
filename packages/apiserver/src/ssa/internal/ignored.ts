/**
 * Fields nobody owns: what upstream's `stripMetaManager` strips (apiVersion, kind, the
 * `metadata` field itself and the metadata the server sets) and the "reset fields" of the
 * resource's strategy (`status` for the main resource, `spec` for the status subresource).
 */
import { FieldSet, fieldElement } from '../field-set.ts';

const f = fieldElement;

/** Server-owned metadata: never part of anyone's set. */
export const SERVER_METADATA = [
  'name',
  'namespace',
  'uid',
  'resourceVersion',
  'generation',
  'creationTimestamp',
  'deletionTimestamp',
  'deletionGracePeriodSeconds',
  'managedFields',
  'selfLink',
  'clusterName',
];

const STRIPPED = FieldSet.of([f('apiVersion')], [f('kind')], ...SERVER_METADATA.map((m) => [f('metadata'), f(m)]));

/** Paths pruning must never remove from the object, even when an applier dropped them. */
export const PROTECTED = STRIPPED.union(FieldSet.of([f('metadata')]));

export function resetFields(subresource: string | undefined): FieldSet {
  return subresource === 'status' ? FieldSet.of([f('spec')]) : FieldSet.of([f('status')]);
}

/** A set without the paths nobody may own for this (sub)resource. */
export function ownable(set: FieldSet, subresource: string | undefined): FieldSet {
  return set
    .difference(FieldSet.of([f('metadata')]))
    .recursiveDifference(STRIPPED)
    .recursiveDifference(resetFields(subresource));
}
