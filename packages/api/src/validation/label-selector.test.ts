import { describe, expect, it } from 'vitest';
import type { MetaLabelSelector } from '../selectors/types.ts';
import type { FieldCause } from './field-cause.ts';
import { validateLabelSelector } from './label-selector.ts';

const NAME_PART_MSG =
  "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";
const LABEL_VALUE_MSG =
  "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')";

describe('validateLabelSelector', () => {
  it.each<[string, MetaLabelSelector | null, FieldCause[]]>([
    ['null is valid', null, []],
    ['empty is valid', {}, []],
    ['valid', { matchLabels: { app: 'web' }, matchExpressions: [{ key: 'tier', operator: 'In', values: ['a', 'b'] }] }, []],
    [
      'In without values',
      { matchExpressions: [{ key: 'tier', operator: 'In' }] },
      [
        {
          reason: 'FieldValueRequired',
          field: 'spec.selector.matchExpressions[0].values',
          message: "Required value: must be specified when `operator` is 'In' or 'NotIn'",
        },
      ],
    ],
    [
      'Exists with values',
      { matchExpressions: [{ key: 'tier', operator: 'Exists', values: ['x'] }] },
      [
        {
          reason: 'FieldValueForbidden',
          field: 'spec.selector.matchExpressions[0].values',
          message: "Forbidden: may not be specified when `operator` is 'Exists' or 'DoesNotExist'",
        },
      ],
    ],
    [
      'unknown operator, bad key, bad value',
      {
        matchLabels: { ok: 'x y' },
        matchExpressions: [
          { key: 'a', operator: 'In', values: ['ok'] },
          { key: '-k', operator: 'Equals', values: ['-v'] },
        ],
      },
      [
        { reason: 'FieldValueInvalid', field: 'spec.selector.matchLabels', message: `Invalid value: "x y": ${LABEL_VALUE_MSG}` },
        {
          reason: 'FieldValueInvalid',
          field: 'spec.selector.matchExpressions[1].operator',
          message: 'Invalid value: "Equals": not a valid selector operator',
        },
        { reason: 'FieldValueInvalid', field: 'spec.selector.matchExpressions[1].key', message: `Invalid value: "-k": ${NAME_PART_MSG}` },
        {
          reason: 'FieldValueInvalid',
          field: 'spec.selector.matchExpressions[1].values[0]',
          message: `Invalid value: "-v": ${LABEL_VALUE_MSG}`,
        },
      ],
    ],
  ])('%s', (_name, ps, want) => {
    expect(validateLabelSelector(ps, 'spec.selector')).toEqual(want);
  });

  it('can skip the value check for old objects', () => {
    const ps = { matchExpressions: [{ key: 'a', operator: 'In', values: ['-v'] }] };
    expect(validateLabelSelector(ps, 'spec.selector', { allowInvalidLabelValueInSelector: true })).toEqual([]);
  });
});
