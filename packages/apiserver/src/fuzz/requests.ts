/**
 * One fuzzed request, drawn from an iteration's generator: a registered kind (every one,
 * in turn), a verb or subresource, a body made from the kind's valid sample and then
 * mutated, and a query and path that are sometimes mutated too.
 */
import { apiVersionOf, type ResourceInfo } from '@minik8s/api';
import { PROTOBUF_CONTENT_TYPE } from '../protobuf/index.ts';
import { PATCH_TYPES } from '../rest/patch.ts';
import { breakText, mutate, nastyValue, pointers, protobufBody, Raw, toJson, toPlain, yamlBody } from './mutate.ts';
import type { Rng } from './prng.ts';
import { sampleObject, sampleSubresourceBody } from './samples.ts';

export interface FuzzRequest {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** Path and query, sent byte for byte (latin1). */
  path: string;
  contentType?: string;
  accept?: string;
  body?: Buffer;
  /** What the fuzzer meant to exercise (for messages): `create pods`, `patch deployments/scale (json)`. */
  what: string;
  /** A watch: a 200 answer streams, and is read briefly then dropped. */
  watch: boolean;
  /** The request asked for a dry run, so even a 2xx must not write. */
  dryRun: boolean;
  /** The kind and verb it was made for. */
  kind: string;
  verb: Verb;
}

/** The namespaces the fuzzer works in; it never deletes them (the namespaces it deletes are `fuzz-ns-*`). */
export const WORK_NAMESPACES = ['fuzz', 'default'];
export const NAMES = ['fz-0', 'fz-1', 'fz-2', 'fz-3'];
const NAMESPACE_NAMES = ['fuzz-ns-0', 'fuzz-ns-1', 'fuzz-ns-2'];

export type Verb = 'create' | 'update' | 'patch' | 'apply' | 'delete' | 'deletecollection' | 'get' | 'list' | 'watch' | 'subresource';
export const VERBS: ReadonlyArray<readonly [number, Verb]> = [
  [18, 'create'],
  [12, 'update'],
  [14, 'patch'],
  [8, 'apply'],
  [6, 'delete'],
  [2, 'deletecollection'],
  [8, 'get'],
  [6, 'list'],
  [3, 'watch'],
  [12, 'subresource'],
];

function resourcePath(r: ResourceInfo, namespace: string | undefined, name?: string, sub?: string, watch = false): string {
  const base = r.group ? `/apis/${r.group}/${r.version}` : `/api/${r.version}`;
  const ns = r.namespaced && namespace !== undefined ? `/namespaces/${encode(namespace)}` : '';
  return `${base}${watch ? '/watch' : ''}${ns}/${r.plural}${name !== undefined ? `/${encode(name)}` : ''}${sub ? `/${sub}` : ''}`;
}

