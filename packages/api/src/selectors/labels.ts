/**
 * Label selectors: requirements, matching and printing, as upstream's
 * k8s.io/apimachinery/pkg/labels (selector.go).
 */
import { aggregateFieldCauses, type FieldCause, fieldInvalid, fieldNotSupported, fieldPath } from '../validation/field-cause.ts';
import { compareGoStrings, goStringSlice } from '../validation/internal/go-format.ts';
import { isQualifiedName, isValidLabelValue } from '../validation/names.ts';
import { SelectorError } from './errors.ts';

/** Upstream's selection.Operator values. */
export type LabelOperator = 'in' | 'notin' | '=' | '==' | '!=' | 'gt' | 'lt' | 'exists' | '!';

/** The operators NewRequirement accepts, in upstream's order (it prints them in errors). */
export const LABEL_OPERATORS: readonly LabelOperator[] = ['in', 'notin', '=', '==', '!=', 'gt', 'lt', 'exists', '!'];

export type Labels = Readonly<Record<string, string>>;

const has = (labels: Labels | null | undefined, key: string): labels is Labels => labels !== null && labels !== undefined && Object.hasOwn(labels, key);

const INT64 = /^[+-]?[0-9]+$/;
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/** Go's strconv.ParseInt(s, 10, 64), or undefined when it fails. */
function parseInt64(s: string): bigint | undefined {
  if (!INT64.test(s)) return undefined;
  const n = BigInt(s);
  return n < INT64_MIN || n > INT64_MAX ? undefined : n;
}

/** One requirement of a label selector: a key, an operator and its values (kept in the order given). */
export class Requirement {
  /** Use newRequirement(), which validates; this constructor does not. */
  constructor(
    readonly key: string,
    readonly operator: LabelOperator,
    readonly values: readonly string[],
  ) {}

  private hasValue(v: string): boolean {
    return this.values.includes(v);
  }

  /** Upstream's Requirement.Matches; a missing key satisfies `!=`, `notin` and `!` only. */
  matches(labels: Labels | null | undefined): boolean {
    switch (this.operator) {
      case 'in':
      case '=':
      case '==':
        return has(labels, this.key) && this.hasValue(labels[this.key]!);
      case 'notin':
      case '!=':
        return !has(labels, this.key) || !this.hasValue(labels[this.key]!);
      case 'exists':
        return has(labels, this.key);
      case '!':
        return !has(labels, this.key);
      case 'gt':
      case 'lt': {
        if (!has(labels, this.key)) return false;
        const actual = parseInt64(labels[this.key]!);
        if (actual === undefined || this.values.length !== 1) return false;
        const bound = parseInt64(this.values[0]!);
        if (bound === undefined) return false;
        return this.operator === 'gt' ? actual > bound : actual < bound;
      }
      default:
        return false;
    }
  }

  /** Upstream's String(): `a=b`, `a in (x,y)` (values sorted), `!a`, `a`. */
  toString(): string {
    let s = this.operator === '!' ? `!${this.key}` : this.key;
    switch (this.operator) {
      case 'exists':
      case '!':
        return s;
      case 'in':
        s += ' in ';
        break;
      case 'notin':
        s += ' notin ';
        break;
      case 'gt':
        s += '>';
        break;
      case 'lt':
        s += '<';
        break;
      default:
        s += this.operator;
    }
    const set = this.operator === 'in' || this.operator === 'notin';
    const values = this.values.length === 1 ? this.values[0]! : [...this.values].sort(compareGoStrings).join(',');
    return set ? `${s}(${values})` : s + values;
  }

  equals(other: Requirement): boolean {
    return (
      this.key === other.key &&
      this.operator === other.operator &&
      this.values.length === other.values.length &&
      this.values.every((v, i) => v === other.values[i])
    );
  }
}

/** validateLabelKey: one Invalid error with every message joined by "; ". */
export function labelKeyError(key: string, path: string): FieldCause | undefined {
  const errs = isQualifiedName(key);
  return errs.length > 0 ? fieldInvalid(path, key, errs.join('; ')) : undefined;
}

function labelValueError(key: string, value: string, path: string): FieldCause | undefined {
  const errs = isValidLabelValue(value);
  return errs.length > 0 ? fieldInvalid(fieldPath.key(path, key), value, errs.join('; ')) : undefined;
}

