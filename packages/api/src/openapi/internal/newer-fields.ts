/**
 * Brings the bundled 1.27 definitions up to Kubernetes 1.32 (see spec-source.ts for why two
 * packages): `@kubernetes/client-node` 1.1 (installed as `kubernetes-api-models`) is generated
 * from upstream's 1.32 `swagger.json` ("OpenAPI spec version: v1.32.0" in every model file)
 * and keeps, for each definition, its fields in order with their JSON names, types and
 * formats (the `attributeTypeMap` of `dist/gen/models/<Model>.js`), and the descriptions and
 * required fields in the declaration beside it (`<Model>.d.ts`). It has no `x-kubernetes-*`
 * extensions and no group-version-kinds; those stay the 1.27 spec's, and `NEW_FIELD_EXTENSIONS`
 * restores them for the fields added since.
 *
 * For each definition that both know, the fields become 1.32's: a field already in 1.27 keeps
 * its 1.27 schema (extensions, descriptions and all) unless its struct type changed; a new
 * one is built from the model; a field 1.32 no longer has is dropped. A model that 1.27 lacks becomes a new
 * definition in the package of the definition that first refers to it.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { Schema } from '../types.ts';

export const MODELS_PACKAGE = 'kubernetes-api-models';
/** The upstream release the models were generated from, as their files say. */
export const SPEC_VERSION = 'v1.32.0';

interface Attribute {
  baseName: string;
  type: string;
  format: string;
}

interface Model {
  specVersion?: string;
  attributes: Attribute[];
  /** Read from the declaration file only when a field is new. */
  docs?: { description?: string; fields: Map<string, string>; required: string[] };
}

const META = 'io.k8s.apimachinery.pkg.apis.meta.v1';
const REF = (name: string): Schema => ({ $ref: `#/components/schemas/${name}` });

/**
 * Models whose definition lives elsewhere than the package of the first definition that
 * refers to them.
 */
const NEW_DEFINITION_NAMES: Record<string, string> = {
  V1FieldSelectorRequirement: `${META}.FieldSelectorRequirement`,
};

/**
 * The list and map semantics (the Go types' `listType`, `listMapKey`, `patchStrategy` and
 * `patchMergeKey` markers) of the fields added between 1.28 and 1.32 that carry any. Fields
 * not named here are plain (scalars and structs) or atomic lists.
 */
const NEW_FIELD_EXTENSIONS: Record<string, Record<string, Schema>> = {
  'io.k8s.api.core.v1.PodStatus': {
    hostIPs: { 'x-kubernetes-list-type': 'atomic', 'x-kubernetes-patch-merge-key': 'ip', 'x-kubernetes-patch-strategy': 'merge' },
    resourceClaimStatuses: {
      'x-kubernetes-list-map-keys': ['name'],
      'x-kubernetes-list-type': 'map',
      'x-kubernetes-patch-merge-key': 'name',
      'x-kubernetes-patch-strategy': 'merge,retainKeys',
    },
  },
  'io.k8s.api.core.v1.ContainerStatus': {
    volumeMounts: { 'x-kubernetes-list-type': 'atomic', 'x-kubernetes-patch-merge-key': 'mountPath', 'x-kubernetes-patch-strategy': 'merge' },
    allocatedResourcesStatus: {
      'x-kubernetes-list-map-keys': ['name'],
      'x-kubernetes-list-type': 'map',
      'x-kubernetes-patch-merge-key': 'name',
      'x-kubernetes-patch-strategy': 'merge',
    },
  },
  'io.k8s.api.core.v1.ResourceStatus': {
    resources: { 'x-kubernetes-list-map-keys': ['resourceID'], 'x-kubernetes-list-type': 'map' },
  },
  'io.k8s.api.core.v1.PodAffinityTerm': {
    matchLabelKeys: { 'x-kubernetes-list-type': 'atomic' },
    mismatchLabelKeys: { 'x-kubernetes-list-type': 'atomic' },
  },
  'io.k8s.api.core.v1.NodeStatus': {
    runtimeHandlers: { 'x-kubernetes-list-type': 'atomic' },
  },
  'io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.CustomResourceDefinitionVersion': {
    selectableFields: { 'x-kubernetes-list-type': 'atomic' },
  },
  'io.k8s.api.batch.v1.SuccessPolicy': {
    rules: { 'x-kubernetes-list-type': 'atomic' },
  },
};

/**
 * Fields added since 1.27 whose values are Quantities (the models type them as strings;
 * upstream's decoder takes `1Gi` or `1`).
 */
const NEW_QUANTITY_MAPS: Record<string, string[]> = {
  'io.k8s.api.core.v1.VolumeResourceRequirements': ['limits', 'requests'],
};

