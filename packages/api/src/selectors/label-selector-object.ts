/**
 * Converting the API object form of a label selector (metav1.LabelSelector: matchLabels
 * and matchExpressions) to and from LabelSelector, as upstream's metav1 helpers.
 */
import { aggregateFieldCauses } from '../validation/field-cause.ts';
import { compareGoStrings, goQuote } from '../validation/internal/go-format.ts';
import { SelectorError } from './errors.ts';
import { parseRequirements } from './internal/label-parser.ts';
import { type LabelOperator, LabelSelector, type Labels, Requirement, requirementErrors } from './labels.ts';
import type { MetaLabelSelector, MetaLabelSelectorRequirement } from './types.ts';

const API_OPERATORS: Readonly<Record<string, LabelOperator>> = {
  In: 'in',
  NotIn: 'notin',
  Exists: 'exists',
  DoesNotExist: '!',
};

function requirement(key: string, operator: LabelOperator, values: readonly string[] | null): Requirement {
  const causes = requirementErrors(key, operator, values);
  if (causes.length > 0) throw new SelectorError(aggregateFieldCauses(causes));
  return new Requirement(key, operator, values ?? []);
}

/**
 * Upstream's LabelSelectorAsSelector, with its two edge cases:
 * - a null or missing selector selects NOTHING (LabelSelector.nothing());
 * - an empty selector `{}` (no matchLabels, no matchExpressions) selects EVERYTHING.
 * Throws SelectorError for an unknown operator or an invalid key, value or value count.
 */
export function labelSelectorAsSelector(ps: MetaLabelSelector | null | undefined): LabelSelector {
  if (ps === null || ps === undefined) return LabelSelector.nothing();
  const matchLabels = Object.entries(ps.matchLabels ?? {});
  const matchExpressions = ps.matchExpressions ?? [];
  if (matchLabels.length + matchExpressions.length === 0) return LabelSelector.everything();
  // A null value is the empty string, as upstream decodes it into map[string]string.
  const reqs: Requirement[] = matchLabels.map(([k, v]) => requirement(k, '=', [v ?? '']));
  for (const expr of matchExpressions) {
    const op = Object.hasOwn(API_OPERATORS, expr.operator) ? API_OPERATORS[expr.operator] : undefined;
    if (op === undefined) throw new SelectorError(`${goQuote(String(expr.operator))} is not a valid pod selector operator`);
    // Upstream copies the values into a fresh slice, which is nil when there are none.
    const values = expr.values && expr.values.length > 0 ? [...expr.values] : null;
    reqs.push(requirement(expr.key, op, values));
  }
  return LabelSelector.of(reqs);
}

/**
 * Does the API-form selector select these labels? Null selects nothing, `{}` everything.
 * Throws SelectorError if the selector is invalid.
 */
export function labelSelectorMatches(ps: MetaLabelSelector | null | undefined, labels: Labels | null | undefined): boolean {
  return labelSelectorAsSelector(ps).matches(labels);
}

/**
 * Upstream's LabelSelectorAsMap: the old map form; only matchLabels and one-value `In`
 * expressions convert. A null selector gives undefined.
 */
export function labelSelectorAsMap(ps: MetaLabelSelector | null | undefined): Record<string, string> | undefined {
  if (ps === null || ps === undefined) return undefined;
  const out: Record<string, string> = { ...(ps.matchLabels ?? {}) };
  for (const expr of ps.matchExpressions ?? []) {
    const op = goQuote(String(expr.operator));
    switch (expr.operator) {
      case 'In':
        if ((expr.values ?? []).length !== 1) {
          throw new SelectorError(`operator ${op} without a single value cannot be converted into the old label selector format`);
        }
        out[expr.key] = expr.values![0]!;
        break;
      case 'NotIn':
      case 'Exists':
      case 'DoesNotExist':
        throw new SelectorError(`operator ${op} cannot be converted into the old label selector format`);
      default:
        throw new SelectorError(`${op} is not a valid selector operator`);
    }
  }
  return out;
}

const sortedSet = (values: readonly string[]): string[] => [...new Set(values)].sort(compareGoStrings);

/**
 * Upstream's ParseToLabelSelector: a selector string to the API form (`=`/`==` go to
 * matchLabels, the rest to matchExpressions with sorted values; `!=`, `gt`, `lt` fail).
 */
export function parseToLabelSelector(selector: string): MetaLabelSelector {
  let reqs: Requirement[];
  try {
    reqs = parseRequirements(selector);
  } catch (e) {
    if (e instanceof SelectorError) throw new SelectorError(`couldn't parse the selector string "${selector}": ${e.message}`);
    throw e;
  }
  const sorted = LabelSelector.of(reqs).requirements;
  const matchLabels: Record<string, string> = {};
  const matchExpressions: MetaLabelSelectorRequirement[] = [];
  for (const r of sorted) {
    switch (r.operator) {
      case '=':
      case '==':
        if (r.values.length !== 1) throw new SelectorError('equals operator must have exactly one value');
        matchLabels[r.key] = r.values[0]!;
        continue;
      case 'in':
        matchExpressions.push({ key: r.key, operator: 'In', values: sortedSet(r.values) });
        continue;
      case 'notin':
        matchExpressions.push({ key: r.key, operator: 'NotIn', values: sortedSet(r.values) });
        continue;
      case 'exists':
        matchExpressions.push({ key: r.key, operator: 'Exists' });
        continue;
      case '!':
        matchExpressions.push({ key: r.key, operator: 'DoesNotExist' });
        continue;
      case 'gt':
      case 'lt':
        throw new SelectorError(`${goQuote(r.operator)} isn't supported in label selectors`);
      default:
        throw new SelectorError(`${goQuote(r.operator)} is not a valid label selector operator`);
    }
  }
  return { matchLabels, matchExpressions };
}

/** Upstream's FormatLabelSelector (kubectl's SELECTOR column): the string form, `<none>` if empty, `<error>` if invalid. */
export function formatLabelSelector(ps: MetaLabelSelector | null | undefined): string {
  let s: string;
  try {
    s = labelSelectorAsSelector(ps).toString();
  } catch {
    return '<error>';
  }
  return s.length === 0 ? '<none>' : s;
}
