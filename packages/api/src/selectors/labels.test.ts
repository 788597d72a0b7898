import { describe, expect, it } from 'vitest';
import { SelectorError } from './errors.ts';
import { parseLabelRequirements, parseLabelSelector } from './label-parse.ts';
import { LabelSelector, newRequirement, Requirement, selectorFromSet, validatedSelectorFromSet } from './labels.ts';

const NAME_PART_MSG =
  "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";
const LABEL_VALUE_MSG =
  "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')";
const SUBDOMAIN_MSG =
  "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";

const parseError = (s: string): string => {
  try {
    parseLabelSelector(s);
  } catch (e) {
    expect(e).toBeInstanceOf(SelectorError);
    return (e as Error).message;
  }
  throw new Error(`${JSON.stringify(s)} parsed`);
};

describe('parseLabelSelector: normalized string form', () => {
  it.each<[string, string]>([
    ['', ''],
    ['x=a,y=b,z=c', 'x=a,y=b,z=c'],
    ['x!=a,y=b', 'x!=a,y=b'],
    ['x=', 'x='],
    ['x= ', 'x='],
    ['x=,z= ', 'x=,z='],
    ['!x', '!x'],
    ['x>1', 'x>1'],
    ['x>1,z<5', 'x>1,z<5'],
    ['x==a', 'x==a'],
    // sorted by key; values of a set sorted and deduplicated
    ['z=1,a=2', 'a=2,z=1'],
    ['x in (foo,,baz),y,z notin ()', 'x in (,baz,foo),y,z notin ()'],
    ['x in (b,a,b)', 'x in (a,b)'],
    ['x in (abc,)', 'x in (,abc)'],
    ['x in (,)', 'x in ()'],
    [' a = b , c != d ', 'a=b,c!=d'],
    ['foo  in\t (abc)', 'foo in (abc)'],
    ['x notin\n (abc)', 'x notin (abc)'],
    ['\rx', 'x'],
    ['this-is-a-dns.domain.com/key-with-dash', 'this-is-a-dns.domain.com/key-with-dash'],
    ['0.1.2.domain/99 notin (10.10.100.1, tick.tack.clock)', '0.1.2.domain/99 notin (10.10.100.1,tick.tack.clock)'],
    // 'in' and 'notin' are identifiers where a key or value is expected
    ['in in (in)', 'in in (in)'],
    ['notin=in', 'notin=in'],
    ['x=notin', 'x=notin'],
    // upstream's lexer reads a NUL as "no more input" where a token starts
    ['a \u0000b=c', 'a'],
  ])('%j -> %j', (input, want) => {
    expect(parseLabelSelector(input).toString()).toBe(want);
  });
});

describe('parseLabelSelector: errors (upstream texts)', () => {
  it.each<[string, string]>([
    ['x=a||y=b', `unable to parse requirement: values[0][x]: Invalid value: "a||y": ${LABEL_VALUE_MSG}`],
    ['a=b\u0000garbage', "found 'garbage', expected: ',' or 'end of string'"],
    ['x==a==b', "found '==', expected: ',' or 'end of string'"],
    ['!x=a', "found '=', expected: ',' or 'end of string'"],
    ['x<a', "unable to parse requirement: values[0]: Invalid value: \"a\": for 'Gt', 'Lt' operators, the value must be an integer"],
    ['x>-1', `unable to parse requirement: values[0][x]: Invalid value: "-1": ${LABEL_VALUE_MSG}`],
    [
      'x>99999999999999999999',
      "unable to parse requirement: values[0]: Invalid value: \"99999999999999999999\": for 'Gt', 'Lt' operators, the value must be an integer",
    ],
    ['app:monolith', `unable to parse requirement: <nil>: Invalid value: "app:monolith": ${NAME_PART_MSG}`],
    ['*bar', `unable to parse requirement: <nil>: Invalid value: "*bar": ${NAME_PART_MSG}`],
    ['app.kubernetes_io/name=x', `unable to parse requirement: <nil>: Invalid value: "app.kubernetes_io/name": prefix part ${SUBDOMAIN_MSG}`],
    [
      'a/b/c ?=? def',
      "unable to parse requirement: <nil>: Invalid value: \"a/b/c\": a qualified name must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')",
    ],
    [`${'a'.repeat(64)}=b`, `unable to parse requirement: <nil>: Invalid value: "${'a'.repeat(64)}": name part must be no more than 63 characters`],
    ['x=a b', "found 'b', expected: ',' or 'end of string'"],
    ['x=a;b', `unable to parse requirement: values[0][x]: Invalid value: "a;b": ${LABEL_VALUE_MSG}`],
    ['x in', "unable to parse requirement: found '' expected: '('"],
    ['x in (a', "unable to parse requirement: found '', expected: ',' or ')'"],
    ['x in (a,', "unable to parse requirement: found '', expected: ',', or identifier"],
    ['x in (a b)', "unable to parse requirement: found 'b', expected: ',' or ')'"],
    ['x in (=)', "unable to parse requirement: found '=', expected: ',', ')' or identifier"],
    ['x in (a,=)', "unable to parse requirement: found '=', expected: ',', or identifier"],
    ['x y', "unable to parse requirement: found 'y', expected: in, notin, =, ==, !=, gt, lt"],
    ['x!', "unable to parse requirement: found '!', expected: in, notin, =, ==, !=, gt, lt"],
    ['x=(', "unable to parse requirement: found '(', expected: identifier"],
    ['!', "unable to parse requirement: found '', expected: identifier"],
    ['!=x', "found '!=', expected: !, identifier, or 'end of string'"],
    [',a', "found ',', expected: !, identifier, or 'end of string'"],
    ['(', "found '(', expected: !, identifier, or 'end of string'"],
    ['a,', "found '', expected: identifier after ','"],
    ['a,,b', "found ',', expected: identifier after ','"],
    ['a=b=c', "found '=', expected: ',' or 'end of string'"],
  ])('%j', (input, want) => {
    expect(parseError(input)).toBe(want);
  });
});

