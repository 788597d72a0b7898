import { describe, expect, it } from 'vitest';
import {
  generateName,
  isDNS1035Label,
  isDNS1123Label,
  isDNS1123Subdomain,
  isQualifiedName,
  isValidLabelValue,
  nameIsDNS1035Label,
  nameIsDNSLabel,
  nameIsDNSSubdomain,
  regexError,
} from './names.ts';

const LABEL_MSG =
  "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";
const SUBDOMAIN_MSG =
  "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
const DNS1035_MSG =
  "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')";
const NAME_PART_MSG =
  "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";
const QUALIFIED_MSG =
  "a qualified name must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')";
const LABEL_VALUE_MSG =
  "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')";

describe('regexError', () => {
  it('keeps upstream punctuation (double space before "or")', () => {
    expect(regexError('m', 're')).toBe("m (regex used for validation is 're')");
    expect(regexError('m', 're', 'a')).toBe("m (e.g. 'a', regex used for validation is 're')");
    expect(regexError('m', 're', 'a', 'b')).toBe("m (e.g. 'a',  or 'b', regex used for validation is 're')");
  });
});

describe('isDNS1123Label', () => {
  it.each<[string, string[]]>([
    ['a', []],
    ['my-name', []],
    ['123-abc', []],
    ['a'.repeat(63), []],
    ['', [LABEL_MSG]],
    ['-a', [LABEL_MSG]],
    ['a-', [LABEL_MSG]],
    ['A', [LABEL_MSG]],
    ['a_b', [LABEL_MSG]],
    ['a.b', ['must not contain dots']],
    ['a'.repeat(64), ['must be no more than 63 characters']],
    ['A'.repeat(64), ['must be no more than 63 characters', LABEL_MSG]],
  ])('%j', (value, want) => {
    expect(isDNS1123Label(value)).toEqual(want);
  });
});

describe('isDNS1123Subdomain', () => {
  it.each<[string, string[]]>([
    ['a', []],
    ['example.com', []],
    ['a-b.c-d', []],
    [`${'a'.repeat(63)}.${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(61)}`, []],
    ['', [SUBDOMAIN_MSG]],
    ['Foo_bar', [SUBDOMAIN_MSG]],
    ['a..b', [SUBDOMAIN_MSG]],
    ['.a', [SUBDOMAIN_MSG]],
    ['a.', [SUBDOMAIN_MSG]],
    ['a'.repeat(254), ['must be no more than 253 characters']],
  ])('%j', (value, want) => {
    expect(isDNS1123Subdomain(value)).toEqual(want);
  });
});

describe('isDNS1035Label', () => {
  it.each<[string, string[]]>([
    ['my-name', []],
    ['abc-123', []],
    ['1abc', [DNS1035_MSG]],
    ['a.b', [DNS1035_MSG]],
    ['no-domain.com', [DNS1035_MSG]],
    ['a'.repeat(64), ['must be no more than 63 characters']],
  ])('%j', (value, want) => {
    expect(isDNS1035Label(value)).toEqual(want);
  });
});

describe('isQualifiedName', () => {
  it.each<[string, string[]]>([
    ['simple', []],
    ['now-with-dashes', []],
    ['1-starts-with-num', []],
    ['1234', []],
    ['simple/simple', []],
    ['example.com/Upper-Case_Under.dots', []],
    ['a'.repeat(63), []],
    [`${'a'.repeat(253)}/b`, []],
    ['', ['name part must be non-empty', NAME_PART_MSG]],
    ['nospecialchars%^=@', [NAME_PART_MSG]],
    ['-a', [NAME_PART_MSG]],
    ['app:monolith', [NAME_PART_MSG]],
    ['/simple', ['prefix part must be non-empty']],
    ['example.com/', ['name part must be non-empty', NAME_PART_MSG]],
    ['Example.com/x', [`prefix part ${SUBDOMAIN_MSG}`]],
    ['a/b/c', [QUALIFIED_MSG]],
    ['a'.repeat(64), ['name part must be no more than 63 characters']],
    [`${'a'.repeat(254)}/b`, ['prefix part must be no more than 253 characters']],
  ])('%j', (value, want) => {
    expect(isQualifiedName(value)).toEqual(want);
  });
});

describe('isValidLabelValue', () => {
  it.each<[string, string[]]>([
    ['', []],
    ['MyValue', []],
    ['my_value', []],
    ['12345', []],
    ['a.b-c_D', []],
    ['a'.repeat(63), []],
    ['-x', [LABEL_VALUE_MSG]],
    ['x y', [LABEL_VALUE_MSG]],
    ['a'.repeat(64), ['must be no more than 63 characters']],
    ['é', [LABEL_VALUE_MSG]],
  ])('%j', (value, want) => {
    expect(isValidLabelValue(value)).toEqual(want);
  });

  it('counts bytes as upstream does', () => {
    // 32 two-byte characters: 32 characters but 64 bytes.
    expect(isValidLabelValue('é'.repeat(32))).toEqual(['must be no more than 63 characters', LABEL_VALUE_MSG]);
  });
});

describe('name functions with a generateName prefix', () => {
  it.each<[string, boolean, string[]]>([
    ['web-', true, []],
    ['web-', false, [SUBDOMAIN_MSG]],
    // upstream masks the last two characters, so a dot before the dash passes
    ['web.-', true, []],
    ['a-', true, []],
    ['-', true, [SUBDOMAIN_MSG]],
    ['Web-', true, [SUBDOMAIN_MSG]],
  ])('nameIsDNSSubdomain(%j, %j)', (name, prefix, want) => {
    expect(nameIsDNSSubdomain(name, prefix)).toEqual(want);
  });

  it('applies to the label rules too', () => {
    expect(nameIsDNSLabel('ns-', true)).toEqual([]);
    expect(nameIsDNS1035Label('svc-', true)).toEqual([]);
    expect(nameIsDNS1035Label('1svc-', true)).toEqual([DNS1035_MSG]);
  });
});

describe('generateName', () => {
  it('appends 5 characters from the upstream alphabet', () => {
    let i = 0;
    const seq = [0, 0.5, 0.99, 0.1, 0.3];
    expect(generateName('web-', () => seq[i++]!)).toBe('web-br9dl');
    expect(generateName('web-')).toMatch(/^web-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
  });

  it('cuts the base to 58 characters', () => {
    const name = generateName('a'.repeat(70), () => 0);
    expect(name).toBe(`${'a'.repeat(58)}bbbbb`);
    expect(name).toHaveLength(63);
  });
});