/** Query parameters with valid and garbage values. */
const QUERY_VALUES: Record<string, string[]> = {
  fieldValidation: ['Strict', 'Warn', 'Ignore', '', 'strict', 'All', 'x'],
  dryRun: ['All', 'all', '', 'None', 'true'],
  labelSelector: ['fuzz=true', 'app in (fuzz,x)', '!fuzz', 'fuzz', 'a=b,c!=d', '=', 'app in (', 'x'.repeat(400), 'a==b==c', 'app notin ()', '🙂=1', 'a b'],
  fieldSelector: [
    'metadata.name=fz-0',
    'metadata.namespace=fuzz',
    'status.phase=Running',
    'spec.nodeName=',
    'spec.nodeName=fz-0',
    'involvedObject.name=fz-0',
    'type=Opaque',
    'bogus=1',
    'metadata.name',
    '=x',
    'metadata.name==x',
    'metadata.name!=x,metadata.namespace=y',
  ],
  limit: ['1', '2', '0', '-1', '1.5', '1e3', '99999999999999999999', 'x', ''],
  continue: [
    '',
    'x',
    'eyJ2IjoibWV0YS5rOHMuaW8vdjEiLCJydiI6MSwic3RhcnQiOiJ4In0',
    'eyJ2IjoibWV0YS5rOHMuaW8vdjEiLCJydiI6MTAwMDAwMDAwMCwic3RhcnQiOiIvIn0',
    '%%%',
    'e30',
  ],
  // Not one past the store's revision: the server waits 3 s for it to come, then answers 504, as upstream.
  resourceVersion: ['0', '1', '', 'x', '-1', '1.5', '+1', '0x10', '1e3'],
  resourceVersionMatch: ['NotOlderThan', 'Exact', '', 'x'],
  timeoutSeconds: ['1', '0', '-1', 'x', '1.5', '99999999999999999999'],
  propagationPolicy: ['Foreground', 'Background', 'Orphan', 'nil', '', 'x'],
  orphanDependents: ['true', 'false', 'x'],
  gracePeriodSeconds: ['0', '1', '30', '-1', 'x', '1e400'],
  fieldManager: ['fuzz', '', 'x'.repeat(200), 'kubectl-client-side-apply', '🙂', 'a\u0001b'],
  force: ['true', 'false', 'x', ''],
  watch: ['true', '1', 'false', 'x'],
  allowWatchBookmarks: ['true', 'x'],
  sendInitialEvents: ['true', 'false', 'x'],
  pretty: ['true', 'x'],
  includeObject: ['None', 'Object', 'Metadata', 'x'],
  container: ['c', 'missing', ''],
  follow: ['false', 'x'],
  tailLines: ['1', '-1', 'x'],
  limitBytes: ['1', '0', 'x'],
  sinceSeconds: ['1', '0', 'x'],
  sinceTime: ['2024-01-01T00:00:00Z', 'yesterday'],
  previous: ['false', 'x'],
  timestamps: ['true', 'x'],
};

/** Percent-encodes the UTF-8 bytes (a lone surrogate, which encodeURIComponent refuses, as U+FFFD's). */
const encode = (s: string) =>
  [...Buffer.from(s, 'utf8')]
    .map((b) => (/[A-Za-z0-9\-_.~]/.test(String.fromCharCode(b)) ? String.fromCharCode(b) : `%${b.toString(16).toUpperCase().padStart(2, '0')}`))
    .join('');

function queryString(params: Array<[string, string]>): string {
  return params.length ? `?${params.map(([k, v]) => `${encode(k)}=${encode(v)}`).join('&')}` : '';
}

/** A few extra parameters, valid or not, on top of what the verb needs. */
function extraParams(rng: Rng, watch: boolean): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  const n = rng.weighted([
    [5, 0],
    [3, 1],
    [2, 3],
  ] as const);
  for (let i = 0; i < n; i++) {
    const k = rng.chance(0.9) ? rng.pick(Object.keys(QUERY_VALUES)) : rng.pick(['unknown', '', 'a[b]', '__proto__', 'fieldValidation']);
    // A watch must end by itself: never a watch=true on a request that is not known to be one.
    if (k === 'watch' && !watch) continue;
    if (k === 'timeoutSeconds' && watch) continue;
    const values = Object.hasOwn(QUERY_VALUES, k) ? QUERY_VALUES[k]! : ['x'];
    out.push([k, rng.chance(0.85) ? rng.pick(values) : toJson(nastyValue(rng)).slice(0, 300)]);
  }
  return out;
}

/** Mutates a path: dot segments, encoded slashes, unknown groups, versions or resources, overlong or unicode names. */
function mutatePath(rng: Rng, path: string): string {
  const parts = path.split('/');
  const i = rng.range(1, parts.length - 1);
  switch (rng.int(12)) {
    case 0:
      parts.splice(i, 0, rng.pick(['.', '..', '%2e%2e', '%2E', '.%2e']));
      break;
    case 1:
      parts[i] = `${parts[i]}${rng.pick(['%2F..%2Fkube-system', '%2f', '%2Fx', '%5C', '%00', '%', '%zz', '%c0%af'])}`;
      break;
    case 2:
      return path.replace(
        /^\/apis?\/[^/]*(\/v1)?/,
        rng.pick(['/apis/nope.example.com/v1', '/api/v2', '/apis/apps/v1beta1', '/apis/apps', '/apis', '/api', '/apis//v1']),
      );
    case 3:
      parts[i] = rng.pick(['nopes', 'POD', 'pods.', 'deployments.apps', 'Pods', 'scale', 'status', 'watch', 'namespaces']);
      break;
    case 4:
      parts.push('a'.repeat(rng.pick([64, 254, 1025, 8000])));
      break;
    case 5:
      parts[parts.length - 1] = rng.pick(['%E6%97%A5%E6%9C%AC', '\u00e9\u00ff', '%F0%9F%99%82', 'x%C3', '%ED%A0%80', 'A_B', '-x-', 'x.', 'a'.repeat(300)]);
      break;
    case 6:
      parts.splice(i, 0, '');
      break;
    case 7:
      parts.push('');
      break;
    case 8:
      parts.push(rng.pick(['status', 'scale', 'binding', 'log', 'exec', 'eviction', 'proxy', 'nope', 'status/x', 'a/b/c']));
      break;
    case 9:
      parts.splice(i, 1);
      break;
    case 10:
      return `${path}${rng.pick(['?', '??', '?&&', '?=', '?a', '#frag', '?%zz=1', '?limit=1&limit=2', ';x'])}`;
    default:
      parts[i] = parts[i]!.toUpperCase();
  }
  return parts.join('/');
}

