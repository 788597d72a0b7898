import { describe, expect, it } from 'vitest';
import {
  aggregateFieldCauses,
  fieldDuplicate,
  fieldForbidden,
  fieldInvalid,
  fieldNotSupported,
  fieldPath,
  fieldRequired,
  fieldTooLong,
  formatBadValue,
  formatFieldCause,
} from './field-cause.ts';
import { goQuote } from './internal/go-format.ts';

describe('goQuote (Go %q)', () => {
  it.each<[string, string]>([
    ['abc', '"abc"'],
    ['', '""'],
    ['a"b', '"a\\"b"'],
    ['a\\b', '"a\\\\b"'],
    ['tab\there', '"tab\\there"'],
    ['nl\n', '"nl\\n"'],
    ['\x00\x7f', '"\\x00\\x7f"'],
    ['\u00a0', '"\\u00a0"'],
    ['héllo 世界', '"héllo 世界"'],
    ['\u{1f600}', '"\u{1f600}"'],
    ['\u{e0001}', '"\\U000e0001"'],
  ])('%j', (s, want) => {
    expect(goQuote(s)).toBe(want);
  });
});

describe('formatBadValue', () => {
  it('prints values as upstream ErrorBody does', () => {
    expect(formatBadValue('x')).toBe('"x"');
    expect(formatBadValue(-1)).toBe('-1');
    expect(formatBadValue(true)).toBe('true');
    expect(formatBadValue(null)).toBe('null');
    expect(formatBadValue(['a', 'b'])).toBe('[]string{"a", "b"}');
    expect(formatBadValue([])).toBe('[]string{}');
    expect(formatBadValue({ goSyntax: '[]string(nil)' })).toBe('[]string(nil)');
  });
});

describe('field causes', () => {
  it.each([
    [fieldInvalid('metadata.name', 'Foo', 'bad'), 'FieldValueInvalid', 'Invalid value: "Foo": bad'],
    [fieldInvalid('x', 'Foo', ''), 'FieldValueInvalid', 'Invalid value: "Foo"'],
    [fieldRequired('metadata.namespace'), 'FieldValueRequired', 'Required value'],
    [fieldRequired('metadata.name', 'name or generateName is required'), 'FieldValueRequired', 'Required value: name or generateName is required'],
    [fieldForbidden('metadata.namespace', 'not allowed on this type'), 'FieldValueForbidden', 'Forbidden: not allowed on this type'],
    [fieldTooLong('metadata.annotations', 262144), 'FieldValueTooLong', 'Too long: must have at most 262144 bytes'],
    [fieldDuplicate('spec.ports[1].name', 'http'), 'FieldValueDuplicate', 'Duplicate value: "http"'],
    [
      fieldNotSupported('spec.restartPolicy', 'Sometimes', ['Always', 'OnFailure', 'Never']),
      'FieldValueNotSupported',
      'Unsupported value: "Sometimes": supported values: "Always", "OnFailure", "Never"',
    ],
  ])('%o', (cause, reason, message) => {
    expect(cause.reason).toBe(reason);
    expect(cause.message).toBe(message);
  });

  it('formats and aggregates like upstream field.Error and ErrorList.ToAggregate', () => {
    const a = fieldInvalid('metadata.name', 'x', 'bad');
    const b = fieldRequired('metadata.namespace');
    expect(formatFieldCause(a)).toBe('metadata.name: Invalid value: "x": bad');
    expect(aggregateFieldCauses([])).toBe('');
    expect(aggregateFieldCauses([a, a])).toBe('metadata.name: Invalid value: "x": bad');
    expect(aggregateFieldCauses([a, b])).toBe('[metadata.name: Invalid value: "x": bad, metadata.namespace: Required value]');
  });

  it('builds paths like field.Path', () => {
    expect(fieldPath.child('metadata', 'name')).toBe('metadata.name');
    expect(fieldPath.child('', 'key')).toBe('key');
    expect(fieldPath.index(fieldPath.child('spec', 'containers'), 0)).toBe('spec.containers[0]');
    expect(fieldPath.key('metadata.labels', 'app')).toBe('metadata.labels[app]');
  });
});
