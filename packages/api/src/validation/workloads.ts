/**
 * The semantic checks upstream's validation makes on workloads and Pods beyond the
 * schema: required containers, names and images, non-negative replicas, selectors that
 * match their template, the restart policies each controller allows, and what init
 * containers may carry (only sidecars, `restartPolicy: Always`, get probes and hooks).
 */
import { CronScheduleError, isKnownTimeZone, parseCronSchedule } from '../cron-schedule.ts';
import { labelSelectorAsSelector } from '../selectors/index.ts';
import { type FieldCause, fieldDuplicate, fieldForbidden, fieldInvalid, fieldNotSupported, fieldRequired } from './field-cause.ts';
import { validateLabelSelector } from './label-selector.ts';
import { isDNS1123Label } from './names.ts';

// biome-ignore lint/suspicious/noExplicitAny: objects are checked field by field
type Any = any;

const goMap = (m: Record<string, string>) =>
  `map[string]string{${Object.entries(m)
    .map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v)}`)
    .join(', ')}}`;

export function nonNegative(v: unknown, field: string, out: FieldCause[]): void {
  if (typeof v === 'number' && v < 0) out.push(fieldInvalid(field, v, 'must be greater than or equal to 0'));
}

export function validatePodSpec(spec: Any, path: string, restartPolicies?: string[]): FieldCause[] {
  const out: FieldCause[] = [];
  if (!spec || typeof spec !== 'object') return [fieldRequired(path, '')];
  const containers: Any[] = Array.isArray(spec.containers) ? spec.containers : [];
  if (containers.length === 0) out.push(fieldRequired(`${path}.containers`, ''));
  const seen = new Set<string>();
  const check = (list: Any[], kind: 'initContainers' | 'containers') =>
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
      if (kind === 'initContainers') checkInitContainer(c, at, out);
      else if (c?.restartPolicy != null) out.push(fieldForbidden(`${at}.restartPolicy`, 'may not be set for non-init containers'));
    });
  check(Array.isArray(spec.initContainers) ? spec.initContainers : [], 'initContainers');
  check(containers, 'containers');
  if (restartPolicies && spec.restartPolicy !== undefined && !restartPolicies.includes(spec.restartPolicy)) {
    out.push(fieldNotSupported(`${path}.restartPolicy`, spec.restartPolicy, restartPolicies));
  }
  nonNegative(spec.terminationGracePeriodSeconds, `${path}.terminationGracePeriodSeconds`, out);
  return out;
}

/** What only a sidecar (an init container with `restartPolicy: Always`, Kubernetes 1.28+) may carry. */
const SIDECAR_ONLY = ['lifecycle', 'livenessProbe', 'readinessProbe', 'startupProbe'] as const;

/** An init container's restart policy, `Always` or unset; without it, no lifecycle hooks or probes. */
function checkInitContainer(c: Any, at: string, out: FieldCause[]): void {
  const policy = c?.restartPolicy;
  if (policy != null && policy !== 'Always') out.push(fieldNotSupported(`${at}.restartPolicy`, policy, ['Always']));
  if (policy === 'Always') return;
  for (const field of SIDECAR_ONLY) {
    if (c?.[field] != null) out.push(fieldForbidden(`${at}.${field}`, 'may not be set for init containers without restartPolicy=Always'));
  }
}

/** spec.selector must be set, non-empty, and select the template's labels. */
export function validateSelector(spec: Any, out: FieldCause[]): void {
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

/**
 * A CronJob (upstream's ValidateCronJobCreate / ValidateCronJobUpdate): a schedule
 * robfig/cron parses with no TZ or CRON_TZ in it (unless the stored one already had one),
 * a time zone Go knows, a supported concurrency policy, non-negative limits, a Job
 * template as a Job's, and on create a name of at most 52 characters (the Job names get
 * 11 more).
 */
export function validateCronJob(o: Any, old?: Any): FieldCause[] {
  const out: FieldCause[] = [];
  const spec = o?.spec ?? {};
  const oldSpec = old ? (old.spec ?? {}) : undefined;
  if (!spec.schedule) out.push(fieldRequired('spec.schedule', ''));
  else if (typeof spec.schedule === 'string') {
    const allowTZ = typeof oldSpec?.schedule === 'string' && oldSpec.schedule.includes('TZ');
    try {
      parseCronSchedule(spec.schedule);
    } catch (e) {
      if (!(e instanceof CronScheduleError)) throw e;
      out.push(fieldInvalid('spec.schedule', spec.schedule, e.message));
    }
    if (allowTZ && spec.schedule.includes('TZ') && spec.timeZone != null) {
      out.push(fieldInvalid('spec.schedule', spec.schedule, 'cannot use both timeZone field and TZ or CRON_TZ in schedule'));
    } else if (!allowTZ && spec.schedule.includes('TZ')) {
      out.push(fieldInvalid('spec.schedule', spec.schedule, 'cannot use TZ or CRON_TZ in schedule, use timeZone field instead'));
    }
  }
  nonNegative(spec.startingDeadlineSeconds, 'spec.startingDeadlineSeconds', out);
  if (!oldSpec || oldSpec.timeZone !== spec.timeZone) out.push(...validateTimeZone(spec.timeZone, 'spec.timeZone'));
  const policies = ['Allow', 'Forbid', 'Replace'];
  if (spec.concurrencyPolicy && !policies.includes(spec.concurrencyPolicy))
    out.push(fieldNotSupported('spec.concurrencyPolicy', spec.concurrencyPolicy, policies));
  const template = spec.jobTemplate?.spec ?? {};
  if (template.manualSelector === true) out.push(fieldNotSupported('spec.jobTemplate.spec.manualSelector', true, ['nil', 'false']));
  out.push(...validatePodSpec(template.template?.spec, 'spec.jobTemplate.spec.template.spec', ['OnFailure', 'Never']));
  nonNegative(spec.successfulJobsHistoryLimit, 'spec.successfulJobsHistoryLimit', out);
  nonNegative(spec.failedJobsHistoryLimit, 'spec.failedJobsHistoryLimit', out);
  const name = o?.metadata?.name;
  if (!old && typeof name === 'string' && name.length > CRONJOB_NAME_MAX) {
    out.push(fieldInvalid('metadata.name', name, `must be no more than ${CRONJOB_NAME_MAX} characters`));
  }
  return out;
}

/** A DNS-1035 label's 63 characters less the 11 of the `-<minutes>` suffix of the Job names. */
export const CRONJOB_NAME_MAX = 52;

/** Name parts upstream tolerates in a time zone (https://data.iana.org/time-zones/theory.html#naming, plus digits and `+`). */
const TZ_PART = /^[A-Za-z.\-_0-9+]{1,14}$/;

function validateTimeZone(tz: unknown, field: string): FieldCause[] {
  if (tz === undefined || tz === null || typeof tz !== 'string') return [];
  if (tz.length === 0) return [fieldInvalid(field, tz, 'timeZone must be nil or non-empty string')];
  for (const part of tz.split('/')) {
    if (part === '.' || part === '..' || part.startsWith('-') || !TZ_PART.test(part)) return [fieldInvalid(field, tz, `unknown time zone ${tz}`)];
  }
  const out: FieldCause[] = [];
  if (tz.toLowerCase() === 'local') out.push(fieldInvalid(field, tz, 'timeZone must be an explicit time zone as defined in https://www.iana.org/time-zones'));
  if (!isKnownTimeZone(tz) || (tz !== 'Local' && tz.toLowerCase() === 'local')) out.push(fieldInvalid(field, tz, `unknown time zone ${tz}`));
  return out;
}

/** Go's %#v of a metav1.LabelSelector, as upstream prints an immutable selector. */
function goLabelSelector(sel: Any): string {
  const labels = sel?.matchLabels ? goMap(sel.matchLabels) : 'map[string]string(nil)';
  const exprs = Array.isArray(sel?.matchExpressions)
    ? `[]v1.LabelSelectorRequirement{${sel.matchExpressions
        .map(
          (e: Any) =>
            `v1.LabelSelectorRequirement{Key:${JSON.stringify(e.key ?? '')}, Operator:${JSON.stringify(e.operator ?? '')}, Values:${
              Array.isArray(e.values) ? `[]string{${e.values.map((v: string) => JSON.stringify(v)).join(', ')}}` : '[]string(nil)'
            }}`,
        )
        .join(', ')}}`
    : '[]v1.LabelSelectorRequirement(nil)';
  return `v1.LabelSelector{MatchLabels:${labels}, MatchExpressions:${exprs}}`;
}

const sameJson = (a: unknown, b: unknown) => JSON.stringify(a ?? null) === JSON.stringify(b ?? null);

/** Upstream's ValidateDaemonSetUpdate beyond the create checks: the selector cannot change. */
export function validateDaemonSetUpdate(o: Any, old: Any): FieldCause[] {
  if (sameJson(o?.spec?.selector, old?.spec?.selector)) return [];
  return [fieldInvalid('spec.selector', { goSyntax: goLabelSelector(o?.spec?.selector) }, 'field is immutable')];
}

/** Upstream's ValidateControllerRevision: data is mandatory, the revision not negative. */
export function validateControllerRevision(o: Any): FieldCause[] {
  const out: FieldCause[] = [];
  if (o?.data === undefined || o?.data === null) out.push(fieldRequired('data', 'data is mandatory'));
  nonNegative(o?.revision, 'revision', out);
  return out;
}

/** Upstream's ValidateControllerRevisionUpdate: data cannot change (the revision number may). */
export function validateControllerRevisionUpdate(o: Any, old: Any): FieldCause[] {
  if (sameJson(o?.data, old?.data)) return [];
  return [fieldInvalid('data', { goSyntax: 'runtime.RawExtension{...}' }, 'field is immutable')];
}

/** A StatefulSet's update strategy as Go's %#v prints the internal struct (pointers shown as set or nil). */
function goStatefulSetUpdateStrategy(us: Any): string {
  const ru = us?.rollingUpdate ? '(*apps.RollingUpdateStatefulSetStrategy)(0xc000000000)' : '(*apps.RollingUpdateStatefulSetStrategy)(nil)';
  return `apps.StatefulSetUpdateStrategy{Type:${JSON.stringify(us?.type ?? '')}, RollingUpdate:${ru}}`;
}

const RETENTION_POLICIES = ['Retain', 'Delete'];

/**
 * Upstream's ValidateStatefulSetSpec (1.32): a pod management policy and an update
 * strategy it knows (a rollingUpdate block only with RollingUpdate, a partition not
 * negative), known claim retention policies, counts not negative, a non-empty selector
 * that selects the template, and Pods that always restart and have no active deadline.
 * As upstream, the template's Pod spec is not validated here: Pods that cannot be
 * created show up as FailedCreate events. `serviceName` is optional (1.32).
 */
export function validateStatefulSet(o: Any): FieldCause[] {
  const out: FieldCause[] = [];
  const spec = o?.spec ?? {};
  const policy = spec.podManagementPolicy;
  if (!policy) out.push(fieldRequired('spec.podManagementPolicy'));
  else if (policy !== 'OrderedReady' && policy !== 'Parallel')
    out.push(fieldInvalid('spec.podManagementPolicy', policy, "must be 'OrderedReady' or 'Parallel'"));
  const us = spec.updateStrategy ?? {};
  if (!us.type) out.push(fieldRequired('spec.updateStrategy'));
  else if (us.type === 'OnDelete') {
    if (us.rollingUpdate != null) {
      out.push(
        fieldInvalid(
          'spec.updateStrategy.rollingUpdate',
          { goSyntax: '&apps.RollingUpdateStatefulSetStrategy{Partition:(*int32)(nil), MaxUnavailable:(*intstr.IntOrString)(nil)}' },
          "only allowed for updateStrategy 'RollingUpdate'",
        ),
      );
    }
  } else if (us.type === 'RollingUpdate') {
    nonNegative(us.rollingUpdate?.partition, 'spec.updateStrategy.rollingUpdate.partition', out);
  } else {
    out.push(fieldInvalid('spec.updateStrategy', { goSyntax: goStatefulSetUpdateStrategy(us) }, "must be 'RollingUpdate' or 'OnDelete'"));
  }
  const retention = spec.persistentVolumeClaimRetentionPolicy;
  if (retention) {
    for (const k of ['whenDeleted', 'whenScaled'] as const) {
      if (!RETENTION_POLICIES.includes(retention[k]))
        out.push(fieldNotSupported(`spec.persistentVolumeClaimRetentionPolicy.${k}`, retention[k] ?? '', RETENTION_POLICIES));
    }
  }
  nonNegative(spec.replicas, 'spec.replicas', out);
  nonNegative(spec.minReadySeconds, 'spec.minReadySeconds', out);
  if (spec.ordinals) nonNegative(spec.ordinals.start, 'spec.ordinals.start', out);
  const sel = spec.selector;
  if (!sel) out.push(fieldRequired('spec.selector'));
  else if (Object.keys(sel.matchLabels ?? {}).length + (sel.matchExpressions ?? []).length === 0) {
    out.push(fieldInvalid('spec.selector', { goSyntax: goLabelSelector(sel) }, 'empty selector is invalid for statefulset'));
  } else {
    const labels: Record<string, string> = spec.template?.metadata?.labels ?? {};
    try {
      if (!labelSelectorAsSelector(sel).matches(labels)) {
        out.push(fieldInvalid('spec.template.metadata.labels', { goSyntax: goMap(labels) }, '`selector` does not match template `labels`'));
      }
    } catch {
      out.push(fieldInvalid('spec.selector', { goSyntax: goLabelSelector(sel) }, ''));
    }
  }
  const restart = spec.template?.spec?.restartPolicy ?? '';
  if (restart !== 'Always') out.push(fieldNotSupported('spec.template.spec.restartPolicy', restart, ['Always']));
  if (spec.template?.spec?.activeDeadlineSeconds != null) {
    out.push(fieldForbidden('spec.template.spec.activeDeadlineSeconds', 'activeDeadlineSeconds in StatefulSet is not Supported'));
  }
  return out;
}

/** The StatefulSet spec fields an update may change (upstream's ValidateStatefulSetUpdate). */
const STATEFULSET_MUTABLE = [
  'replicas',
  'ordinals',
  'template',
  'updateStrategy',
  'revisionHistoryLimit',
  'persistentVolumeClaimRetentionPolicy',
  'minReadySeconds',
];

/** Upstream's ValidateStatefulSetUpdate beyond the create checks: only the mutable fields may change. */
export function validateStatefulSetUpdate(o: Any, old: Any): FieldCause[] {
  const rest = (spec: Any) => Object.fromEntries(Object.entries(spec ?? {}).filter(([k]) => !STATEFULSET_MUTABLE.includes(k)));
  if (semanticJson(rest(o?.spec)) === semanticJson(rest(old?.spec))) return [];
  return [
    fieldForbidden(
      'spec',
      "updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'revisionHistoryLimit', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden",
    ),
  ];
}

/** JSON with sorted keys where missing, null, empty objects and empty lists are alike (Semantic.DeepEqual on the defaulted spec). */
function semanticJson(v: unknown): string {
  const prune = (x: unknown): unknown => {
    if (Array.isArray(x)) return x.length ? x.map(prune) : undefined;
    if (x && typeof x === 'object') {
      const entries = Object.entries(x)
        .map(([k, y]) => [k, prune(y)] as const)
        .filter(([, y]) => y !== undefined)
        .sort(([a], [b]) => (a < b ? -1 : 1));
      return entries.length ? Object.fromEntries(entries) : undefined;
    }
    return x === null || x === '' ? undefined : x;
  };
  return JSON.stringify(prune(v) ?? null);
}