/** Requirement errors as upstream's NewRequirement reports them (field paths `key`, `values[0][key]`, ...). */
export function requirementErrors(key: string, operator: string, values: readonly string[] | null, path = ''): FieldCause[] {
  const causes: FieldCause[] = [];
  const keyErr = labelKeyError(key, fieldPath.child(path, 'key'));
  if (keyErr) causes.push(keyErr);
  const vals = values ?? [];
  // Upstream prints the whole values slice with %#v; null stands for a nil slice.
  const shown = { goSyntax: goStringSlice(values) };
  const valuesPath = fieldPath.child(path, 'values');
  switch (operator) {
    case 'in':
    case 'notin':
      if (vals.length === 0) {
        causes.push(fieldInvalid(valuesPath, shown, "for 'in', 'notin' operators, values set can't be empty"));
      }
      break;
    case '=':
    case '==':
    case '!=':
      if (vals.length !== 1) causes.push(fieldInvalid(valuesPath, shown, 'exact-match compatibility requires one single value'));
      break;
    case 'exists':
    case '!':
      if (vals.length !== 0) {
        causes.push(fieldInvalid(valuesPath, shown, 'values set must be empty for exists and does not exist'));
      }
      break;
    case 'gt':
    case 'lt':
      if (vals.length !== 1) {
        causes.push(fieldInvalid(valuesPath, shown, "for 'Gt', 'Lt' operators, exactly one value is required"));
      }
      vals.forEach((v, i) => {
        if (parseInt64(v) === undefined) {
          causes.push(fieldInvalid(fieldPath.index(valuesPath, i), v, "for 'Gt', 'Lt' operators, the value must be an integer"));
        }
      });
      break;
    default:
      causes.push(fieldNotSupported(fieldPath.child(path, 'operator'), operator, LABEL_OPERATORS));
  }
  vals.forEach((v, i) => {
    const err = labelValueError(key, v, fieldPath.index(valuesPath, i));
    if (err) causes.push(err);
  });
  return causes;
}

/**
 * Upstream's NewRequirement: validates the key, the operator and its values. Throws
 * SelectorError with upstream's aggregated message (e.g. `key: Invalid value: ...`).
 */
export function newRequirement(key: string, operator: LabelOperator, values: readonly string[] = []): Requirement {
  const causes = requirementErrors(key, operator, values);
  if (causes.length > 0) throw new SelectorError(aggregateFieldCauses(causes));
  return new Requirement(key, operator, [...values]);
}

const byKey = (a: Requirement, b: Requirement) => compareGoStrings(a.key, b.key);

/**
 * A label selector: an AND of requirements. `LabelSelector.everything()` (no
 * requirements) matches every object; `LabelSelector.nothing()` matches none.
 */
export class LabelSelector {
  private static readonly EVERYTHING = new LabelSelector([]);
  private static readonly NOTHING = new LabelSelector(null);

  /** `null` is upstream's nothingSelector. */
  private constructor(private readonly reqs: readonly Requirement[] | null) {}

  /** Upstream's labels.Everything(): matches all labels, prints as ''. */
  static everything(): LabelSelector {
    return LabelSelector.EVERYTHING;
  }

  /** Upstream's labels.Nothing(): matches no labels, prints as ''. */
  static nothing(): LabelSelector {
    return LabelSelector.NOTHING;
  }

  /** A selector of already validated requirements, sorted by key as upstream does. */
  static of(requirements: readonly Requirement[]): LabelSelector {
    return new LabelSelector([...requirements].sort(byKey));
  }

  matches(labels: Labels | null | undefined): boolean {
    if (this.reqs === null) return false;
    return this.reqs.every((r) => r.matches(labels));
  }

  /** True when the selector does not restrict anything (Everything); false for Nothing. */
  isEmpty(): boolean {
    return this.reqs !== null && this.reqs.length === 0;
  }

  /** True only for LabelSelector.nothing(). */
  matchesNothing(): boolean {
    return this.reqs === null;
  }

  /** The requirements, sorted by key; empty for both Everything and Nothing. */
  get requirements(): readonly Requirement[] {
    return this.reqs ?? [];
  }

  /** A new selector with more requirements (Nothing stays Nothing). */
  add(...reqs: Requirement[]): LabelSelector {
    if (this.reqs === null) return this;
    return LabelSelector.of([...this.reqs, ...reqs]);
  }

  /**
   * The value the selector requires for `label` when its first requirement on that key
   * is `=`, `==` or a one-value `in`; undefined otherwise.
   */
  requiresExactMatch(label: string): string | undefined {
    for (const r of this.reqs ?? []) {
      if (r.key !== label) continue;
      if ((r.operator === '=' || r.operator === '==' || r.operator === 'in') && r.values.length === 1) return r.values[0];
      return undefined;
    }
    return undefined;
  }

  /** Upstream's normalized form: requirements sorted by key, joined by ','. */
  toString(): string {
    return (this.reqs ?? []).map((r) => r.toString()).join(',');
  }
}

/** Upstream's SelectorFromSet: `k=v` for every entry; an empty or missing set selects everything. Not validated. */
export function selectorFromSet(set: Labels | null | undefined): LabelSelector {
  const entries = Object.entries(set ?? {});
  if (entries.length === 0) return LabelSelector.everything();
  return LabelSelector.of(entries.map(([k, v]) => new Requirement(k, '=', [v])));
}

/** Upstream's ValidatedSelectorFromSet: as selectorFromSet, but throws SelectorError on an invalid key or value. */
export function validatedSelectorFromSet(set: Labels | null | undefined): LabelSelector {
  const entries = Object.entries(set ?? {});
  if (entries.length === 0) return LabelSelector.everything();
  return LabelSelector.of(entries.map(([k, v]) => newRequirement(k, '=', [v])));
}