describe('matching', () => {
  const cases: Array<[string, Record<string, string> | undefined, boolean]> = [
    ['', { x: 'y' }, true],
    ['', undefined, true],
    ['x=y', { x: 'y' }, true],
    ['x==y', { x: 'y' }, true],
    ['x=y,z=w', { x: 'y', z: 'w' }, true],
    ['x!=y,z!=w', { x: 'z', z: 'a' }, true],
    ['x!=y', {}, true],
    ['x', { x: 'z' }, true],
    ['x', { x: '' }, true],
    ['!x', { y: 'z' }, true],
    ['x>1', { x: '2' }, true],
    ['x<1', { x: '0' }, true],
    ['x<1', { x: '-5' }, true],
    ['x>1', { x: '+2' }, true],
    ['x in (a,b)', { x: 'b' }, true],
    ['x notin (a,b)', { x: 'c' }, true],
    ['x notin (a,b)', {}, true],
    ['x in ()', { x: '' }, true],
    ['x=', { x: '' }, true],
    ['x=z', {}, false],
    ['x=z', undefined, false],
    ['x=y', { x: 'z' }, false],
    ['x=y,z=w', { x: 'w', z: 'w' }, false],
    ['x!=y,z!=w', { x: 'z', z: 'w' }, false],
    ['x', { y: 'z' }, false],
    ['!x', { x: 'z' }, false],
    ['x>1', { x: '0' }, false],
    ['x>1', { x: 'v2' }, false],
    ['x>1', {}, false],
    ['x<1', { x: '2' }, false],
    ['x in (a,b)', { x: 'c' }, false],
    ['x in (a,b)', {}, false],
    ['x notin (a,b)', { x: 'a' }, false],
    ['x=', {}, false],
    ['x', { toString: 'y' }, false],
  ];
  it.each(cases)('%j matches %j: %j', (selector, labels, want) => {
    expect(parseLabelSelector(selector).matches(labels)).toBe(want);
  });

  it('does not see inherited properties as labels', () => {
    expect(parseLabelSelector('toString').matches({})).toBe(false);
    expect(parseLabelSelector('!constructor').matches({})).toBe(true);
  });
});

describe('LabelSelector', () => {
  it('everything and nothing', () => {
    expect(LabelSelector.everything().matches({ a: 'b' })).toBe(true);
    expect(LabelSelector.everything().isEmpty()).toBe(true);
    expect(LabelSelector.nothing().matches({ a: 'b' })).toBe(false);
    expect(LabelSelector.nothing().matches(undefined)).toBe(false);
    expect(LabelSelector.nothing().isEmpty()).toBe(false);
    expect(LabelSelector.nothing().matchesNothing()).toBe(true);
    expect(LabelSelector.nothing().toString()).toBe('');
    expect(LabelSelector.nothing().add(newRequirement('a', 'exists')).matchesNothing()).toBe(true);
    expect(parseLabelSelector('').isEmpty()).toBe(true);
  });

  it('keeps requirements sorted by key when adding', () => {
    const s = parseLabelSelector('b=1').add(newRequirement('a', 'in', ['y', 'x']), newRequirement('c', '!'));
    expect(s.toString()).toBe('a in (x,y),b=1,!c');
    expect(s.requirements.map((r) => r.key)).toEqual(['a', 'b', 'c']);
    // the in-memory values keep their given order; only the string form sorts them
    expect(s.requirements[0]!.values).toEqual(['y', 'x']);
  });

  it('sorts keys by bytes like Go', () => {
    expect(parseLabelSelector('b,B,a,Z,1').toString()).toBe('1,B,Z,a,b');
  });

  it('requiresExactMatch', () => {
    const s = parseLabelSelector('a=1,b in (2),c in (3,4),d!=5,e==6');
    expect(s.requiresExactMatch('a')).toBe('1');
    expect(s.requiresExactMatch('b')).toBe('2');
    expect(s.requiresExactMatch('c')).toBeUndefined();
    expect(s.requiresExactMatch('d')).toBeUndefined();
    expect(s.requiresExactMatch('e')).toBe('6');
    expect(s.requiresExactMatch('zz')).toBeUndefined();
  });

  it('exposes parsed requirements', () => {
    const reqs = parseLabelRequirements('y notin (b,a),x');
    expect(reqs.map((r) => [r.key, r.operator, r.values])).toEqual([
      ['x', 'exists', []],
      ['y', 'notin', ['a', 'b']],
    ]);
    expect(reqs[1]!.equals(new Requirement('y', 'notin', ['a', 'b']))).toBe(true);
  });
});

