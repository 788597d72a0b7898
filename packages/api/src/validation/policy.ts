/** policy/v1 validation: PodDisruptionBudgets (upstream's pkg/apis/policy/validation). */
import { type FieldCause, fieldInvalid, fieldNotSupported } from './field-cause.ts';
import { validateLabelSelector } from './label-selector.ts';

// biome-ignore lint/suspicious/noExplicitAny: objects arrive as decoded JSON
type Any = any;

const PERCENT = /^[0-9]+%$/;
const PERCENT_MESSAGE = "a valid percent string must be a numeric string followed by an ending '%' (e.g. '1%',  or '93%')";
export const UNHEALTHY_POD_EVICTION_POLICIES = ['AlwaysAllow', 'IfHealthyBudget'];

/** An int-or-percent that must be ≥ 0 and at most 100% (ValidatePositiveIntOrPercent, IsNotMoreThan100Percent). */
export function validatePositiveIntOrPercent(v: unknown, path: string): FieldCause[] {
  if (typeof v === 'number') return v < 0 ? [fieldInvalid(path, v, 'must be greater than or equal to 0')] : [];
  if (typeof v !== 'string') return [];
  if (!PERCENT.test(v)) return [fieldInvalid(path, v, PERCENT_MESSAGE)];
  return Number(v.slice(0, -1)) > 100 ? [fieldInvalid(path, v, 'must not be greater than 100%')] : [];
}

/** A PodDisruptionBudget's spec: one of minAvailable and maxUnavailable, each an int ≥ 0 or a percentage. */
export function validatePodDisruptionBudget(o: Any): FieldCause[] {
  const spec = o?.spec ?? {};
  const out: FieldCause[] = [];
  if (spec.minAvailable != null && spec.maxUnavailable != null) {
    out.push(fieldInvalid('spec', { goSyntax: JSON.stringify(spec) }, 'minAvailable and maxUnavailable cannot be both set'));
  }
  if (spec.minAvailable != null) out.push(...validatePositiveIntOrPercent(spec.minAvailable, 'spec.minAvailable'));
  if (spec.maxUnavailable != null) out.push(...validatePositiveIntOrPercent(spec.maxUnavailable, 'spec.maxUnavailable'));
  out.push(...validateLabelSelector(spec.selector, 'spec.selector'));
  const policy = spec.unhealthyPodEvictionPolicy;
  if (policy != null && !UNHEALTHY_POD_EVICTION_POLICIES.includes(policy)) {
    out.push(fieldNotSupported('spec.unhealthyPodEvictionPolicy', policy, UNHEALTHY_POD_EVICTION_POLICIES));
  }
  return out;
}
