/**
 * ObjectMeta validation on create, as upstream's ValidateObjectMeta
 * (k8s.io/apimachinery/pkg/api/validation/objectmeta.go): generateName, name, namespace
 * by scope, generation, labels and annotations. Returns causes; never throws, whatever
 * the client sent: a field of the wrong JSON type gets the schema's type error (as
 * upstream, whose decoder refuses it before any rule runs) and no rule is run on it.
 */
import { type FieldCause, fieldForbidden, fieldInvalid, fieldPath, fieldRequired, fieldTooLong, fieldTypeInvalid } from './field-cause.ts';
import { byteLength } from './internal/go-format.ts';
import {
  isQualifiedName,
  isValidLabelValue,
  type NameValidator,
  nameIsDNS1035Label,
  nameIsDNSLabel,
  nameIsDNSSubdomain,
  validateNamespaceName,
} from './names.ts';

/** Upstream's TotalAnnotationSizeLimitB: keys plus values, in bytes. */
export const TOTAL_ANNOTATION_SIZE_LIMIT_B = 256 * 1024;

export const IS_NEGATIVE_ERROR_MSG = 'must be greater than or equal to 0';

export interface ObjectMetaInput {
  name?: string | null;
  generateName?: string | null;
  namespace?: string | null;
  generation?: number | null;
  labels?: Readonly<Record<string, string>> | null;
  annotations?: Readonly<Record<string, string>> | null;
}

/** Which name rule a kind uses: most kinds 'subdomain', Namespaces 'label', Services 'dns1035'. */
export type NameRule = 'subdomain' | 'label' | 'dns1035';

export interface ValidateObjectMetaOptions {
  /** Namespaced kinds require `namespace`; cluster-scoped kinds forbid it. */
  namespaced: boolean;
  nameRule: NameRule | NameValidator;
  /** Path of the metadata field; default `metadata`. */
  path?: string;
}

const NAME_RULES: Record<NameRule, NameValidator> = {
  subdomain: nameIsDNSSubdomain,
  label: nameIsDNSLabel,
  dns1035: nameIsDNS1035Label,
};

/** The name validator of a rule: 'subdomain' (most kinds), 'label' (Namespace), 'dns1035' (Service). */
export const nameValidator = (rule: NameRule): NameValidator => NAME_RULES[rule];

/** ValidateLabelName: a label key is a qualified name. */
export function validateLabelName(labelName: string, path: string): FieldCause[] {
  return isQualifiedName(labelName).map((msg) => fieldInvalid(path, labelName, msg));
}

/** The JSON type name of a value, as kube-openapi names it in type errors. */
function jsonType(v: unknown): string {
  if (v === null || v === undefined) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return typeof v;
}

/** The schema's type errors for the metadata fields these rules read; empty when all are of their type (or unset). */
function metadataTypeCauses(m: Record<string, unknown>, path: string): FieldCause[] {
  const causes: FieldCause[] = [];
  const check = (field: string, value: unknown, type: 'string' | 'object' | 'integer') => {
    if (value === null || value === undefined) return true;
    const actual = jsonType(value);
    if (actual === type) return true;
    causes.push(fieldTypeInvalid(field, actual, type));
    return false;
  };
  for (const f of ['name', 'generateName', 'namespace'] as const) check(fieldPath.child(path, f), m[f], 'string');
  check(fieldPath.child(path, 'generation'), m.generation, 'integer');
  for (const f of ['labels', 'annotations'] as const) {
    const field = fieldPath.child(path, f);
    if (!check(field, m[f], 'object') || !m[f]) continue;
    for (const [k, v] of Object.entries(m[f] as Record<string, unknown>)) check(fieldPath.child(field, k), v, 'string');
  }
  return causes;
}

