/**
 * Field-level validation errors, shaped like a Kubernetes Status cause
 * (`{ reason, field, message }`). `message` is what upstream's field.Error.ErrorBody()
 * prints, i.e. its Error() without the leading `field: `, so an API server can put
 * causes straight into a 422 Invalid Status and build its message the upstream way.
 */
import { goQuote, goStringSlice } from './internal/go-format.ts';

export type FieldCauseReason =
  | 'FieldValueInvalid'
  | 'FieldValueTypeInvalid'
  | 'FieldValueRequired'
  | 'FieldValueNotSupported'
  | 'FieldValueTooLong'
  | 'FieldValueDuplicate'
  | 'FieldValueForbidden';

export interface FieldCause {
  reason: FieldCauseReason;
  /** Field path as upstream prints it, e.g. `metadata.name`, `spec.containers[0].image`, `metadata.labels`. */
  field: string;
  message: string;
}

/** A value printed verbatim, for Go values with no TypeScript twin (e.g. `[]string(nil)`). */
export interface GoSyntax {
  readonly goSyntax: string;
}

/**
 * A value as upstream's ErrorBody prints it: `%q` for strings, plain for numbers and
 * booleans, `%#v` for a []string, `null` for a nil value.
 */
export type BadValue = string | number | boolean | bigint | null | undefined | readonly string[] | GoSyntax;

const TYPE_TEXT: Record<FieldCauseReason, string> = {
  FieldValueInvalid: 'Invalid value',
  FieldValueTypeInvalid: 'Invalid value',
  FieldValueRequired: 'Required value',
  FieldValueNotSupported: 'Unsupported value',
  FieldValueTooLong: 'Too long',
  FieldValueDuplicate: 'Duplicate value',
  FieldValueForbidden: 'Forbidden',
};

/** How upstream renders a bad value: `"foo"`, `-1`, `true`, `[]string{"a"}`, `null`. */
export function formatBadValue(value: BadValue): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'string') return goQuote(value);
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  if ('goSyntax' in value) return value.goSyntax;
  return goStringSlice(value);
}

function withDetail(body: string, detail: string): string {
  return detail.length > 0 ? `${body}: ${detail}` : body;
}

/** field.Invalid: `Invalid value: "x": detail`. */
export function fieldInvalid(field: string, value: BadValue, detail: string): FieldCause {
  return {
    reason: 'FieldValueInvalid',
    field,
    message: withDetail(`${TYPE_TEXT.FieldValueInvalid}: ${formatBadValue(value)}`, detail),
  };
}

/**
 * field.TypeInvalid as the schema validation words it for a JSON value of the wrong type:
 * `Invalid value: "integer": metadata.name in body must be of type string: "integer"`.
 */
export function fieldTypeInvalid(field: string, actual: string, expected: string): FieldCause {
  return {
    reason: 'FieldValueTypeInvalid',
    field,
    message: `${TYPE_TEXT.FieldValueTypeInvalid}: ${goQuote(actual)}: ${field} in body must be of type ${expected}: ${goQuote(actual)}`,
  };
}

/** field.Required: `Required value` or `Required value: detail` (the value is never printed). */
export function fieldRequired(field: string, detail = ''): FieldCause {
  return { reason: 'FieldValueRequired', field, message: withDetail(TYPE_TEXT.FieldValueRequired, detail) };
}

/** field.Forbidden: `Forbidden: detail`. */
export function fieldForbidden(field: string, detail: string): FieldCause {
  return { reason: 'FieldValueForbidden', field, message: withDetail(TYPE_TEXT.FieldValueForbidden, detail) };
}

/** field.TooLong: `Too long: must have at most N bytes` (the value is never printed). */
export function fieldTooLong(field: string, maxLength: number): FieldCause {
  return {
    reason: 'FieldValueTooLong',
    field,
    message: `${TYPE_TEXT.FieldValueTooLong}: must have at most ${maxLength} bytes`,
  };
}

/** field.Duplicate: `Duplicate value: "x"`. */
export function fieldDuplicate(field: string, value: BadValue): FieldCause {
  return {
    reason: 'FieldValueDuplicate',
    field,
    message: `${TYPE_TEXT.FieldValueDuplicate}: ${formatBadValue(value)}`,
  };
}

/** field.NotSupported: `Unsupported value: "x": supported values: "a", "b"`. */
export function fieldNotSupported(field: string, value: BadValue, validValues: readonly string[]): FieldCause {
  const detail = validValues.length > 0 ? `supported values: ${validValues.map(goQuote).join(', ')}` : '';
  return {
    reason: 'FieldValueNotSupported',
    field,
    message: withDetail(`${TYPE_TEXT.FieldValueNotSupported}: ${formatBadValue(value)}`, detail),
  };
}

/** Upstream's field.Error.Error(): `metadata.name: Invalid value: "x": ...`. */
export function formatFieldCause(cause: FieldCause): string {
  return `${cause.field}: ${cause.message}`;
}

/**
 * Upstream's ErrorList.ToAggregate().Error(): duplicates dropped, one error printed
 * as is, several as `[a, b]`; the empty list gives ''.
 */
export function aggregateFieldCauses(causes: readonly FieldCause[]): string {
  const msgs = [...new Set(causes.map(formatFieldCause))];
  if (msgs.length === 0) return '';
  if (msgs.length === 1) return msgs[0]!;
  return `[${msgs.join(', ')}]`;
}

/** Field path helpers, printing like upstream's field.Path. */
export const fieldPath = {
  child: (parent: string, ...names: string[]): string => [parent, ...names].filter((p) => p.length > 0).join('.'),
  index: (parent: string, i: number): string => `${parent}[${i}]`,
  key: (parent: string, k: string): string => `${parent}[${k}]`,
};