const GARBAGE_TYPES = [
  'text/plain',
  'application/xml',
  '',
  'application/json; charset=utf-16',
  'application/json;;',
  'multipart/form-data; boundary=x',
  'application/x-www-form-urlencoded',
  'application/*',
  '*/*',
  'application/json-patch+json; x="',
  'application/vnd.kubernetes.protobuf;stream=watch',
];
const ACCEPTS = [
  'application/json',
  'application/json',
  'application/json',
  'application/json;as=Table;v=v1;g=meta.k8s.io',
  'application/json;as=Table;v=v1;g=meta.k8s.io, application/json',
  'application/json;as=PartialObjectMetadataList;v=v1;g=meta.k8s.io',
  PROTOBUF_CONTENT_TYPE,
  'application/yaml',
  '*/*',
  'text/html',
  'x',
];

/** A body for a full object (create, update, apply, status/scale writes): JSON, YAML or protobuf, mutated. */
function objectBody(
  rng: Rng,
  obj: unknown,
  r: ResourceInfo,
  kinds: Array<{ apiVersion: string; kind: string }>,
  forceType?: string,
): { type: string; body: Buffer } {
  // A quarter untouched (valid), most with a few mutations, some with many.
  const n = rng.weighted([
    [25, 0],
    [45, 1],
    [20, 2],
    [10, rng.range(3, 8)],
  ] as const);
  const value = n ? mutate(rng, obj, n, kinds) : obj;
  const type =
    forceType ??
    rng.weighted([
      [60, 'application/json'],
      [12, 'application/yaml'],
      [20, PROTOBUF_CONTENT_TYPE],
      [8, rng.pick(GARBAGE_TYPES)],
    ] as const);
  let body: Buffer;
  if (type === PROTOBUF_CONTENT_TYPE) body = protobufBody(rng, value, { apiVersion: apiVersionOf(r), kind: r.kind });
  else if (/yaml/.test(type)) body = yamlBody(rng, value);
  else body = Buffer.from(toJson(value, rng.chance(0.1) ? '  ' : ''));
  if (type !== PROTOBUF_CONTENT_TYPE && rng.chance(0.12)) body = breakText(rng, body);
  return { type, body };
}

