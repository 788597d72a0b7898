/**
 * The semantic checks upstream's validation makes on workloads and Pods beyond the
 * schema: required containers, names and images, non-negative replicas, selectors that
 * match their template, and the restart policies each controller allows.
 */
import { labelSelectorAsSelector } from '../selectors/index.ts';
import { type FieldCause, fieldDuplicate, fieldInvalid, fieldNotSupported, fieldRequired } from './field-cause.ts';
import { validateLabelSelector } from './label-selector.ts';
import { isDNS1123Label } from './names.ts';

// biome-ignore lint/suspicious/noExplicitAny: objects are checked field by field
type Any = any;

const goMap = (m: Record<string, string>) =>
  `map[string]string{${Object.entries(m)
    .map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v)}`)
    .join(', ')}}`;

function nonNegative(v: unknown, field: string, out: FieldCause[]): void {
  if (typeof v === 'number' && v < 0) out.push(fieldInvalid(field, v, 'must be greater than or equal to 0'));
}

export function validatePodSpec(spec: Any, path: string, restartPolicies?: string[]): FieldCause[] {
  const out: FieldCause[] = [];
  if (!spec || typeof spec !== 'object') return [fieldRequired(path, '')];
  const containers: Any[] = Array.isArray(spec.containers) ? spec.containers : [];
  if (containers.length === 0) out.push(fieldRequired(`${path}.containers`, ''));
  const seen = new Set<string>();
  const check = (list: Any[], kind: string) =>
    list.forEach((c, i) => {
      const at = `${path}.${kind}[${i}]`;
      if (!c?.name) out.push(fieldRequired(`${at}.name`, ''));
      else {
        for (const msg of isDNS1123Label(c.name)) out.push(fieldInvalid(`${at}.name`, c.name, msg));
        if (seen.has(c.name)) out.push(fieldDuplicate(`${at}.name`, c.name));
        seen.add(c.name);
      }
      if (!c?.image) out.push(fieldRequired(`${at}.image`, ''));
      (c?.ports ?? []).forEach((p: Any, j: number) => {
        if (typeof p?.containerPort === 'number' && (p.containerPort < 1 || p.containerPort > 65535)) {
          out.push(fieldInvalid(`${at}.ports[${j}].containerPort`, p.containerPort, 'must be between 1 and 65535, inclusive'));
        }
      });
    });
  check(Array.isArray(spec.initContainers) ? spec.initContainers : [], 'initContainers');
  check(containers, 'containers');
  if (restartPolicies && spec.restartPolicy !== undefined && !restartPolicies.includes(spec.restartPolicy)) {
    out.push(fieldNotSupported(`${path}.restartPolicy`, spec.restartPolicy, restartPolicies));
  }
  nonNegative(spec.terminationGracePeriodSeconds, `${path}.terminationGracePeriodSeconds`, out);
  return out;
}

/** spec.selector must be set, non-empty, and select the template's labels. */
function validateSelector(spec: Any, out: FieldCause[]): void {
  const sel = spec.selector;
  if (!sel || (Object.keys(sel.matchLabels ?? {}).length === 0 && (sel.matchExpressions ?? []).length === 0)) {
    out.push(fieldRequired('spec.selector', ''));
    return;
  }
  // Upstream's ValidateLabelSelector first: keys, values and operators (a selector of
  // invalid values got stored, and its scale subresource then failed to render it).
  const invalid = validateLabelSelector(sel, 'spec.selector');
  if (invalid.length) {
    out.push(...invalid);
    return;
  }
  const labels: Record<string, string> = spec.template?.metadata?.labels ?? {};
  try {
    if (!labelSelectorAsSelector(sel).matches(labels)) {
      out.push(fieldInvalid('spec.template.metadata.labels', { goSyntax: goMap(labels) }, '`selector` does not match template `labels`'));
    }
  } catch {
    // an unparsable selector is reported by the selector's own validation, above
  }
}

/** A Pod: its spec (upstream's ValidatePod, the parts minik8s checks). */
export function validatePod(o: Any): FieldCause[] {
  return validatePodSpec(o?.spec, 'spec');
}

/**
 * Deployments, ReplicaSets and StatefulSets (`replicas: true`) and DaemonSets: counts
 * not negative, a selector that selects the template, a template whose Pods always restart.
 */
export function validateReplicatedWorkload(o: Any, { replicas }: { replicas: boolean }): FieldCause[] {
  const out: FieldCause[] = [];
  const spec = o?.spec ?? {};
  if (replicas) nonNegative(spec.replicas, 'spec.replicas', out);
  nonNegative(spec.minReadySeconds, 'spec.minReadySeconds', out);
  nonNegative(spec.revisionHistoryLimit, 'spec.revisionHistoryLimit', out);
  validateSelector(spec, out);
  out.push(...validatePodSpec(spec.template?.spec, 'spec.template.spec', ['Always']));
  return out;
}

/** A Job: counts not negative, a template whose Pods restart OnFailure or Never. */
export function validateJob(o: Any): FieldCause[] {
  const out: FieldCause[] = [];
  const spec = o?.spec ?? {};
  nonNegative(spec.parallelism, 'spec.parallelism', out);
  nonNegative(spec.completions, 'spec.completions', out);
  nonNegative(spec.backoffLimit, 'spec.backoffLimit', out);
  out.push(...validatePodSpec(spec.template?.spec, 'spec.template.spec', ['OnFailure', 'Never']));
  return out;
}

/** A CronJob: a schedule, and a Job template as a Job's. */
export function validateCronJob(o: Any): FieldCause[] {
  const out: FieldCause[] = [];
  const spec = o?.spec ?? {};
  if (!spec.schedule) out.push(fieldRequired('spec.schedule', ''));
  out.push(...validatePodSpec(spec.jobTemplate?.spec?.template?.spec, 'spec.jobTemplate.spec.template.spec', ['OnFailure', 'Never']));
  return out;
}
