/**
 * The four walks of structured-merge-diff over plain JSON objects: the field set of an
 * object (`ToFieldSet`), the comparison of two objects (`Compare`), the merge of an applied
 * configuration into a live object (`Merge`), and the removal of paths (`RemoveItems`).
 */
import { type FieldPath, FieldSet, fieldElement, pathString } from '../field-set.ts';
import { clone, deepEqual, isMap } from './json.ts';
import { indexItems, itemElement, type Schema, type Shape } from './schema.ts';

type Obj = Record<string, unknown>;

/**
 * The paths an object sets: every scalar, atomic list or map and null (a leaf), and every
 * associative-list or set item (an element that is owned itself). Maps and structs are
 * not paths of their own; empty maps and lists set nothing.
 */
export function fieldSetOf(schema: Schema, value: unknown): FieldSet {
  const out = new FieldSet();
  const visit = (v: unknown, sp: string[], fp: FieldPath) => {
    const shape = schema.shape(sp, v);
    switch (shape.kind) {
      case 'leaf':
        if (fp.length > 0) out.insert(fp);
        return;
      case 'map':
        for (const [k, child] of Object.entries(v as Obj)) visit(child, [...sp, k], [...fp, fieldElement(k)]);
        return;
      default:
        for (const item of v as unknown[]) {
          const ip = [...fp, itemElement(shape, item)];
          out.insert(ip);
          if (shape.kind === 'assoc') {
            for (const [k, child] of Object.entries(item as Obj)) visit(child, [...sp, k], [...ip, fieldElement(k)]);
          }
        }
    }
  };
  visit(value, [], []);
  return out;
}

export interface Comparison {
  added: FieldSet;
  modified: FieldSet;
  removed: FieldSet;
}

const isEmptyContainer = (v: unknown) => v === undefined || (Array.isArray(v) ? v.length === 0 : isMap(v) && Object.keys(v).length === 0);

/**
 * What changed from `lhs` to `rhs`: leaves added, modified or removed, plus maps and list
 * items that appeared or disappeared as a whole. Two empty (or absent) containers compare
 * as leaves, which keeps `{}` apart from absent.
 */
export function compareObjects(schema: Schema, lhs: unknown, rhs: unknown): Comparison {
  const c: Comparison = { added: new FieldSet(), modified: new FieldSet(), removed: new FieldSet() };
  const leaf = (l: unknown, r: unknown, fp: FieldPath) => {
    if (fp.length === 0) return;
    if (l === undefined) c.added.insert(fp);
    else if (r === undefined) c.removed.insert(fp);
    else if (!deepEqual(l, r)) c.modified.insert(fp);
  };
  const visit = (l: unknown, r: unknown, sp: string[], fp: FieldPath) => {
    const shape = schema.shape(sp, l, r);
    if (shape.kind === 'leaf' || (isEmptyContainer(l) && isEmptyContainer(r))) return leaf(l, r, fp);
    if (shape.kind === 'map') {
      const lm = (l ?? {}) as Obj;
      const rm = (r ?? {}) as Obj;
      for (const k of new Set([...Object.keys(lm), ...Object.keys(rm)])) visit(lm[k], rm[k], [...sp, k], [...fp, fieldElement(k)]);
    } else {
      const li = indexItems(shape, l as unknown[] | undefined);
      const ri = indexItems(shape, r as unknown[] | undefined);
      for (const pe of new Set([...li.order, ...ri.order])) {
        const lItem = li.items.get(pe);
        const rItem = ri.items.get(pe);
        const ip = [...fp, pe];
        if (shape.kind === 'set') {
          leaf(lItem, rItem, ip);
          continue;
        }
        const lm = (lItem ?? {}) as Obj;
        const rm = (rItem ?? {}) as Obj;
        for (const k of new Set([...Object.keys(lm), ...Object.keys(rm)])) visit(lm[k], rm[k], [...sp, k], [...ip, fieldElement(k)]);
        if (lItem === undefined) c.added.insert(ip);
        else if (rItem === undefined) c.removed.insert(ip);
      }
    }
    if (fp.length > 0 && l === undefined) c.added.insert(fp);
    else if (fp.length > 0 && r === undefined) c.removed.insert(fp);
  };
  visit(lhs, rhs, [], []);
  return c;
}

/** Rejects an applied configuration with two list items of the same key, as upstream does. */
export function checkDuplicates(schema: Schema, value: unknown): string[] {
  const errors: string[] = [];
  const visit = (v: unknown, sp: string[], fp: FieldPath) => {
    const shape = schema.shape(sp, v);
    if (shape.kind === 'map') {
      for (const [k, child] of Object.entries(v as Obj)) visit(child, [...sp, k], [...fp, fieldElement(k)]);
    } else if (shape.kind !== 'leaf') {
      const seen = new Set<string>();
      for (const item of v as unknown[]) {
        const pe = itemElement(shape, item);
        if (seen.has(pe)) errors.push(`${pathString(fp)}: duplicate entries for key ${pathString([pe])}`);
        seen.add(pe);
        if (shape.kind === 'assoc') {
          for (const [k, child] of Object.entries(item as Obj)) visit(child, [...sp, k], [...fp, pe, fieldElement(k)]);
        }
      }
    }
  };
  visit(value, [], []);
  return errors;
}