/** A patch of one of the four types, built against the kind's sample. */
function patchBody(rng: Rng, sample: Record<string, unknown>, kinds: Array<{ apiVersion: string; kind: string }>, type: string): Buffer {
  if (type === PATCH_TYPES.json) {
    const ptrs = pointers(sample);
    const ptr = () =>
      rng.chance(0.8)
        ? rng.pick(ptrs) + (rng.chance(0.2) ? rng.pick(['/-', '/0', '/99999999', '/x', '/~2', '/~', '/-1']) : '')
        : rng.pick(['', '/', '/~1', '/metadata/labels/a~1b', '/spec/containers/-', '/a/b/c/d', '/metadata/name', '/status', `/${'x/'.repeat(200)}`]);
    const ops = Array.from(
      {
        length: rng.weighted([
          [1, 0],
          [6, 1],
          [3, rng.range(2, 8)],
        ] as const),
      },
      () => {
        const op = rng.weighted([
          [4, 'add'],
          [3, 'replace'],
          [2, 'remove'],
          [1, 'move'],
          [1, 'copy'],
          [2, 'test'],
          [1, rng.pick(['ADD', '', 'merge', 'x'])],
        ] as const);
        const o: Record<string, unknown> = { op, path: ptr() };
        if (op === 'move' || op === 'copy' || rng.chance(0.05)) o.from = ptr();
        if (op !== 'remove' || rng.chance(0.05)) o.value = rng.chance(0.5) ? nastyValue(rng) : rng.pick(['fz', 1, { a: 'b' }, ['x'], null]);
        if (rng.chance(0.1)) delete o[rng.pick(['op', 'path', 'value'])];
        return o;
      },
    );
    const v = rng.chance(0.08) ? rng.pick<unknown>([{ op: 'add' }, 'x', null, 1, {}]) : ops;
    const text = Buffer.from(toJson(v));
    return rng.chance(0.08) ? breakText(rng, text) : text;
  }
  // Merge and strategic merge patches: part of the object, mutated; nulls delete.
  const part: Record<string, unknown> = {};
  for (const k of Object.keys(sample)) if (rng.chance(0.5)) part[k] = sample[k];
  if (rng.chance(0.3)) part.metadata = { labels: { fuzz: rng.chance(0.5) ? null : 'patched' } };
  let v = mutate(rng, part, rng.range(0, 3), kinds);
  if (type === PATCH_TYPES.strategic && rng.chance(0.4)) {
    const directive = rng.pick([
      { $patch: rng.pick(['delete', 'replace', 'merge', 'x']) },
      { $retainKeys: rng.pick([['spec'], 'spec', [1], []]) },
      { metadata: { '$setElementOrder/finalizers': [{ x: 1 }], '$deleteFromPrimitiveList/finalizers': ['a'] } },
      {
        spec: {
          '$setElementOrder/containers': rng.pick([[{ name: 'c' }], [{ name: 'zz' }], 'x', [null]]),
          containers: [{ name: 'c', $patch: rng.pick(['delete', 'replace', 'x']) }],
        },
      },
      { spec: { containers: { $patch: 'replace' } } },
      { spec: { template: { spec: { containers: [{ name: rng.pick(['c', 'new', '']), image: rng.pick(['x', null, 1]) }] } } } },
    ]);
    v = typeof v === 'object' && v !== null && !Array.isArray(v) ? { ...(toPlain(v) as object), ...directive } : directive;
  }
  if (rng.chance(0.05)) v = rng.pick<unknown>([[], [{ op: 'add', path: '/x', value: 1 }], 'x', 1, null, new Raw('1e400')]);
  const text = Buffer.from(toJson(v));
  return rng.chance(0.08) ? breakText(rng, text) : text;
}

/**
 * Whether the server will take the request as a dry run: the query as it parses it (a
 * mutated path can turn `?dryRun=All` into a parameter named `?dryRun`), or, for a delete,
 * DeleteOptions' dryRun in the body.
 */
function isDryRun(path: string, body: Buffer | undefined, verb: Verb): boolean {
  let values: string[];
  try {
    values = new URL(path, 'http://x').searchParams.getAll('dryRun');
  } catch {
    return false;
  }
  if (values.length > 0 && values.every((v) => v === 'All')) return true;
  return body !== undefined && verb.startsWith('delete') && /"dryRun":\["All"\]/.test(body.toString('latin1'));
}

/** Query parameters a verb takes, mostly valid. */
function verbParams(rng: Rng, verb: Verb): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  if (['create', 'update', 'patch', 'apply', 'subresource'].includes(verb) && rng.chance(0.3))
    out.push(['fieldValidation', rng.pick(['Strict', 'Warn', 'Ignore'])]);
  if (['create', 'update', 'patch', 'apply', 'delete', 'deletecollection'].includes(verb) && rng.chance(0.15)) out.push(['dryRun', 'All']);
  if (verb === 'list' || verb === 'deletecollection' || verb === 'watch') {
    if (rng.chance(0.3)) out.push(['labelSelector', rng.pick(QUERY_VALUES.labelSelector!)]);
    if (rng.chance(0.2)) out.push(['fieldSelector', rng.pick(QUERY_VALUES.fieldSelector!)]);
  }
  if (verb === 'list' && rng.chance(0.3)) out.push(['limit', rng.pick(['1', '2', '500'])]);
  if (verb === 'list' && rng.chance(0.1)) out.push(['continue', rng.pick(QUERY_VALUES.continue!)]);
  if ((verb === 'list' || verb === 'get') && rng.chance(0.2)) out.push(['resourceVersion', rng.pick(['0', '', '1'])]);
  if (verb === 'list' && rng.chance(0.1)) out.push(['resourceVersionMatch', rng.pick(QUERY_VALUES.resourceVersionMatch!)]);
  if ((verb === 'delete' || verb === 'deletecollection') && rng.chance(0.3)) out.push(['propagationPolicy', rng.pick(QUERY_VALUES.propagationPolicy!)]);
  if ((verb === 'delete' || verb === 'deletecollection') && rng.chance(0.2)) out.push(['gracePeriodSeconds', rng.pick(QUERY_VALUES.gracePeriodSeconds!)]);
  return out;
}

