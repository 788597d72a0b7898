/**
 * Ajv errors in upstream's words. Type, required and enum errors read like the API
 * server's schema validation (kube-openapi errors turned into field errors, as for custom
 * resources): `spec.replicas: Invalid value: "string": spec.replicas in body must be of
 * type integer: "string"`. Field paths read like upstream's: `spec.containers[0].image`.
 */
import type { ErrorObject } from 'ajv';
import { goQuote } from '../../validation/index.ts';
import type { FieldCause } from '../types.ts';

export interface ConvertedErrors {
  causes: FieldCause[];
  /** Unknown fields as [parent object, property name, upstream path]. */
  unknown: Array<{ parent: Record<string, unknown>; key: string; path: string }>;
}

export function convertErrors(errors: readonly ErrorObject[], data: unknown): ConvertedErrors {
  const causes: FieldCause[] = [];
  const unknown: ConvertedErrors['unknown'] = [];
  const seen = new Set<string>();
  for (const e of errors) {
    const { path, value } = locate(e.instancePath, data);
    const p = e.params as Record<string, unknown>;
    let cause: FieldCause | undefined;
    switch (e.keyword) {
      case 'additionalProperties': {
        const key = String(p.additionalProperty);
        unknown.push({ parent: value as Record<string, unknown>, key, path: child(path, key) });
        break;
      }
      case 'type': {
        const actual = jsonType(value);
        const expected = String(p.type)
          .split(',')
          .filter((t) => t !== 'null')
          .join(',');
        const detail = path ? `${path} in body must be of type ${expected}: "${actual}"` : `body must be of type ${expected}: "${actual}"`;
        cause = { reason: 'FieldValueTypeInvalid', field: path, message: `Invalid value: "${actual}": ${detail}` };
        break;
      }
      case 'format': {
        // kube-openapi's format error: the value does not fit the declared type.
        const v = goValue(value);
        const shown = typeof value === 'string' ? v : `"${v}"`;
        cause = { reason: 'FieldValueTypeInvalid', field: path, message: `Invalid value: ${shown}: ${path} in body must be of type ${p.format}: ${shown}` };
        break;
      }
      case 'required':
        cause = { reason: 'FieldValueRequired', field: child(path, String(p.missingProperty)), message: 'Required value' };
        break;
      case 'enum': {
        const allowed = (p.allowedValues as unknown[]).filter((v) => v !== null).map((v) => (typeof v === 'string' ? v : JSON.stringify(v)));
        const detail = allowed.length ? `: supported values: ${allowed.map(goQuote).join(', ')}` : '';
        cause = { reason: 'FieldValueNotSupported', field: path, message: `Unsupported value: ${goValue(value)}${detail}` };
        break;
      }
      case 'maxLength':
        cause = { reason: 'FieldValueTooLong', field: path, message: `Too long: may not be longer than ${p.limit}` };
        break;
      case 'maxItems':
      case 'maxProperties': {
        const n = Array.isArray(value) ? value.length : Object.keys(value as object).length;
        cause = { reason: 'FieldValueTooMany', field: path, message: `Too many: ${n}: must have at most ${p.limit} items` };
        break;
      }
      default:
        cause = { reason: 'FieldValueInvalid', field: path, message: `Invalid value: ${goValue(value)}: ${path} in body ${describe(e)}` };
    }
    if (!cause) continue;
    const key = `${cause.field}\0${cause.message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    causes.push(cause);
  }
  return { causes, unknown };
}

/** kube-openapi's wording for the rarer constraints. */
function describe(e: ErrorObject): string {
  const p = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case 'minimum':
      return `should be greater than or equal to ${p.limit}`;
    case 'exclusiveMinimum':
      return `should be greater than ${p.limit}`;
    case 'maximum':
      return `should be less than or equal to ${p.limit}`;
    case 'exclusiveMaximum':
      return `should be less than ${p.limit}`;
    case 'minLength':
      return `should be at least ${p.limit} chars long`;
    case 'minItems':
      return `should have at least ${p.limit} items`;
    case 'minProperties':
      return `should have at least ${p.limit} properties`;
    case 'multipleOf':
      return `should be a multiple of ${p.multipleOf}`;
    case 'pattern':
      return `should match '${p.pattern}'`;
    default:
      return `failed ${e.keyword} validation`;
  }
}

const child = (path: string, key: string) => (path ? `${path}.${key}` : key);

/**
 * A JSON pointer turned into an upstream field path, walking the data so that list
 * indexes print as `[0]` and map keys or fields as `.name`.
 */
function locate(pointer: string, data: unknown): { path: string; value: unknown } {
  if (!pointer) return { path: '', value: data };
  let path = '';
  let value = data;
  for (const raw of pointer.slice(1).split('/')) {
    const seg = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (Array.isArray(value)) {
      path += `[${seg}]`;
      value = value[Number(seg)];
    } else {
      path = child(path, seg);
      value = value !== null && typeof value === 'object' ? (value as Record<string, unknown>)[seg] : undefined;
    }
  }
  return { path, value };
}

/** The JSON type name of a value, as kube-openapi names it in type errors. */
function jsonType(v: unknown): string {
  if (v === null || v === undefined) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return typeof v;
}

/** A value as Go prints it in field errors: `%q` strings, plain scalars, `%#v` otherwise. */
function goValue(v: unknown): string {
  if (v === null || v === undefined) return 'null';
  if (typeof v === 'string') return goQuote(v);
  if (typeof v !== 'object') return String(v);
  return goSyntax(v);
}

function goSyntax(v: unknown): string {
  if (v === null || v === undefined) return 'interface {}(nil)';
  if (typeof v === 'string') return goQuote(v);
  if (typeof v !== 'object') return String(v);
  if (Array.isArray(v)) return `[]interface {}{${v.map(goSyntax).join(', ')}}`;
  const entries = Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `map[string]interface {}{${entries.map(([k, x]) => `${goQuote(k)}:${goSyntax(x)}`).join(', ')}}`;
}
