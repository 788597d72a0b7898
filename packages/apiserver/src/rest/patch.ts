/**
 * The four PATCH flavours kubectl sends: JSON merge patch (RFC 7386), JSON patch
 * (RFC 6902, via fast-json-patch), strategic merge patch (lists merged by key, with its
 * `$patch`, `$setElementOrder`, `$retainKeys` and `$deleteFromPrimitiveList` directives)
 * and server-side apply, which is handled by the caller.
 */
import { apiErrors, isObject, StatusError } from '@minik8s/api';
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

/**
 * Upstream's bounds on a JSON patch (k8s.io/apiserver): at most 10,000 operations
 * (maxJSONPatchOperations, answered 413), and copies adding at most 3 MiB in all
 * (JSONPatchMaxCopyBytes, which arms json-patch's AccumulatedCopySizeLimit; answered
 * 422). Without the second, `copy /a to /a/0` doubles the object on each operation.
 */
export const MAX_JSON_PATCH_OPERATIONS = 10_000;
export const MAX_JSON_PATCH_COPY_BYTES = 3 * 1024 * 1024;

export function jsonPatchApply(target: Json, ops: Json): Json {
  if (!Array.isArray(ops)) throw apiErrors.badRequest('a JSON patch must be an array of operations');
  if (ops.length > MAX_JSON_PATCH_OPERATIONS) {
    throw new StatusError(
      413,
      'RequestEntityTooLarge',
      `Request entity too large: a JSON patch may have at most ${MAX_JSON_PATCH_OPERATIONS} operations, this one has ${ops.length}`,
    );
  }
  let doc = structuredClone(target);
  let copied = 0;
  ops.forEach((op: Json, i: number) => {
    try {
      if (isObject(op) && op.op === 'copy' && typeof op.from === 'string') {
        // Measured before copying, so an over-limit copy is never made.
        copied += copyCost(jsonPatch.getValueByPointer(doc, op.from), MAX_JSON_PATCH_COPY_BYTES - copied);
        if (copied > MAX_JSON_PATCH_COPY_BYTES) throw new CopyLimitError(i, copied);
      }
      doc = jsonPatch.applyOperation(doc, op, validateCheaply, true, true, i).newDocument;
    } catch (e) {
      if (e instanceof CopyLimitError) {
        throw new StatusError(422, 'Invalid', 'the server rejected our request due to an error in our request', {
          causes: [{ reason: 'FieldValueInvalid', message: e.message, field: `[${e.index}]` }],
        });
      }
      throw apiErrors.badRequest(`the JSON patch could not be applied: ${(e as Error).message.split('\n')[0]}`);
    }
  });
  return doc;
}

class CopyLimitError extends Error {
  constructor(
    readonly index: number,
    bytes: number,
  ) {
    super(`copy operations would add over ${bytes} bytes, past the limit of ${MAX_JSON_PATCH_COPY_BYTES} bytes`);
  }
}

/**
 * fast-json-patch's own validator checks a copy's or move's `from` by cloning the whole
 * document, once per operation: 10,000 moves on a large object would clone it 10,000
 * times. This one walks the pointer instead and leaves every other check to the library.
 */
const validateCheaply: jsonPatch.Validator<Json> = (op, index, document, existingPath) => {
  if (op.op !== 'copy' && op.op !== 'move') return jsonPatch.validator(op, index, document, existingPath);
  jsonPatch.validator(op, index);
  if (!resolves(document, op.from)) throw new Error('Cannot perform the operation from a path that does not exist');
};

/** Whether an RFC 6901 pointer names a value in `doc`. */
function resolves(doc: Json, pointer: string): boolean {
  if (pointer === '') return true;
  if (!pointer.startsWith('/')) return false;
  let at = doc;
  for (const raw of pointer.slice(1).split('/')) {
    const token = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (Array.isArray(at)) {
      if (!/^(0|[1-9][0-9]*)$/.test(token) || Number(token) >= at.length) return false;
      at = at[Number(token)];
    } else if (isObject(at) && Object.hasOwn(at, token)) at = at[token];
    else return false;
  }
  return true;
}

/** What one JSON value costs in memory beyond its text: about a V8 object header. */
const VALUE_OVERHEAD_BYTES = 16;

/**
 * What copying `v` costs: its encoded bytes plus an overhead per value, so a value made
 * of many tiny arrays (`[[[1]],[1]]`…) is charged for what cloning it takes. The walk
 * stops once the cost passes `budget`; undefined (a missing `from`) costs nothing.
 */
function copyCost(v: Json, budget: number): number {
  let cost = 0;
  const stack: Json[] = [v];
  while (stack.length > 0 && cost <= budget) {
    const x = stack.pop();
    cost += VALUE_OVERHEAD_BYTES;
    if (typeof x === 'string') cost += Buffer.byteLength(x) + 2;
    else if (Array.isArray(x)) {
      cost += 2 + x.length;
      for (const y of x) stack.push(y);
    } else if (isObject(x)) {
      for (const [k, y] of Object.entries(x)) {
        cost += Buffer.byteLength(k) + 4;
        stack.push(y);
      }
    } else if (x !== undefined) cost += String(x).length;
    else cost -= VALUE_OVERHEAD_BYTES;
  }
  return cost;
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