/** A DeleteOptions body, sometimes. */
function deleteBody(rng: Rng): Buffer | undefined {
  if (rng.chance(0.7)) return undefined;
  const opts = {
    apiVersion: 'v1',
    kind: 'DeleteOptions',
    ...(rng.chance(0.5) ? { propagationPolicy: rng.pick(QUERY_VALUES.propagationPolicy!) } : {}),
    ...(rng.chance(0.3) ? { gracePeriodSeconds: rng.pick<unknown>([0, 5, -1, 'x', new Raw('1e400')]) } : {}),
    ...(rng.chance(0.3) ? { preconditions: rng.pick<unknown>([{ uid: 'x' }, { resourceVersion: '1' }, 'x', null, { uid: 1 }]) } : {}),
    ...(rng.chance(0.2) ? { dryRun: rng.pick<unknown>([['All'], 'All', [1], null]) } : {}),
    ...(rng.chance(0.2) ? { orphanDependents: rng.pick<unknown>([true, false, 'x']) } : {}),
  };
  const text = Buffer.from(toJson(rng.chance(0.1) ? nastyValue(rng) : opts));
  return rng.chance(0.1) ? breakText(rng, text) : text;
}

/**
 * Iteration `i`'s request: kinds are taken in turn, so every kind is fuzzed every
 * `resources.length` requests; the first rounds go through the verbs in order (every
 * kind gets every verb), later ones pick verbs by weight.
 */
