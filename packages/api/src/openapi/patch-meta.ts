/**
 * Strategic-merge-patch and server-side-apply metadata, found by walking a kind's schema
 * along a field path through `$ref`s, list items and map values.
 */
import { type Definitions, isSchema } from './definitions.ts';
import type { PatchMeta, Schema } from './types.ts';

/**
 * A position in a kind's schema. `schema` is the field's own schema (it carries the patch
 * extensions); `resolved` is what its `$ref` points at (it carries the fields).
 */
export class SchemaCursor {
  readonly resolved: Schema;

  constructor(
    private readonly defs: Definitions,
    readonly schema: Schema,
  ) {
    this.resolved = defs.resolve(schema) ?? {};
  }

  /** The struct field `name`, if this is an object that declares it. */
  field(name: string): SchemaCursor | undefined {
    const props = this.resolved.properties;
    if (!isSchema(props)) return undefined;
    const sub = props[name];
    return isSchema(sub) ? new SchemaCursor(this.defs, sub) : undefined;
  }

  /** The element schema, if this is a list. */
  items(): SchemaCursor | undefined {
    const items = this.resolved.items;
    return isSchema(items) ? new SchemaCursor(this.defs, items) : undefined;
  }

  /** The value schema, if this is a map (`additionalProperties` with a schema). */
  values(): SchemaCursor | undefined {
    const ap = this.resolved.additionalProperties;
    return isSchema(ap) ? new SchemaCursor(this.defs, ap) : undefined;
  }

  /**
   * One step along a field path: a struct field; a list index (`0`, `*`, `[...]`) or, for a
   * list, a field of its elements; a map key.
   */
  step(segment: string): SchemaCursor | undefined {
    const f = this.field(segment);
    if (f) return f;
    const items = this.items();
    if (items) return isIndex(segment) ? items : items.step(segment);
    return this.values();
  }

  get meta(): PatchMeta {
    return patchMetaOf(this.schema, this.resolved);
  }
}

const isIndex = (s: string) => s === '*' || /^\d+$/.test(s) || (s.startsWith('[') && s.endsWith(']'));

function patchMetaOf(own: Schema, resolved: Schema): PatchMeta {
  const meta: PatchMeta = {};
  const pick = (key: string) => own[key] ?? resolved[key];
  const mergeKey = pick('x-kubernetes-patch-merge-key');
  if (typeof mergeKey === 'string') meta.mergeKey = mergeKey;
  const strategy = pick('x-kubernetes-patch-strategy');
  if (typeof strategy === 'string') meta.strategy = strategy.split(',');
  const listType = pick('x-kubernetes-list-type');
  if (typeof listType === 'string') meta.listType = listType;
  const keys = pick('x-kubernetes-list-map-keys');
  if (Array.isArray(keys)) meta.listMapKeys = keys.filter((k): k is string => typeof k === 'string');
  const mapType = pick('x-kubernetes-map-type');
  if (typeof mapType === 'string') meta.mapType = mapType;
  return meta;
}
