/**
 * Turns the upstream definitions into JSON Schemas for Ajv that check what the API server's
 * decoder and schema validation check for built-in kinds:
 *
 * - `null` is accepted wherever a value is (Go's decoder treats it as "not set");
 * - int-or-string fields take an integer or a string, Quantities a string or a number;
 * - an object with declared properties rejects other properties (`additionalProperties:
 *   false`), so Ajv reports unknown fields, unless it keeps unknown fields
 *   (`x-kubernetes-preserve-unknown-fields`) or declares none (RawExtension, FieldsV1);
 * - an embedded resource (`x-kubernetes-embedded-resource`) must carry apiVersion and kind;
 * - integers declared `format: int32` or `int64` must fit the Go type they decode into
 *   (upstream's decoder refuses 18446744073709551616 for an int32); other formats,
 *   descriptions and extensions are dropped.
 */
import { isSchema, refName } from '../definitions.ts';
import type { Schema } from '../types.ts';

/** The Ajv schema id of a definition: every definition is its own Ajv schema. */
export const ajvId = (definition: string) => `urn:k8s:${definition}`;
const QUANTITY = 'io.k8s.apimachinery.pkg.api.resource.Quantity';
const OBJECT_META = 'io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta';

/**
 * The integer formats checked, as inclusive ranges. JSON.parse rounds 2^63 - 1 (int64's
 * largest) up to 2^63, so int64 takes 2^63 too: it cannot tell the two apart.
 */
export const INTEGER_FORMATS: Record<string, { min: number; max: number }> = {
  int32: { min: -(2 ** 31), max: 2 ** 31 - 1 },
  int64: { min: -(2 ** 63), max: 2 ** 63 },
};

/**
 * Properties the published schema lists as required that the API server does not check
 * (Go decodes a missing string as empty and upstream's validation lets it be):
 * a StatefulSet's `serviceName` (documented as optional from 1.33 on).
 */
const NOT_ENFORCED: Record<string, string[]> = { 'io.k8s.api.apps.v1.StatefulSetSpec': ['serviceName'] };

const COPIED = ['minimum', 'maximum', 'minLength', 'maxLength', 'minItems', 'maxItems', 'minProperties', 'maxProperties', 'multipleOf'] as const;

/**
 * A definition as an Ajv schema (with its `$id`), and the definitions it refers to, which
 * must be added to the same Ajv instance before it is compiled.
 */
export function ajvSchema(definition: string, schema: Schema): { schema: Schema; refs: string[] } {
  const refs: string[] = [];
  return { schema: { $id: ajvId(definition), ...convert(schema, refs, definition) }, refs };
}

function convert(s: Schema, refs: string[], definition?: string): Schema {
  if (typeof s.$ref === 'string') {
    const name = refName(s.$ref);
    refs.push(name);
    return { $ref: ajvId(name) };
  }
  const out: Schema = {};

  let types: string[] | undefined;
  if (typeof s.type === 'string') types = [s.type];
  else if (Array.isArray(s.type)) types = s.type.filter((t): t is string => typeof t === 'string');
  if (s['x-kubernetes-int-or-string'] === true || s.format === 'int-or-string') types = ['integer', 'string'];
  if (definition === QUANTITY) types = ['string', 'number'];
  if (types) out.type = [...types, 'null'];

  for (const key of ['allOf', 'anyOf', 'oneOf'] as const) {
    const list = s[key];
    if (Array.isArray(list)) out[key] = list.filter(isSchema).map((x) => convert(x, refs));
  }
  if (isSchema(s.not)) out.not = convert(s.not, refs);

  const preserve = s['x-kubernetes-preserve-unknown-fields'] === true;
  const embedded = s['x-kubernetes-embedded-resource'] === true;
  let properties: Record<string, Schema> | undefined;
  if (isSchema(s.properties)) {
    properties = {};
    for (const [k, v] of Object.entries(s.properties)) if (isSchema(v)) properties[k] = convert(v, refs);
  }
  let required = Array.isArray(s.required)
    ? s.required.filter((r): r is string => typeof r === 'string' && !(definition && NOT_ENFORCED[definition]?.includes(r)))
    : undefined;
  if (embedded) {
    properties = {
      apiVersion: { type: ['string', 'null'] },
      kind: { type: ['string', 'null'] },
      metadata: { $ref: ajvId(OBJECT_META) },
      ...properties,
    };
    required = [...new Set([...(required ?? []), 'apiVersion', 'kind'])];
    refs.push(OBJECT_META);
  }
  if (properties) out.properties = properties;
  if (required?.length) out.required = required;
  if (isSchema(s.items)) out.items = convert(s.items, refs);

  const ap = s.additionalProperties;
  if (isSchema(ap)) out.additionalProperties = convert(ap, refs);
  else if (typeof ap === 'boolean') out.additionalProperties = preserve ? true : ap;
  else if (properties && !preserve) out.additionalProperties = false;

  if (Array.isArray(s.enum)) out.enum = s.enum.includes(null) ? s.enum : [...s.enum, null];
  for (const key of COPIED) if (typeof s[key] === 'number') out[key] = s[key];
  // OpenAPI 3.0 spells exclusive bounds as booleans next to minimum/maximum.
  if (s.exclusiveMinimum === true && typeof s.minimum === 'number') {
    out.exclusiveMinimum = s.minimum;
    delete out.minimum;
  }
  if (s.exclusiveMaximum === true && typeof s.maximum === 'number') {
    out.exclusiveMaximum = s.maximum;
    delete out.maximum;
  }
  if (typeof s.pattern === 'string' && isJsRegExp(s.pattern)) out.pattern = s.pattern;
  if (typeof s.format === 'string' && s.format in INTEGER_FORMATS) out.format = s.format;
  return out;
}

/** Go (RE2) patterns that JavaScript cannot compile are skipped rather than failing the kind. */
function isJsRegExp(pattern: string): boolean {
  try {
    new RegExp(pattern, 'u');
    return true;
  } catch {
    return false;
  }
}