/**
 * Merges an applied configuration into the live object: maps merge field by field,
 * associative lists and sets item by item, everything else is replaced by the applied
 * value. Inputs are not modified.
 */
export function mergeObjects(schema: Schema, lhs: unknown, rhs: unknown): unknown {
  const merge = (l: unknown, r: unknown, sp: string[]): unknown => {
    if (r === undefined) return clone(l);
    if (l === undefined) return clone(r);
    const shape = schema.shape(sp, l, r);
    if (shape.kind === 'leaf') return clone(r);
    if (shape.kind === 'map') return mergeMaps(l as Obj, r as Obj, sp);
    return mergeLists(shape, l as unknown[], r as unknown[], sp);
  };
  const mergeMaps = (l: Obj, r: Obj, sp: string[]): Obj => {
    const out: Obj = {};
    for (const [k, v] of Object.entries(l)) out[k] = k in r ? merge(v, r[k], [...sp, k]) : clone(v);
    for (const [k, v] of Object.entries(r)) if (!(k in l)) out[k] = clone(v);
    return out;
  };
  const mergeItem = (shape: Shape, l: unknown, r: unknown, sp: string[]): unknown => {
    if (l === undefined || shape.kind === 'set') return clone(r ?? l);
    if (r === undefined) return clone(l);
    return mergeMaps(l as Obj, r as Obj, sp);
  };
  /**
   * Upstream's order: live items keep their places, applied items follow the applied
   * order, and an item that is in both is placed where the applied list puts it.
   */
  const mergeLists = (shape: Shape, l: unknown[], r: unknown[], sp: string[]): unknown[] => {
    const li = indexItems(shape, l);
    const ri = indexItems(shape, r);
    const shared = ri.order.filter((pe) => li.items.has(pe));
    let next = 0;
    const out: unknown[] = [];
    let lI = 0;
    let rI = 0;
    while (lI < li.order.length || rI < ri.order.length) {
      const lpe = li.order[lI];
      const rpe = ri.order[rI];
      if (lpe !== undefined && rpe !== undefined) {
        if (lpe === rpe) {
          out.push(mergeItem(shape, li.items.get(lpe), ri.items.get(rpe), sp));
          lI++;
          rI++;
          next++;
          continue;
        }
        if (ri.items.has(lpe) && shared[next] !== undefined && shared[next] !== lpe) {
          lI++; // a shared item the applied list places later
          continue;
        }
      }
      if (lpe !== undefined && !ri.items.has(lpe)) {
        out.push(clone(li.items.get(lpe)));
        lI++;
        continue;
      }
      if (rpe !== undefined) {
        out.push(mergeItem(shape, li.items.get(rpe), ri.items.get(rpe), sp));
        rI++;
        if (shared[next] === rpe) next++;
        continue;
      }
      lI++; // a shared item already placed by the applied order
    }
    return out;
  };
  return merge(lhs, rhs, []);
}

/**
 * Removes the members of `toRemove` (whole subtrees) from a value. A map or list that
 * this leaves empty goes too, as upstream's remove leaves it null.
 */
export function removeItems(schema: Schema, value: unknown, toRemove: FieldSet): unknown {
  const remove = (v: unknown, set: FieldSet, sp: string[]): unknown => {
    const shape = schema.shape(sp, v);
    if (shape.kind === 'leaf') return v;
    if (shape.kind === 'map') return removeFromMap(v as Obj, set, sp);
    const out: unknown[] = [];
    for (const item of v as unknown[]) {
      const pe = itemElement(shape, item);
      if (set.hasMember(pe)) continue;
      const sub = set.withPrefix(pe);
      if (!sub || shape.kind === 'set') out.push(item);
      else out.push(removeFromMap(item as Obj, sub, sp) ?? {});
    }
    return out.length > 0 ? out : undefined;
  };
  const removeFromMap = (m: Obj, set: FieldSet, sp: string[]): Obj | undefined => {
    const out: Obj = {};
    for (const [k, child] of Object.entries(m)) {
      const pe = fieldElement(k);
      if (set.hasMember(pe)) continue;
      const sub = set.withPrefix(pe);
      if (!sub) {
        out[k] = child;
        continue;
      }
      const kept = remove(child, sub, [...sp, k]);
      if (kept !== undefined) out[k] = kept;
    }
    return Object.keys(out).length > 0 ? out : undefined;
  };
  return remove(value, toRemove, []) ?? {};
}

/**
 * Removes from `object` (in place) the fields the applied configuration sets to null: what
 * upstream's typed round trip does to them. Other nulls, already in the live object, stay.
 */
export function dropAppliedNulls(schema: Schema, object: unknown, applied: unknown): void {
  const visit = (o: unknown, a: unknown, sp: string[]) => {
    const shape = schema.shape(sp, o, a);
    if (shape.kind === 'map') {
      const om = o as Obj;
      for (const [k, v] of Object.entries(a as Obj)) {
        if (v === null) delete om[k];
        else if (om[k] !== undefined) visit(om[k], v, [...sp, k]);
      }
    } else if (shape.kind === 'assoc') {
      const live = indexItems(shape, o as unknown[]);
      for (const item of a as unknown[]) {
        const target = live.items.get(itemElement(shape, item));
        if (target !== undefined) visit(target, item, sp);
      }
    }
  };
  visit(object, applied, []);
}
