import { describe, expect, it } from 'vitest';
import { SelectorError } from './errors.ts';
import { formatLabelSelector, labelSelectorAsMap, labelSelectorAsSelector, labelSelectorMatches, parseToLabelSelector } from './label-selector-object.ts';
import type { MetaLabelSelector } from './types.ts';

const LABEL_VALUE_MSG =
  "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')";

describe('labelSelectorAsSelector', () => {
  it('null or missing selects nothing; {} selects everything', () => {
    expect(labelSelectorAsSelector(null).matchesNothing()).toBe(true);
    expect(labelSelectorAsSelector(undefined).matches({})).toBe(false);
    expect(labelSelectorAsSelector({}).isEmpty()).toBe(true);
    expect(labelSelectorAsSelector({}).matches({ any: 'thing' })).toBe(true);
    expect(labelSelectorAsSelector({ matchLabels: {}, matchExpressions: [] }).matches({})).toBe(true);
    expect(labelSelectorMatches(null, { a: 'b' })).toBe(false);
    expect(labelSelectorMatches({}, undefined)).toBe(true);
  });

  it.each<[MetaLabelSelector, string]>([
    [{ matchLabels: { app: 'web', tier: 'fe' } }, 'app=web,tier=fe'],
    [
      {
        matchLabels: { z: '1' },
        matchExpressions: [
          { key: 'env', operator: 'In', values: ['prod', 'dev'] },
          { key: 'track', operator: 'NotIn', values: ['canary'] },
          { key: 'gpu', operator: 'Exists' },
          { key: 'legacy', operator: 'DoesNotExist', values: [] },
        ],
      },
      'env in (dev,prod),gpu,!legacy,track notin (canary),z=1',
    ],
  ])('%j -> %j', (ps, want) => {
    expect(labelSelectorAsSelector(ps).toString()).toBe(want);
  });

  it('matches with the upstream semantics of each operator', () => {
    const s = labelSelectorAsSelector({
      matchLabels: { app: 'web' },
      matchExpressions: [
        { key: 'env', operator: 'In', values: ['prod', 'dev'] },
        { key: 'track', operator: 'NotIn', values: ['canary'] },
        { key: 'legacy', operator: 'DoesNotExist' },
      ],
    });
    expect(s.matches({ app: 'web', env: 'prod' })).toBe(true);
    expect(s.matches({ app: 'web', env: 'dev', track: 'stable' })).toBe(true);
    expect(s.matches({ app: 'web', env: 'dev', track: 'canary' })).toBe(false);
    expect(s.matches({ app: 'web', env: 'qa' })).toBe(false);
    expect(s.matches({ app: 'web', env: 'prod', legacy: '' })).toBe(false);
    expect(s.matches({ env: 'prod' })).toBe(false);
  });

  it.each<[string, MetaLabelSelector, string]>([
    ['unknown operator', { matchExpressions: [{ key: 'a', operator: 'Equals', values: ['b'] }] }, '"Equals" is not a valid pod selector operator'],
    [
      'In without values (nil slice)',
      { matchExpressions: [{ key: 'a', operator: 'In' }] },
      "values: Invalid value: []string(nil): for 'in', 'notin' operators, values set can't be empty",
    ],
    [
      'In with an empty list (also nil after upstream copies it)',
      { matchExpressions: [{ key: 'a', operator: 'NotIn', values: [] }] },
      "values: Invalid value: []string(nil): for 'in', 'notin' operators, values set can't be empty",
    ],
    [
      'Exists with values',
      { matchExpressions: [{ key: 'a', operator: 'Exists', values: ['x'] }] },
      'values: Invalid value: []string{"x"}: values set must be empty for exists and does not exist',
    ],
    ['bad matchLabels value', { matchLabels: { a: 'b c' } }, `values[0][a]: Invalid value: "b c": ${LABEL_VALUE_MSG}`],
  ])('%s', (_name, ps, want) => {
    expect(() => labelSelectorAsSelector(ps)).toThrow(new SelectorError(want));
  });
});

describe('labelSelectorAsMap', () => {
  it('converts what the old map form can hold', () => {
    expect(labelSelectorAsMap(null)).toBeUndefined();
    expect(labelSelectorAsMap({ matchLabels: { a: 'b' }, matchExpressions: [{ key: 'c', operator: 'In', values: ['d'] }] })).toEqual({
      a: 'b',
      c: 'd',
    });
  });

  it.each<[MetaLabelSelector, string]>([
    [
      { matchExpressions: [{ key: 'c', operator: 'In', values: ['d', 'e'] }] },
      'operator "In" without a single value cannot be converted into the old label selector format',
    ],
    [{ matchExpressions: [{ key: 'c', operator: 'Exists' }] }, 'operator "Exists" cannot be converted into the old label selector format'],
    [{ matchExpressions: [{ key: 'c', operator: 'Foo' }] }, '"Foo" is not a valid selector operator'],
  ])('%j', (ps, want) => {
    expect(() => labelSelectorAsMap(ps)).toThrow(new SelectorError(want));
  });
});

describe('parseToLabelSelector', () => {
  it('splits into matchLabels and matchExpressions', () => {
    expect(parseToLabelSelector('a=b,c in (z,y),!d,e,f notin (g)')).toEqual({
      matchLabels: { a: 'b' },
      matchExpressions: [
        { key: 'c', operator: 'In', values: ['y', 'z'] },
        { key: 'd', operator: 'DoesNotExist' },
        { key: 'e', operator: 'Exists' },
        { key: 'f', operator: 'NotIn', values: ['g'] },
      ],
    });
    expect(parseToLabelSelector('')).toEqual({ matchLabels: {}, matchExpressions: [] });
  });

  it.each<[string, string]>([
    ['a!=b', '"!=" is not a valid label selector operator'],
    ['a>1', '"gt" isn\'t supported in label selectors'],
    ['a b', "couldn't parse the selector string \"a b\": unable to parse requirement: found 'b', expected: in, notin, =, ==, !=, gt, lt"],
  ])('%j', (s, want) => {
    expect(() => parseToLabelSelector(s)).toThrow(new SelectorError(want));
  });

  it('round-trips through labelSelectorAsSelector', () => {
    const s = 'a=b,c in (y,z),!d,e';
    expect(labelSelectorAsSelector(parseToLabelSelector(s)).toString()).toBe(s);
  });
});

describe('formatLabelSelector', () => {
  it('prints like kubectl', () => {
    expect(formatLabelSelector({ matchLabels: { app: 'web' } })).toBe('app=web');
    expect(formatLabelSelector({})).toBe('<none>');
    expect(formatLabelSelector(null)).toBe('<none>');
    expect(formatLabelSelector({ matchExpressions: [{ key: 'a', operator: 'Bogus' }] })).toBe('<error>');
  });
});
