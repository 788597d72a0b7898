/**
 * Validation of a metav1.LabelSelector inside a spec (e.g. `spec.selector`), as upstream's
 * ValidateLabelSelector in k8s.io/apimachinery/pkg/apis/meta/v1/validation.
 */
import type { MetaLabelSelector, MetaLabelSelectorRequirement } from '../selectors/types.ts';
import { type FieldCause, fieldForbidden, fieldInvalid, fieldPath, fieldRequired } from './field-cause.ts';
import { isValidLabelValue } from './names.ts';
import { validateLabelName, validateLabels } from './object-meta.ts';

export interface LabelSelectorValidationOptions {
  /** Skip the label-value syntax check of matchExpressions values (upstream keeps it for old objects). */
  allowInvalidLabelValueInSelector?: boolean;
}

export function validateLabelSelectorRequirement(sr: MetaLabelSelectorRequirement, opts: LabelSelectorValidationOptions, path: string): FieldCause[] {
  const causes: FieldCause[] = [];
  const values = sr.values ?? [];
  const valuesPath = fieldPath.child(path, 'values');
  switch (sr.operator) {
    case 'In':
    case 'NotIn':
      if (values.length === 0) {
        causes.push(fieldRequired(valuesPath, "must be specified when `operator` is 'In' or 'NotIn'"));
      }
      break;
    case 'Exists':
    case 'DoesNotExist':
      if (values.length > 0) {
        causes.push(fieldForbidden(valuesPath, "may not be specified when `operator` is 'Exists' or 'DoesNotExist'"));
      }
      break;
    default:
      causes.push(fieldInvalid(fieldPath.child(path, 'operator'), sr.operator, 'not a valid selector operator'));
  }
  causes.push(...validateLabelName(sr.key, fieldPath.child(path, 'key')));
  if (!opts.allowInvalidLabelValueInSelector) {
    values.forEach((v, i) => {
      for (const msg of isValidLabelValue(v)) causes.push(fieldInvalid(fieldPath.index(valuesPath, i), v, msg));
    });
  }
  return causes;
}

/** ValidateLabelSelector: matchLabels as labels, each matchExpression by operator. A null selector is valid. */
export function validateLabelSelector(ps: MetaLabelSelector | null | undefined, path: string, opts: LabelSelectorValidationOptions = {}): FieldCause[] {
  if (ps === null || ps === undefined) return [];
  const causes = validateLabels(ps.matchLabels, fieldPath.child(path, 'matchLabels'));
  (ps.matchExpressions ?? []).forEach((expr, i) => {
    causes.push(...validateLabelSelectorRequirement(expr, opts, fieldPath.index(fieldPath.child(path, 'matchExpressions'), i)));
  });
  return causes;
}