/** Updates `definitions` (the 1.27 spec's) in place to 1.32; returns the models package's `name@version`. */
export function applyNewerFields(definitions: Record<string, Schema>): string {
  const require = createRequire(import.meta.url);
  const pkgFile = require.resolve(`${MODELS_PACKAGE}/package.json`);
  const pkg = JSON.parse(readFileSync(pkgFile, 'utf8')) as { name: string; version: string };
  const dir = join(dirname(pkgFile), 'dist', 'gen', 'models');
  const available = new Set(
    readdirSync(dir)
      .filter((f) => f.endsWith('.js') && f !== 'ObjectSerializer.js' && f !== 'all.js')
      .map((f) => f.slice(0, -3)),
  );
  const cache = new Map<string, Model | null>();
  const model = (cls: string): Model | undefined => {
    let m = cache.get(cls);
    if (m === undefined) {
      m = available.has(cls) ? readModel(dir, cls) : null;
      // The package also carries files of models that 1.32 no longer has, left from an
      // earlier generation; those say another spec version and are not used.
      if (m && m.specVersion !== SPEC_VERSION) m = null;
      cache.set(cls, m);
    }
    return m ?? undefined;
  };

  // Model class → definition name, for the definitions 1.27 has.
  const defOf = new Map<string, string>();
  const classOf = new Map<string, string>();
  for (const name of Object.keys(definitions)) {
    const cls = modelClass(name, available);
    if (cls && !defOf.has(cls)) {
      defOf.set(cls, name);
      classOf.set(name, cls);
    }
  }

  const queue = [...classOf.entries()];
  const created = new Set<string>();
  const resolveClass = (cls: string, from: string): string => {
    const known = defOf.get(cls);
    if (known) return known;
    const fixed = NEW_DEFINITION_NAMES[cls];
    const name = fixed ?? `${from.slice(0, from.lastIndexOf('.'))}.${cls.replace(VERSION_PREFIX, '')}`;
    defOf.set(cls, name);
    classOf.set(name, cls);
    definitions[name] = { type: 'object' };
    created.add(name);
    queue.push([name, cls]);
    return name;
  };

  for (let i = 0; i < queue.length; i++) {
    const [name, cls] = queue[i]!;
    const m = model(cls);
    const def = definitions[name];
    if (!m || !def || m.attributes.length === 0) continue;
    const old = (def.properties ?? {}) as Record<string, Schema>;
    const isNew = created.has(name);
    const properties: Record<string, Schema> = {};
    const added = NEW_FIELD_EXTENSIONS[name] ?? {};
    for (const a of m.attributes) {
      const existing = old[a.baseName];
      if (existing) {
        properties[a.baseName] = retyped(existing, a, classOf, (c) => resolveClass(c, name)) ?? existing;
        continue;
      }
      const schema = typeSchema(a, (c) => resolveClass(c, name));
      m.docs ??= readDocs(dir, cls);
      const description = m.docs.fields.get(a.baseName);
      if (NEW_QUANTITY_MAPS[name]?.includes(a.baseName)) schema.additionalProperties = REF('io.k8s.apimachinery.pkg.api.resource.Quantity');
      properties[a.baseName] = { ...(description ? { description } : {}), ...schema, ...added[a.baseName] };
    }
    def.properties = properties;
    if (isNew) {
      m.docs ??= readDocs(dir, cls);
      if (m.docs.description) def.description = m.docs.description;
      if (m.docs.required.length) def.required = m.docs.required;
    } else if (Array.isArray(def.required)) {
      def.required = (def.required as string[]).filter((r) => r in properties);
      if ((def.required as string[]).length === 0) delete def.required;
    }
  }
  return `${pkg.name}@${pkg.version}`;
}

/**
 * An existing field whose struct type changed since 1.27 (a PersistentVolumeClaim's
 * `spec.resources` became VolumeResourceRequirements in 1.28) gets the 1.32 type, keeping
 * its description and extensions; undefined if the type is the same.
 */
function retyped(existing: Schema, a: Attribute, classOf: Map<string, string>, ref: (cls: string) => string): Schema | undefined {
  const target = a.type.replace(/^Array<(.+)>$/, '$1').replace(/^\{ \[key: string\]: (.+); \}$/, '$1');
  if (!/^[A-Z]/.test(target) || target === 'IntOrString' || target === 'Date') return undefined;
  const current = structRef(existing);
  if (!current || classOf.get(current) === target || !classOf.has(current)) return undefined;
  const { $ref: _ref, allOf: _allOf, items: _items, additionalProperties: _ap, type: _type, ...kept } = existing;
  return { ...kept, ...typeSchema(a, ref) };
}

