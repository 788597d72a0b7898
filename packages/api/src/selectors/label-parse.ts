/** Parsing the string form of label selectors (`?labelSelector=`, `kubectl -l`). */
import { parseRequirements } from './internal/label-parser.ts';
import { LabelSelector, type Requirement } from './labels.ts';

/**
 * Upstream's labels.Parse: `a=b`, `a==b`, `a!=b`, `a in (x,y)`, `a notin (x)`, `a`, `!a`,
 * `a>1`, `a<1`; ',' is AND; whitespace around tokens is ignored. The empty string
 * selects everything. Throws SelectorError with upstream's message, e.g.
 * `unable to parse requirement: <nil>: Invalid value: "Foo_": name part must ...`.
 */
export function parseLabelSelector(selector: string): LabelSelector {
  return LabelSelector.of(parseRequirements(selector));
}

/** Upstream's ParseToRequirements: the requirements sorted by key (as parseLabelSelector holds them). */
export function parseLabelRequirements(selector: string): readonly Requirement[] {
  return parseLabelSelector(selector).requirements;
}
