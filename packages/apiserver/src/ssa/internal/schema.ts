/**
 * How a value merges, from the schema's list and map metadata: the part of
 * structured-merge-diff's schema (and kube-openapi's `schemaconv`) that matters for
 * field ownership.
 */
import { keyElement, type PathElement, valueElement } from '../field-set.ts';
import { isMap, isScalar } from './json.ts';

/**
 * The schema metadata of the list or map at a field path from the object root, e.g.
 * `['spec', 'template', 'spec', 'containers']` (list elements are stepped into
 * implicitly; map keys are path segments). The API server's `openapi.patchMeta(gvk, path)`
 * has this shape.
 */
export type ListMeta = (path: string[]) =>
  | {
      mergeKey?: string;
      strategy?: string[];
      listType?: 'atomic' | 'set' | 'map' | string;
      listMapKeys?: string[];
      mapType?: 'atomic' | 'granular' | string;
    }
  | undefined;

/**
 * - `leaf`: a scalar, null, an atomic list or map, or two values of different shapes;
 *   owned and replaced as a whole.
 * - `map`: fields merge one by one.
 * - `assoc`: a list whose elements are maps identified by key fields (`k:`).
 * - `set`: a list of scalars identified by value (`v:`).
 */
export type Shape = { kind: 'leaf' } | { kind: 'map' } | { kind: 'assoc'; keys: string[] } | { kind: 'set' };

const LEAF: Shape = { kind: 'leaf' };
const MAP: Shape = { kind: 'map' };
const SET: Shape = { kind: 'set' };

/**
 * Defaults the OpenAPI schemas give to list-map key fields. Upstream fills a missing key
 * field from the schema default, so a container port applied without `protocol` is
 * `k:{"containerPort":80,"protocol":"TCP"}` and matches the defaulted live element. The
 * schema default is not reachable through `ListMeta`; `protocol` is the only key field of
 * the built-in kinds that has one.
 */
const KEY_DEFAULTS: Record<string, unknown> = { protocol: 'TCP' };

/** Caches `ListMeta` lookups per path for one operation. */
export class Schema {
  private readonly cache = new Map<string, ReturnType<ListMeta>>();

  constructor(private readonly lookup: ListMeta) {}

  meta(path: string[]): ReturnType<ListMeta> {
    const key = path.join('\0');
    if (this.cache.has(key)) return this.cache.get(key);
    let meta: ReturnType<ListMeta>;
    try {
      meta = this.lookup(path);
    } catch {
      meta = undefined;
    }
    this.cache.set(key, meta);
    return meta;
  }

  /** The shape of the value(s) at `path`; either side may be undefined (absent). */
  shape(path: string[], a: unknown, b?: unknown): Shape {
    const present = [a, b].filter((v) => v !== undefined);
    if (present.length === 0) return LEAF;
    if (present.every(isMap)) return this.meta(path)?.mapType === 'atomic' ? LEAF : MAP;
    if (!present.every(Array.isArray)) return LEAF;
    const items = (present as unknown[][]).flat();
    const shape = this.listShape(path);
    if (shape.kind === 'assoc') return items.every(isMap) ? shape : LEAF;
    if (shape.kind === 'set') return items.every(isScalar) ? shape : LEAF;
    return LEAF;
  }

  /**
   * Upstream's rule (kube-openapi `schemaconv`): `x-kubernetes-list-type` decides; without
   * it, a strategic-merge `merge` strategy makes the list associative on its merge key, or
   * a set when it has none; anything else is atomic.
   */
  private listShape(path: string[]): Shape {
    const meta = this.meta(path);
    if (!meta) return LEAF;
    switch (meta.listType) {
      case 'atomic':
        return LEAF;
      case 'set':
        return SET;
      case 'map':
        if (meta.listMapKeys?.length) return { kind: 'assoc', keys: meta.listMapKeys };
        return meta.mergeKey ? { kind: 'assoc', keys: [meta.mergeKey] } : LEAF;
      default:
        if (meta.mergeKey) return { kind: 'assoc', keys: [meta.mergeKey] };
        return meta.strategy?.includes('merge') ? SET : LEAF;
    }
  }
}

/** The path element of a list item: `k:{...}` for associative lists, `v:...` for sets. */
export function itemElement(shape: Shape, item: unknown): PathElement {
  if (shape.kind === 'set') return valueElement(item);
  if (shape.kind !== 'assoc' || !isMap(item)) throw new Error('not a list item');
  const key: Record<string, unknown> = {};
  for (const k of shape.keys) {
    if (item[k] !== undefined) key[k] = item[k];
    else if (k in KEY_DEFAULTS) key[k] = KEY_DEFAULTS[k];
  }
  return keyElement(key);
}

/** The items of a list by path element, in order, first occurrence winning. */
export function indexItems(shape: Shape, list: unknown[] | undefined): { order: PathElement[]; items: Map<PathElement, unknown> } {
  const items = new Map<PathElement, unknown>();
  const order: PathElement[] = [];
  for (const item of list ?? []) {
    const pe = itemElement(shape, item);
    if (items.has(pe)) continue;
    items.set(pe, item);
    order.push(pe);
  }
  return { order, items };
}

/** The duplicate keys of a list, for rejecting an applied configuration. */
export function duplicateItems(shape: Shape, list: unknown[]): PathElement[] {
  const seen = new Set<PathElement>();
  const dups: PathElement[] = [];
  for (const item of list) {
    const pe = itemElement(shape, item);
    if (seen.has(pe)) dups.push(pe);
    seen.add(pe);
  }
  return dups;
}