/** ValidateLabels: every key a qualified name, every value a label value (all reported at `path`). */
export function validateLabels(labels: Readonly<Record<string, string>> | null | undefined, path: string): FieldCause[] {
  const causes: FieldCause[] = [];
  for (const [k, v] of Object.entries(labels ?? {})) {
    causes.push(...validateLabelName(k, path));
    if (typeof v !== 'string') continue;
    for (const msg of isValidLabelValue(v)) causes.push(fieldInvalid(path, v, msg));
  }
  return causes;
}

/** Upstream's ValidateAnnotationsSize: an error text when keys plus values exceed 256 KiB. */
export function validateAnnotationsSize(annotations: Readonly<Record<string, string>> | null | undefined): string | undefined {
  let total = 0;
  for (const [k, v] of Object.entries(annotations ?? {})) total += byteLength(k) + byteLength(v);
  if (total > TOTAL_ANNOTATION_SIZE_LIMIT_B) {
    return `annotations size ${total} is larger than limit ${TOTAL_ANNOTATION_SIZE_LIMIT_B}`;
  }
  return undefined;
}

/**
 * ValidateAnnotations: keys are qualified names compared case-insensitively (the key is
 * lower-cased before the check but printed as given); the total size is at most 256 KiB.
 */
export function validateAnnotations(annotations: Readonly<Record<string, string>> | null | undefined, path: string): FieldCause[] {
  const causes: FieldCause[] = [];
  for (const k of Object.keys(annotations ?? {})) {
    for (const msg of isQualifiedName(k.toLowerCase())) causes.push(fieldInvalid(path, k, msg));
  }
  if (validateAnnotationsSize(annotations) !== undefined) causes.push(fieldTooLong(path, TOTAL_ANNOTATION_SIZE_LIMIT_B));
  return causes;
}

/** ValidateNonnegativeField. */
export function validateNonnegativeField(value: number, path: string): FieldCause[] {
  return value < 0 ? [fieldInvalid(path, value, IS_NEGATIVE_ERROR_MSG)] : [];
}

/**
 * ValidateObjectMeta for a create. Upstream runs it after the name has been generated
 * from generateName; called before that (name empty, generateName set), the missing
 * name is not reported and only the generateName prefix is checked.
 */
export function validateObjectMeta(meta: ObjectMetaInput | null | undefined, opts: ValidateObjectMetaOptions): FieldCause[] {
  const m = meta ?? {};
  const path = opts.path ?? 'metadata';
  // Types before semantics: a name of 5 is a type error, not a name to check.
  const typeErrors = metadataTypeCauses(m as Record<string, unknown>, path);
  if (typeErrors.length > 0) return typeErrors;
  const nameFn = typeof opts.nameRule === 'function' ? opts.nameRule : NAME_RULES[opts.nameRule];
  const causes: FieldCause[] = [];

  const generateName = m.generateName ?? '';
  const name = m.name ?? '';
  if (generateName.length > 0) {
    for (const msg of nameFn(generateName, true)) {
      causes.push(fieldInvalid(fieldPath.child(path, 'generateName'), generateName, msg));
    }
  }
  if (name.length === 0) {
    if (generateName.length === 0) {
      causes.push(fieldRequired(fieldPath.child(path, 'name'), 'name or generateName is required'));
    }
  } else {
    for (const msg of nameFn(name, false)) causes.push(fieldInvalid(fieldPath.child(path, 'name'), name, msg));
  }

  const namespace = m.namespace ?? '';
  const namespacePath = fieldPath.child(path, 'namespace');
  if (opts.namespaced) {
    if (namespace.length === 0) causes.push(fieldRequired(namespacePath));
    else for (const msg of validateNamespaceName(namespace, false)) causes.push(fieldInvalid(namespacePath, namespace, msg));
  } else if (namespace.length > 0) {
    causes.push(fieldForbidden(namespacePath, 'not allowed on this type'));
  }

  causes.push(...validateNonnegativeField(m.generation ?? 0, fieldPath.child(path, 'generation')));
  causes.push(...validateLabels(m.labels, fieldPath.child(path, 'labels')));
  causes.push(...validateAnnotations(m.annotations, fieldPath.child(path, 'annotations')));
  return causes;
}
