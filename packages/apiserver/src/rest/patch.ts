/**
 * The four PATCH flavours kubectl sends: JSON merge patch (RFC 7386), JSON patch
 * (RFC 6902, via fast-json-patch), strategic merge patch (lists merged by key, with its
 * `$patch`, `$setElementOrder`, `$retainKeys` and `$deleteFromPrimitiveList` directives)
 * and server-side apply, which is handled by the caller.
 */
import { apiErrors, isObject } from '@minik8s/api';
import jsonPatch from 'fast-json-patch';

// biome-ignore lint/suspicious/noExplicitAny: patches are arbitrary JSON
type Json = any;

export const PATCH_TYPES = {
  json: 'application/json-patch+json',
  merge: 'application/merge-patch+json',
  strategic: 'application/strategic-merge-patch+json',
  apply: 'application/apply-patch+yaml',
} as const;

/** RFC 7386: objects merge, null deletes, everything else replaces. */
export function mergePatch(target: Json, patch: Json): Json {
  if (!isObject(patch)) return patch;
  const out: Record<string, Json> = isObject(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

export function jsonPatchApply(target: Json, ops: Json): Json {
  if (!Array.isArray(ops)) throw apiErrors.badRequest('a JSON patch must be an array of operations');
  try {
    return jsonPatch.applyPatch(structuredClone(target), ops, true, false).newDocument;
  } catch (e) {
    throw apiErrors.badRequest(`the JSON patch could not be applied: ${(e as Error).message.split('\n')[0]}`);
  }
}

/** Strategic-merge metadata of one field: how its list merges. */
export interface PatchMeta {
  mergeKey?: string;
  /** e.g. ['merge'], ['retainKeys'], ['merge', 'retainKeys'], or ['replace']. */
  strategy?: string[];
}

export type PatchMetaLookup = (path: string[]) => PatchMeta | undefined;

/** The list merge keys of the built-in kinds, for when no schema says more. */
const KNOWN: Record<string, PatchMeta> = {
  containers: { mergeKey: 'name', strategy: ['merge'] },
  initContainers: { mergeKey: 'name', strategy: ['merge'] },
  ephemeralContainers: { mergeKey: 'name', strategy: ['merge'] },
  env: { mergeKey: 'name', strategy: ['merge'] },
  volumes: { mergeKey: 'name', strategy: ['merge', 'retainKeys'] },
  volumeMounts: { mergeKey: 'mountPath', strategy: ['merge'] },
  volumeDevices: { mergeKey: 'devicePath', strategy: ['merge'] },
  imagePullSecrets: { mergeKey: 'name', strategy: ['merge'] },
  ownerReferences: { mergeKey: 'uid', strategy: ['merge'] },
  conditions: { mergeKey: 'type', strategy: ['merge'] },
  finalizers: { strategy: ['merge'] },
  hostAliases: { mergeKey: 'ip', strategy: ['merge'] },
  topologySpreadConstraints: { mergeKey: 'topologyKey', strategy: ['merge'] },
};

/** A fallback lookup by field name, aware of the two kinds of `ports` lists. */
export const knownPatchMeta: PatchMetaLookup = (path) => {
  const field = path[path.length - 1];
  if (field === 'ports') {
    // Container ports merge by containerPort; Service ports by port.
    return path.includes('containers') || path.includes('initContainers')
      ? { mergeKey: 'containerPort', strategy: ['merge'] }
      : { mergeKey: 'port', strategy: ['merge'] };
  }
  if (field === 'strategy' || field === 'updateStrategy') return { strategy: ['retainKeys'] };
  return field ? KNOWN[field] : undefined;
};

const DIRECTIVE = '$patch';
const ORDER = '$setElementOrder/';
const DELETE_PRIMITIVES = '$deleteFromPrimitiveList/';
const RETAIN = '$retainKeys';

/** Applies a strategic merge patch to `original` (which is not modified). */
export function strategicMergePatch(original: Json, patch: Json, meta: PatchMetaLookup = knownPatchMeta): Json {
  if (!isObject(patch)) throw apiErrors.badRequest('a strategic merge patch must be a JSON object');
  return mergeMap(isObject(original) ? original : {}, patch, [], meta);
}

function mergeMap(original: Record<string, Json>, patch: Record<string, Json>, path: string[], meta: PatchMetaLookup): Json {
  const directive = patch[DIRECTIVE];
  if (directive === 'replace') {
    const { [DIRECTIVE]: _d, ...rest } = patch;
    return stripDirectives(rest);
  }
  if (directive === 'delete') return undefined;
  if (directive !== undefined && directive !== 'merge') {
    throw apiErrors.badRequest(`Unknown patch type: ${directive} in map: ${JSON.stringify(patch)}`);
  }
  let out: Record<string, Json> = { ...original };
  const retain = patch[RETAIN];
  if (retain !== undefined) {
    if (!Array.isArray(retain)) throw apiErrors.badRequest('$retainKeys must be a list of field names');
    out = Object.fromEntries(Object.entries(out).filter(([k]) => retain.includes(k) || k in patch));
  }
  for (const [k, v] of Object.entries(patch)) {
    if (k === DIRECTIVE || k === RETAIN || k.startsWith(ORDER)) continue;
    if (k.startsWith(DELETE_PRIMITIVES)) {
      const field = k.slice(DELETE_PRIMITIVES.length);
      if (Array.isArray(out[field]) && Array.isArray(v)) out[field] = out[field].filter((x: Json) => !v.includes(x));
      continue;
    }
    const p = [...path, k];
    if (v === null) delete out[k];
    else if (isObject(v)) {
      const merged = mergeMap(isObject(out[k]) ? out[k] : {}, v, p, meta);
      if (merged === undefined) delete out[k];
      else out[k] = merged;
    } else if (Array.isArray(v)) out[k] = mergeList(Array.isArray(out[k]) ? out[k] : [], v, p, meta, patch[`${ORDER}${k}`]);
    else out[k] = v;
  }
  return out;
}

function mergeList(original: Json[], patch: Json[], path: string[], meta: PatchMetaLookup, order: Json[] | undefined): Json[] {
  const m = meta(path);
  const strategy = m?.strategy ?? [];
  if (!strategy.includes('merge')) {
    // Atomic list, unless it is a `$patch: replace` wrapper: the patch value wins.
    return patch.filter((x) => !(isObject(x) && x[DIRECTIVE] === 'replace')).map(stripDirectives);
  }
  if (patch.some((x) => isObject(x) && x[DIRECTIVE] === 'replace')) {
    return patch.filter((x) => !(isObject(x) && x[DIRECTIVE] === 'replace')).map(stripDirectives);
  }
  if (!m?.mergeKey) {
    // A set of primitives: union, original order first.
    const out = [...original];
    for (const x of patch) if (!out.some((y) => JSON.stringify(y) === JSON.stringify(x))) out.push(x);
    return sortByOrder(out, order, undefined);
  }
  const key = m.mergeKey;
  const out = [...original];
  for (const item of patch) {
    if (!isObject(item)) throw apiErrors.badRequest(`a list with merge key ${key} must hold objects, found ${JSON.stringify(item)}`);
    const idx = out.findIndex((x) => isObject(x) && x[key] === item[key]);
    if (item[DIRECTIVE] === 'delete') {
      if (idx >= 0) out.splice(idx, 1);
      continue;
    }
    if (idx >= 0) out[idx] = mergeMap(out[idx], item, path, meta);
    else out.push(stripDirectives(item));
  }
  return sortByOrder(out, order, key);
}

function sortByOrder(list: Json[], order: Json[] | undefined, key: string | undefined): Json[] {
  if (!Array.isArray(order)) return list;
  const id = (x: Json) => JSON.stringify(key && isObject(x) ? x[key] : x);
  const rank = new Map(order.map((o, i) => [JSON.stringify(key && isObject(o) ? o[key] : o), i]));
  return [...list].sort((a, b) => (rank.get(id(a)) ?? Number.MAX_SAFE_INTEGER) - (rank.get(id(b)) ?? Number.MAX_SAFE_INTEGER));
}

function stripDirectives(v: Json): Json {
  if (Array.isArray(v)) return v.map(stripDirectives);
  if (!isObject(v)) return v;
  const out: Record<string, Json> = {};
  for (const [k, x] of Object.entries(v)) {
    if (k === DIRECTIVE || k === RETAIN || k.startsWith(ORDER) || k.startsWith(DELETE_PRIMITIVES)) continue;
    out[k] = stripDirectives(x);
  }
  return out;
}
