import { describe, expect, it } from 'vitest';
import { SelectorError } from './errors.ts';
import {
  andFieldSelectors,
  escapeFieldSelectorValue,
  FieldSelector,
  fieldSelectorFromSet,
  oneTermEqualFieldSelector,
  parseAndTransformFieldSelector,
  parseFieldSelector,
  unescapeFieldSelectorValue,
} from './fields.ts';

const parseError = (s: string): string => {
  try {
    parseFieldSelector(s);
  } catch (e) {
    expect(e).toBeInstanceOf(SelectorError);
    return (e as Error).message;
  }
  throw new Error(`${JSON.stringify(s)} parsed`);
};

describe('parseFieldSelector', () => {
  it.each<[string, string]>([
    ['', ''],
    ['metadata.name=x', 'metadata.name=x'],
    ['metadata.name==x', 'metadata.name=x'],
    ['x=a,y=b,z=c', 'x=a,y=b,z=c'],
    ['z=c,x=a', 'x=a,z=c'],
    ['x!=a,y=b', 'x!=a,y=b'],
    ['x=', 'x='],
    ['x=a,,y=b', 'x=a,y=b'],
    [',', ''],
    ['x=a\\,b', 'x=a\\,b'],
    ['x=a\\=b', 'x=a\\=b'],
    ['x=a\\\\b', 'x=a\\\\b'],
    // the first operator splits the term; the field name is never unescaped
    ['a!b=c', 'a!b=c'],
    // nothing is trimmed
    [' x = a ', ' x = a '],
  ])('%j -> %j', (input, want) => {
    expect(parseFieldSelector(input).toString()).toBe(want);
  });

  it.each<[string, string]>([
    ['x', "invalid selector: 'x'; can't understand 'x'"],
    ['x=a,y', "invalid selector: 'x=a,y'; can't understand 'y'"],
    ['x=a||y=b', 'invalid field selector: unescaped character in value: 61'],
    ['x!', "invalid selector: 'x!'; can't understand 'x!'"],
    ['x=a=b', 'invalid field selector: unescaped character in value: 61'],
    ['x==a==b', 'invalid field selector: unescaped character in value: 61'],
    ['x=a\\b', 'invalid field selector: invalid escape sequence: \\b'],
    ['x=a\\', 'invalid field selector: invalid escape sequence: \\'],
  ])('%j', (input, want) => {
    expect(parseError(input)).toBe(want);
  });

  it('unescapes values', () => {
    const s = parseFieldSelector('x=a\\,b\\=c\\\\d,y!=\\,');
    expect(s.requirements).toEqual([
      { field: 'x', operator: '=', value: 'a,b=c\\d' },
      { field: 'y', operator: '!=', value: ',' },
    ]);
  });
});

describe('matching', () => {
  it.each<[string, Record<string, string> | undefined, boolean]>([
    ['', { x: 'y' }, true],
    ['x=y', { x: 'y' }, true],
    ['x==y', { x: 'y' }, true],
    ['x=y,z=w', { x: 'y', z: 'w' }, true],
    ['x!=y,z!=w', { x: 'z', z: 'a' }, true],
    ['x!=y', {}, true],
    ['x=', {}, true],
    ['x=', undefined, true],
    ['x=y', {}, false],
    ['x=y', { x: 'z' }, false],
    ['x=y,z=w', { x: 'w', z: 'w' }, false],
    ['x!=y,z!=w', { x: 'z', z: 'w' }, false],
    ['x!=', {}, false],
    ['x=a\\,b', { x: 'a,b' }, true],
    ['toString=', {}, true],
  ])('%j matches %j: %j', (selector, fields, want) => {
    expect(parseFieldSelector(selector).matches(fields)).toBe(want);
  });
});

describe('FieldSelector', () => {
  it('everything', () => {
    expect(FieldSelector.everything().isEmpty()).toBe(true);
    expect(FieldSelector.everything().matches({ a: 'b' })).toBe(true);
    expect(parseFieldSelector('').isEmpty()).toBe(true);
    expect(parseFieldSelector('a=b').isEmpty()).toBe(false);
  });

  it('requiresExactMatch', () => {
    const s = parseFieldSelector('a=1,b!=2,c==3');
    expect(s.requiresExactMatch('a')).toBe('1');
    expect(s.requiresExactMatch('b')).toBeUndefined();
    expect(s.requiresExactMatch('c')).toBe('3');
    expect(s.requiresExactMatch('d')).toBeUndefined();
  });

  it('transform rewrites terms and drops those mapped to nothing', () => {
    const s = parseFieldSelector('spec.host=n1,drop=me,x=y').transform((f, v) => {
      if (f === 'spec.host') return ['spec.nodeName', v];
      if (f === 'drop') return ['', ''];
      return [f, v];
    });
    expect(s.toString()).toBe('spec.nodeName=n1,x=y');
    expect(
      parseFieldSelector('drop=')
        .transform(() => ['', ''])
        .isEmpty(),
    ).toBe(true);
  });

  it('parseAndTransform propagates the transform error', () => {
    expect(() =>
      parseAndTransformFieldSelector('a=b', (f) => {
        throw new SelectorError(`field label not supported: ${f}`);
      }),
    ).toThrow(new SelectorError('field label not supported: a'));
  });

  it('builds selectors like upstream helpers', () => {
    expect(fieldSelectorFromSet({ 'spec.nodeName': 'n1' }).toString()).toBe('spec.nodeName=n1');
    expect(fieldSelectorFromSet(undefined).isEmpty()).toBe(true);
    expect(oneTermEqualFieldSelector('metadata.name', 'a,b').toString()).toBe('metadata.name=a\\,b');
    expect(andFieldSelectors(parseFieldSelector('a=1'), parseFieldSelector('b!=2')).toString()).toBe('a=1,b!=2');
  });
});

describe('escaping', () => {
  it.each<[string, string]>([
    ['', ''],
    ['plain', 'plain'],
    ['a,b', 'a\\,b'],
    ['a=b', 'a\\=b'],
    ['a\\b', 'a\\\\b'],
    ['\\,=', '\\\\\\,\\='],
  ])('%j <-> %j', (raw, escaped) => {
    expect(escapeFieldSelectorValue(raw)).toBe(escaped);
    expect(unescapeFieldSelectorValue(escaped)).toBe(raw);
  });

  it('rejects unescaped specials with their code point', () => {
    expect(() => unescapeFieldSelectorValue('a,b')).toThrow('invalid field selector: unescaped character in value: 44');
  });
});
