/**
 * Field selectors (`?fieldSelector=`), as upstream's k8s.io/apimachinery/pkg/fields:
 * terms `field=value`, `field==value`, `field!=value` joined by ',' (AND). In values,
 * `\,` `\=` and `\\` stand for ',', '=' and '\'; nothing is trimmed, so
 * `metadata.name = x` names the field "metadata.name ". A missing field reads as ''.
 */
import { compareGoStrings } from '../validation/internal/go-format.ts';
import { SelectorError } from './errors.ts';

export type Fields = Readonly<Record<string, string>>;

export type FieldOperator = '=' | '!=';

export interface FieldRequirement {
  readonly field: string;
  /** '=' for both `=` and `==` (upstream's selection.Equals), '!=' for `!=`. */
  readonly operator: FieldOperator;
  readonly value: string;
}

/**
 * Rewrites a term's field and value, or throws (e.g. SelectorError for an unsupported
 * field). Returning an empty field and value drops the term.
 */
export type FieldTransform = (field: string, value: string) => readonly [field: string, value: string];

const get = (fields: Fields | null | undefined, field: string): string =>
  fields !== null && fields !== undefined && Object.hasOwn(fields, field) ? fields[field]! : '';

/** Upstream's EscapeValue: `\` `,` `=` get a backslash, so any string can be a value. */
export function escapeFieldSelectorValue(s: string): string {
  return s.replace(/[\\,=]/g, (c) => `\\${c}`);
}

/**
 * Upstream's UnescapeValue. Note upstream prints an unescaped character as its code
 * point number: `invalid field selector: unescaped character in value: 61` for '='.
 */
export function unescapeFieldSelectorValue(s: string): string {
  if (!/[\\,=]/.test(s)) return s;
  let out = '';
  let inSlash = false;
  for (const c of s) {
    if (inSlash) {
      if (c !== '\\' && c !== ',' && c !== '=') {
        throw new SelectorError(`invalid field selector: invalid escape sequence: \\${c}`);
      }
      out += c;
      inSlash = false;
      continue;
    }
    if (c === '\\') inSlash = true;
    else if (c === ',' || c === '=') {
      throw new SelectorError(`invalid field selector: unescaped character in value: ${c.codePointAt(0)}`);
    } else out += c;
  }
  if (inSlash) throw new SelectorError('invalid field selector: invalid escape sequence: \\');
  return out;
}

/** A field selector: an AND of `field=value` / `field!=value` terms. */
export class FieldSelector {
  private static readonly EVERYTHING = new FieldSelector([]);

  private constructor(private readonly terms: readonly FieldRequirement[]) {}

  /** Upstream's fields.Everything(). */
  static everything(): FieldSelector {
    return FieldSelector.EVERYTHING;
  }

  /** A selector of these terms, in this order (not validated). */
  static of(terms: readonly FieldRequirement[]): FieldSelector {
    return terms.length === 0 ? FieldSelector.EVERYTHING : new FieldSelector([...terms]);
  }

  matches(fields: Fields | null | undefined): boolean {
    return this.terms.every((t) => (get(fields, t.field) === t.value) === (t.operator === '='));
  }

  /** True when the selector does not restrict anything. */
  isEmpty(): boolean {
    return this.terms.length === 0;
  }

  get requirements(): readonly FieldRequirement[] {
    return this.terms;
  }

  /** The value required for `field` by its first `=` term; undefined if there is none. */
  requiresExactMatch(field: string): string | undefined {
    return this.terms.find((t) => t.field === field && t.operator === '=')?.value;
  }

  /** Upstream's Transform: every term through `fn`; terms mapped to ('', '') are dropped. */
  transform(fn: FieldTransform): FieldSelector {
    const out: FieldRequirement[] = [];
    for (const t of this.terms) {
      const [field, value] = fn(t.field, t.value);
      if (field.length === 0 && value.length === 0) continue;
      out.push({ field, operator: t.operator, value });
    }
    return FieldSelector.of(out);
  }

  /** Upstream's String(): terms joined by ',', `==` printed as `=`, values escaped. */
  toString(): string {
    return this.terms.map((t) => `${t.field}${t.operator}${escapeFieldSelectorValue(t.value)}`).join(',');
  }
}

/** Splits on ',' that is not escaped; the backslashes stay in the terms. */
function splitTerms(selector: string): string[] {
  if (selector.length === 0) return [];
  const terms: string[] = [];
  let start = 0;
  let inSlash = false;
  for (let i = 0; i < selector.length; i++) {
    const c = selector[i];
    if (inSlash) inSlash = false;
    else if (c === '\\') inSlash = true;
    else if (c === ',') {
      terms.push(selector.slice(start, i));
      start = i + 1;
    }
  }
  terms.push(selector.slice(start));
  return terms;
}

const TERM_OPERATORS = ['!=', '==', '='] as const;

/** The first operator occurrence splits the term; the field cannot contain one. */
function splitTerm(term: string): { lhs: string; op: (typeof TERM_OPERATORS)[number]; rhs: string } | undefined {
  for (let i = 0; i < term.length; i++) {
    for (const op of TERM_OPERATORS) {
      if (term.startsWith(op, i)) return { lhs: term.slice(0, i), op, rhs: term.slice(i + op.length) };
    }
  }
  return undefined;
}

const identity: FieldTransform = (field, value) => [field, value];

/**
 * Upstream's ParseAndTransformSelector: terms are sorted as written (before unescaping),
 * empty terms skipped, each term passed through `fn`. Throws SelectorError, e.g.
 * `invalid selector: 'x'; can't understand 'x'`.
 */
export function parseAndTransformFieldSelector(selector: string, fn: FieldTransform): FieldSelector {
  const parts = splitTerms(selector).sort(compareGoStrings);
  const terms: FieldRequirement[] = [];
  for (const part of parts) {
    if (part.length === 0) continue;
    const split = splitTerm(part);
    if (split === undefined) throw new SelectorError(`invalid selector: '${selector}'; can't understand '${part}'`);
    terms.push({ field: split.lhs, operator: split.op === '!=' ? '!=' : '=', value: unescapeFieldSelectorValue(split.rhs) });
  }
  return FieldSelector.of(terms).transform(fn);
}

/** Upstream's fields.ParseSelector. */
export function parseFieldSelector(selector: string): FieldSelector {
  return parseAndTransformFieldSelector(selector, identity);
}

/** Upstream's fields.SelectorFromSet: `k=v` for every entry; an empty or missing set selects everything. */
export function fieldSelectorFromSet(set: Fields | null | undefined): FieldSelector {
  return FieldSelector.of(Object.entries(set ?? {}).map(([field, value]) => ({ field, operator: '=' as const, value })));
}

/** Upstream's OneTermEqualSelector. */
export function oneTermEqualFieldSelector(field: string, value: string): FieldSelector {
  return FieldSelector.of([{ field, operator: '=', value }]);
}

/** Upstream's AndSelectors. */
export function andFieldSelectors(...selectors: FieldSelector[]): FieldSelector {
  return FieldSelector.of(selectors.flatMap((s) => s.requirements));
}