describe('newRequirement', () => {
  it.each<[string, Parameters<typeof newRequirement>, string | undefined]>([
    ['in needs values', ['x', 'in', []], "values: Invalid value: []string{}: for 'in', 'notin' operators, values set can't be empty"],
    ['notin needs values', ['x', 'notin', []], "values: Invalid value: []string{}: for 'in', 'notin' operators, values set can't be empty"],
    ['in', ['x', 'in', ['foo']], undefined],
    ['exists', ['x', 'exists', []], undefined],
    ['key may start with a digit', ['1foo', 'in', ['bar']], undefined],
    ['gt', ['y', 'gt', ['1']], undefined],
    ['gt needs an integer', ['foo', 'gt', ['bar']], "values[0]: Invalid value: \"bar\": for 'Gt', 'Lt' operators, the value must be an integer"],
    ['gt needs one value', ['foo', 'lt', ['1', '2']], 'values: Invalid value: []string{"1", "2"}: for \'Gt\', \'Lt\' operators, exactly one value is required'],
    ['equals needs one value', ['x', '=', ['a', 'b']], 'values: Invalid value: []string{"a", "b"}: exact-match compatibility requires one single value'],
    ['exists takes no values', ['x', 'exists', ['a']], 'values: Invalid value: []string{"a"}: values set must be empty for exists and does not exist'],
    [
      'unknown operator',
      ['x', 'like' as never, []],
      'operator: Unsupported value: "like": supported values: "in", "notin", "=", "==", "!=", "gt", "lt", "exists", "!"',
    ],
    [
      'several errors are aggregated',
      ['-x', '=', ['-y']],
      `[key: Invalid value: "-x": ${NAME_PART_MSG}, values[0][-x]: Invalid value: "-y": ${LABEL_VALUE_MSG}]`,
    ],
    ['key too long', ['a'.repeat(254), 'exists', []], `key: Invalid value: "${'a'.repeat(254)}": name part must be no more than 63 characters`],
  ])('%s', (_name, args, want) => {
    if (want === undefined) {
      expect(newRequirement(...args)).toBeInstanceOf(Requirement);
    } else {
      expect(() => newRequirement(...args)).toThrow(new SelectorError(want));
    }
  });

  it('prints like upstream', () => {
    expect(newRequirement('x', 'in', ['def', 'abc']).toString()).toBe('x in (abc,def)');
    expect(newRequirement('y', 'notin', ['jkl']).toString()).toBe('y notin (jkl)');
    expect(newRequirement('z', 'notin', ['']).toString()).toBe('z notin ()');
    expect(newRequirement('x', 'gt', ['2']).toString()).toBe('x>2');
    expect(newRequirement('y', 'lt', ['8']).toString()).toBe('y<8');
    expect(newRequirement('z', '!', []).toString()).toBe('!z');
    expect(newRequirement('z', 'exists', []).toString()).toBe('z');
  });
});

describe('selectorFromSet', () => {
  it('selects everything for an empty or missing set', () => {
    expect(selectorFromSet(undefined).isEmpty()).toBe(true);
    expect(selectorFromSet({}).matches({ a: 'b' })).toBe(true);
  });

  it('matches exactly the set', () => {
    const s = selectorFromSet({ foo: 'bar', baz: 'blah' });
    expect(s.toString()).toBe('baz=blah,foo=bar');
    expect(s.matches({ foo: 'bar', baz: 'blah', other: 'x' })).toBe(true);
    expect(s.matches({ foo: 'bar' })).toBe(false);
  });

  it('validates only when asked', () => {
    expect(selectorFromSet({ 'a b': 'c' }).toString()).toBe('a b=c');
    expect(() => validatedSelectorFromSet({ 'a b': 'c' })).toThrow(`key: Invalid value: "a b": ${NAME_PART_MSG}`);
  });
});
