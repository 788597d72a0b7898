/**
 * kubectl's three-way strategic merge patch for client-side apply
 * (CreateThreeWayMergePatch): the changes and additions that take the live object to
 * the new manifest, plus deletions of what the last-applied manifest had and the new
 * one dropped. Lists of objects merge by key (containers by name, ports by
 * containerPort, ...) with `$patch: delete` and `$setElementOrder`; other lists are
 * replaced. Kinds the table does not know get the same rules by field name, which for
 * custom resources amounts to a JSON merge patch.
 */

// biome-ignore lint/suspicious/noExplicitAny: manifests are arbitrary JSON
type Json = any;
type Obj = Record<string, Json>;

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The merge key of the list at `path` (field names from the root), if it merges by key. */
export function mergeKeyOf(path: string[]): string | undefined {
  const field = path[path.length - 1];
  if (field === 'ports')
    return path.includes('containers') || path.includes('initContainers') || path.includes('ephemeralContainers') ? 'containerPort' : 'port';
  return field ? MERGE_KEYS[field] : undefined;
}

const MERGE_KEYS: Record<string, string> = {
  containers: 'name',
  initContainers: 'name',
  ephemeralContainers: 'name',
  env: 'name',
  volumes: 'name',
  volumeMounts: 'mountPath',
  volumeDevices: 'devicePath',
  imagePullSecrets: 'name',
  ownerReferences: 'uid',
  hostAliases: 'ip',
  topologySpreadConstraints: 'topologyKey',
};

export function threeWayMergePatch(original: Obj | undefined, modified: Obj, current: Obj): Obj {
  const delta = diff(current, modified, [], 'delta');
  const deletions = original ? diff(original, modified, [], 'deletions') : {};
  return mergePatches(deletions, delta, []);
}

function deepEqual(a: Json, b: Json): boolean {
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => deepEqual(x, b[i]));
  if (isObj(a) && isObj(b)) {
    const ka = Object.keys(a);
    return ka.length === Object.keys(b).length && ka.every((k) => k in b && deepEqual(a[k], b[k]));
  }
  return false;
}

/** delta: additions and changes from `from` to `to`; deletions: keys of `from` missing in `to`. */
function diff(from: Obj, to: Obj, path: string[], mode: 'delta' | 'deletions'): Obj {
  const patch: Obj = {};
  if (mode === 'deletions') {
    for (const k of Object.keys(from)) if (!(k in to)) patch[k] = null;
  }
  for (const [k, tv] of Object.entries(to)) {
    const fv = from[k];
    const p = [...path, k];
    if (!(k in from)) {
      if (mode === 'delta') patch[k] = tv;
      continue;
    }
    if (isObj(fv) && isObj(tv)) {
      const sub = diff(fv, tv, p, mode);
      if (Object.keys(sub).length) patch[k] = sub;
    } else if (Array.isArray(fv) && Array.isArray(tv)) {
      const key = mergeKeyOf(p);
      if (key && [...fv, ...tv].every((x) => isObj(x) && key in x)) {
        const { list, changed } = diffKeyedList(fv, tv, key, p, mode);
        if (changed) {
          patch[k] = list;
          patch[`$setElementOrder/${k}`] = tv.map((x: Obj) => ({ [key]: x[key] }));
        }
      } else if (mode === 'delta' && !deepEqual(fv, tv)) patch[k] = tv;
    } else if (mode === 'delta' && !deepEqual(fv, tv)) patch[k] = tv;
  }
  return patch;
}

function diffKeyedList(from: Obj[], to: Obj[], key: string, path: string[], mode: 'delta' | 'deletions'): { list: Obj[]; changed: boolean } {
  const list: Obj[] = [];
  const byKey = (xs: Obj[], v: Json) => xs.find((x) => deepEqual(x[key], v));
  if (mode === 'deletions') {
    for (const f of from) if (!byKey(to, f[key])) list.push({ [key]: f[key], $patch: 'delete' });
  }
  for (const t of to) {
    const f = byKey(from, t[key]);
    if (!f) {
      if (mode === 'delta') list.push(t);
      continue;
    }
    const sub = diff(f, t, path, mode);
    if (Object.keys(sub).length) list.push({ [key]: t[key], ...sub });
  }
  return { list, changed: list.length > 0 };
}

/** Merges two patches: maps key by key, keyed lists element by element, `b` winning. */
function mergePatches(a: Obj, b: Obj, path: string[]): Obj {
  const out: Obj = { ...a };
  for (const [k, bv] of Object.entries(b)) {
    const av = out[k];
    if (isObj(av) && isObj(bv)) out[k] = mergePatches(av, bv, [...path, k]);
    else if (Array.isArray(av) && Array.isArray(bv) && !k.startsWith('$')) {
      const key = mergeKeyOf([...path, k]);
      if (!key) {
        out[k] = bv;
        continue;
      }
      const merged: Obj[] = av.map((x: Obj) => ({ ...x }));
      for (const e of bv as Obj[]) {
        const i = merged.findIndex((x) => deepEqual(x[key], e[key]));
        if (i >= 0) merged[i] = mergePatches(merged[i]!, e, [...path, k]);
        else merged.push(e);
      }
      out[k] = merged;
    } else out[k] = bv;
  }
  return out;
}