/** The definition a field's schema refers to, directly or as its items' or values' type. */
function structRef(s: Schema): string | undefined {
  const ref = s.$ref ?? (Array.isArray(s.allOf) && (s.allOf[0] as Schema | undefined)?.$ref);
  if (typeof ref === 'string') return ref.slice(ref.lastIndexOf('/') + 1);
  for (const inner of [s.items, s.additionalProperties]) {
    if (inner && typeof inner === 'object') return structRef(inner as Schema);
  }
  return undefined;
}

/** `V1`, `V1beta1`, `CoreV1`, `FlowcontrolV1beta3`: the prefix the generator puts before a kind. */
const VERSION_PREFIX = /^(?:[A-Z][a-z]+)?V\d+(?:(?:alpha|beta)\d+)?(?=[A-Z])/;

/**
 * The model class of a definition: `io.k8s.api.batch.v1.JobSpec` → `V1JobSpec`, or with the
 * group when two groups share the kind (`io.k8s.api.core.v1.Event` → `CoreV1Event`).
 */
function modelClass(definition: string, available: Set<string>): string | undefined {
  const parts = definition.split('.');
  const kind = parts.at(-1)!;
  const version = parts.at(-2)!;
  const group = parts.at(-3)!;
  if (!/^v\d+((alpha|beta)\d+)?$/.test(version)) return undefined;
  const withGroup = `${upper(group)}${upper(version)}${kind}`;
  if (available.has(withGroup)) return withGroup;
  const short = `${upper(version)}${kind}`;
  return available.has(short) ? short : undefined;
}

/** A field's schema from its model type: `number`/`int32`, `Array<V1Container>`, `{ [key: string]: string; }`. */
function typeSchema(a: { type: string; format: string }, ref: (cls: string) => string): Schema {
  const t = a.type.trim();
  const array = /^Array<(.+)>$/.exec(t);
  if (array) return { type: 'array', items: typeSchema({ type: array[1]!, format: a.format }, ref) };
  const map = /^\{ \[key: string\]: (.+); \}$/.exec(t);
  if (map) return { type: 'object', additionalProperties: typeSchema({ type: map[1]!, format: a.format }, ref) };
  switch (t) {
    case 'string':
      return a.format ? { type: 'string', format: a.format } : { type: 'string' };
    case 'number':
      return a.format === 'int32' || a.format === 'int64' ? { type: 'integer', format: a.format } : { type: 'number', format: a.format || 'double' };
    case 'boolean':
      return { type: 'boolean' };
    case 'Date':
      return REF(`${META}.Time`);
    case 'IntOrString':
      return REF('io.k8s.apimachinery.pkg.util.intstr.IntOrString');
    case 'any':
      return { type: 'object', 'x-kubernetes-preserve-unknown-fields': true };
    default:
      return REF(ref(t));
  }
}

const SPEC_HEADER = /OpenAPI spec version: (\S+)/;
const ATTRIBUTES = /\.attributeTypeMap = (\[[\s\S]*?\]);/;
const CLASS_DOC = /\/\*\*\n((?:\* ?.*\n)+?)\*\/\nexport declare class/;
const FIELD = /(?:\/\*\*\n((?:\s*\* ?.*\n)+?)\s*\*\/\n)?\s*'([^']+)'(\?)?: /g;

function readModel(dir: string, cls: string): Model {
  const js = readFileSync(join(dir, `${cls}.js`), 'utf8');
  const match = ATTRIBUTES.exec(js);
  return { specVersion: SPEC_HEADER.exec(js)?.[1], attributes: match ? (JSON.parse(match[1]!) as Attribute[]) : [] };
}

function readDocs(dir: string, cls: string): NonNullable<Model['docs']> {
  const out: NonNullable<Model['docs']> = { fields: new Map(), required: [] };
  const file = join(dir, `${cls}.d.ts`);
  if (!existsSync(file)) return out;
  const text = readFileSync(file, 'utf8');
  const classDoc = CLASS_DOC.exec(text);
  if (classDoc) out.description = comment(classDoc[1]!);
  for (const f of text.slice(text.indexOf('export declare class')).matchAll(FIELD)) {
    if (f[1]) out.fields.set(f[2]!, comment(f[1]));
    if (!f[3]) out.required.push(f[2]!);
  }
  return out;
}

/** A generated JSDoc body back to the description: the generator escaped quotes and folded lines. */
function comment(body: string): string {
  return body
    .split('\n')
    .map((line) => line.replace(/^\s*\* ?/, ''))
    .join('\n')
    .trim()
    .replace(/\\(["'\\])/g, '$1');
}

const upper = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);