export function generateRequest(rng: Rng, i: number, resources: ResourceInfo[]): FuzzRequest {
  const r = resources[i % resources.length]!;
  const round = Math.floor(i / resources.length);
  const kinds = resources.map((x) => ({ apiVersion: apiVersionOf(x), kind: x.kind }));
  const ns = r.namespaced
    ? rng.weighted([
        [70, 'fuzz'],
        [20, 'default'],
        [10, 'fuzz-missing'],
      ] as const)
    : undefined;
  const name = r.kind === 'Namespace' ? rng.pick(NAMESPACE_NAMES) : rng.pick(NAMES);
  const sample = sampleObject(r, name, ns);
  const verb = round < VERBS.length ? VERBS[round]![1] : rng.weighted(VERBS);
  let method: FuzzRequest['method'] = 'GET';
  let path = resourcePath(r, ns, name);
  let params: Array<[string, string]> = verbParams(rng, verb);
  let type: string | undefined;
  let body: Buffer | undefined;
  let what: string = `${verb} ${r.plural}`;
  let watch = false;
  switch (verb) {
    case 'create': {
      method = 'POST';
      path = resourcePath(r, ns);
      if (rng.chance(0.1)) (sample.metadata as Record<string, unknown>) = { generateName: rng.pick(['fz-', 'FZ', '', '-'.repeat(300)]) };
      ({ type, body } = objectBody(rng, sample, r, kinds));
      break;
    }
    case 'update':
      method = 'PUT';
      ({ type, body } = objectBody(rng, sample, r, kinds));
      break;
    case 'patch':
      method = 'PATCH';
      type = rng.pick([PATCH_TYPES.json, PATCH_TYPES.merge, PATCH_TYPES.strategic]);
      what = `patch ${r.plural} (${type})`;
      body = patchBody(rng, sample, kinds, type);
      break;
    case 'apply':
      method = 'PATCH';
      type = PATCH_TYPES.apply;
      ({ body } = objectBody(rng, sample, r, kinds, rng.chance(0.8) ? 'application/yaml' : 'application/json'));
      params.push(['fieldManager', rng.chance(0.9) ? 'fuzz' : rng.pick(QUERY_VALUES.fieldManager!)]);
      if (rng.chance(0.3)) params.push(['force', rng.pick(QUERY_VALUES.force!)]);
      if (rng.chance(0.05)) params = params.filter(([k]) => k !== 'fieldManager');
      break;
    case 'delete':
      method = 'DELETE';
      body = deleteBody(rng);
      if (body) type = 'application/json';
      break;
    case 'deletecollection':
      method = 'DELETE';
      path = resourcePath(r, ns);
      // Never every namespace's objects at once: the label keeps it to what the fuzzer made.
      if (!params.some(([k]) => k === 'labelSelector')) params.push(['labelSelector', 'fuzz=true']);
      body = deleteBody(rng);
      if (body) type = 'application/json';
      break;
    case 'get':
      break;
    case 'list':
      path = resourcePath(r, rng.chance(0.2) ? undefined : ns);
      break;
    case 'watch': {
      watch = true;
      const legacy = rng.chance(0.3);
      path = resourcePath(r, rng.chance(0.2) ? undefined : ns, rng.chance(0.3) ? name : undefined, undefined, legacy);
      if (!legacy) params.push(['watch', rng.pick(['true', '1'])]);
      // Short, so a watch the client fails to drop still ends.
      params.push(['timeoutSeconds', '1']);
      if (rng.chance(0.3)) params.push(['resourceVersion', rng.pick(['0', '1', '', 'x', '-1'])]);
      if (rng.chance(0.2)) params.push(['allowWatchBookmarks', 'true']);
      break;
    }
    case 'subresource': {
      const subs = r.subresources.map((s) => s.name as string);
      const sub = subs.length && rng.chance(0.9) ? rng.pick(subs) : rng.pick(['status', 'scale', 'binding', 'log', 'nope']);
      path = resourcePath(r, ns, name, sub);
      method = rng.pick(['GET', 'PUT', 'PATCH', 'POST', 'DELETE']);
      if (sub === 'binding' && rng.chance(0.7)) method = 'POST';
      if (sub === 'log' && rng.chance(0.7)) method = 'GET';
      what = `${method} ${r.plural}/${sub}`;
      if (method === 'GET' && sub === 'log') {
        for (const k of ['container', 'tailLines', 'limitBytes', 'sinceSeconds', 'sinceTime', 'previous', 'timestamps']) {
          if (rng.chance(0.15)) params.push([k, rng.pick(QUERY_VALUES[k]!)]);
        }
      } else if (method === 'PATCH') {
        type = rng.pick([PATCH_TYPES.json, PATCH_TYPES.merge, PATCH_TYPES.strategic, PATCH_TYPES.apply]);
        what += ` (${type})`;
        const base = sampleSubresourceBody(r, sub, name, ns);
        if (type === PATCH_TYPES.apply) {
          body = objectBody(rng, base, r, kinds, 'application/yaml').body;
          params.push(['fieldManager', 'fuzz']);
        } else body = patchBody(rng, base, kinds, type);
      } else if (method === 'PUT' || method === 'POST') {
        ({ type, body } = objectBody(rng, sampleSubresourceBody(r, sub, name, ns), r, kinds));
      }
      break;
    }
  }
  params.push(...extraParams(rng, watch));
  let full = path + queryString(params);
  if (rng.chance(0.12)) {
    const mutated = mutatePath(rng, path);
    // Never the fuzzer's own namespaces: a collection path less a segment is one (`DELETE /api/v1/namespaces/fuzz`).
    const own = WORK_NAMESPACES.some((ns) => new RegExp(`^/api/v1/namespaces/${ns}/?$`).test(mutated));
    if (!(own && method === 'DELETE')) full = mutated + queryString(params);
  }
  if (rng.chance(0.03)) type = rng.pick(GARBAGE_TYPES);
  return {
    method,
    path: full,
    contentType: type,
    accept: rng.chance(0.85) ? 'application/json' : rng.pick(ACCEPTS),
    body,
    what,
    watch,
    kind: r.kind,
    verb,
    dryRun: isDryRun(full, body, verb),
  };
}
