/**
 * Jobs and CronJobs as upstream's pkg/apis/batch/validation checks them: counts not
 * negative, a template whose Pods restart OnFailure or Never, Indexed Jobs with their
 * completions, pod failure policies, the generated selector; on update, the fields
 * upstream makes immutable.
 */
import { isDeepStrictEqual } from 'node:util';
import { type FieldCause, fieldDuplicate, fieldForbidden, fieldInvalid, fieldNotSupported, fieldRequired } from './field-cause.ts';
import { nonNegative, validatePodSpec, validateSelector } from './workloads.ts';

// biome-ignore lint/suspicious/noExplicitAny: objects are checked field by field
type Any = any;

/** Label and annotation keys of the Job API (upstream's batch/v1 constants). */
export const JOB_LABELS = {
  controllerUid: 'batch.kubernetes.io/controller-uid',
  jobName: 'batch.kubernetes.io/job-name',
  legacyControllerUid: 'controller-uid',
  legacyJobName: 'job-name',
  completionIndex: 'batch.kubernetes.io/job-completion-index',
} as const;

/** Upstream's maxParallelismForIndexedJob and maxFailedIndexes bounds. */
const MAX_INDEXED_PARALLELISM = 100_000;
const MAX_POD_FAILURE_POLICY_RULES = 20;
const COMPLETION_MODES = ['NonIndexed', 'Indexed'];
const POLICY_ACTIONS = ['Count', 'FailIndex', 'FailJob', 'Ignore'];
const EXIT_CODE_OPERATORS = ['In', 'NotIn'];

/** A Job's Pods restart OnFailure or Never (an unset policy is the Pod default, Always). */
export function checkJobRestartPolicy(podSpec: Any, path: string, out: FieldCause[]): void {
  if (!podSpec || typeof podSpec !== 'object') return;
  const policy = podSpec.restartPolicy ?? 'Always';
  if (policy !== 'OnFailure' && policy !== 'Never') out.push(fieldNotSupported(`${path}.restartPolicy`, policy, ['OnFailure', 'Never']));
}

/**
 * Upstream's generateSelector (run from the strategy's Validate on create): unless the
 * user manages the selector, the template gets the job-name and controller-uid labels
 * and the selector selects the controller-uid one.
 */
export function generateJobSelector(job: Any): void {
  const spec = job?.spec;
  if (!spec || typeof spec !== 'object' || spec.manualSelector === true) return;
  const uid = job.metadata?.uid;
  const name = job.metadata?.name;
  if (!uid || !name) return;
  spec.template ??= {};
  spec.template.metadata ??= {};
  spec.template.metadata.labels ??= {};
  const labels = spec.template.metadata.labels;
  labels[JOB_LABELS.legacyJobName] ??= name;
  labels[JOB_LABELS.jobName] ??= name;
  labels[JOB_LABELS.legacyControllerUid] ??= uid;
  labels[JOB_LABELS.controllerUid] ??= uid;
  spec.selector ??= {};
  spec.selector.matchLabels ??= {};
  spec.selector.matchLabels[JOB_LABELS.controllerUid] ??= uid;
}

/** A Job (ValidateJob): its spec, and a selector the API server generated unless manualSelector. */
export function validateJob(o: Any): FieldCause[] {
  const out = validateJobSpec(o?.spec ?? {}, 'spec');
  const spec = o?.spec ?? {};
  if (spec.manualSelector !== true && spec.selector && o?.metadata?.uid) {
    if (spec.selector.matchLabels?.[JOB_LABELS.controllerUid] !== o.metadata.uid) {
      out.push(fieldInvalid('spec.selector', { goSyntax: 'v1.LabelSelector' }, '`selector` not auto-generated'));
    }
  }
  return out;
}

function validateJobSpec(spec: Any, path: string): FieldCause[] {
  const out: FieldCause[] = [];
  nonNegative(spec.parallelism, `${path}.parallelism`, out);
  nonNegative(spec.completions, `${path}.completions`, out);
  nonNegative(spec.activeDeadlineSeconds, `${path}.activeDeadlineSeconds`, out);
  nonNegative(spec.backoffLimit, `${path}.backoffLimit`, out);
  nonNegative(spec.ttlSecondsAfterFinished, `${path}.ttlSecondsAfterFinished`, out);
  if (spec.selector !== undefined || path === 'spec') validateSelectorAt(spec, path, out);
  const mode = spec.completionMode;
  if (mode !== undefined && !COMPLETION_MODES.includes(mode)) out.push(fieldNotSupported(`${path}.completionMode`, mode, COMPLETION_MODES));
  if (mode === 'Indexed') {
    if (spec.completions === undefined || spec.completions === null) out.push(fieldRequired(`${path}.completions`, 'when completion mode is Indexed'));
    if (typeof spec.parallelism === 'number' && spec.parallelism > MAX_INDEXED_PARALLELISM) {
      out.push(
        fieldInvalid(`${path}.parallelism`, spec.parallelism, `must be less than or equal to ${MAX_INDEXED_PARALLELISM} when completion mode is Indexed`),
      );
    }
  }
  const podPath = `${path}.template.spec`;
  out.push(...validatePodSpec(spec.template?.spec, podPath));
  checkJobRestartPolicy(spec.template?.spec, podPath, out);
  if (spec.podFailurePolicy) validatePodFailurePolicy(spec, `${path}.podFailurePolicy`, out);
  return out;
}

/** The selector must exist and select the template (upstream reports it under spec.selector / spec.template.metadata.labels). */
function validateSelectorAt(spec: Any, path: string, out: FieldCause[]): void {
  const mine: FieldCause[] = [];
  validateSelector(spec, mine);
  for (const c of mine) out.push({ ...c, field: c.field.replace(/^spec\./, `${path}.`) });
}

function validatePodFailurePolicy(spec: Any, path: string, out: FieldCause[]): void {
  const restartPolicy = spec.template?.spec?.restartPolicy ?? 'Always';
  // Upstream reports only one restartPolicy error: Always is already Unsupported.
  if (restartPolicy === 'OnFailure') {
    out.push(
      fieldInvalid(
        `${path.replace(/podFailurePolicy$/, '')}template.spec.restartPolicy`,
        restartPolicy,
        'only "Never" is supported when podFailurePolicy is specified',
      ),
    );
  }
  const rules: Any[] = Array.isArray(spec.podFailurePolicy.rules) ? spec.podFailurePolicy.rules : [];
  if (rules.length > MAX_POD_FAILURE_POLICY_RULES) {
    out.push(fieldInvalid(`${path}.rules`, rules.length, `must have at most ${MAX_POD_FAILURE_POLICY_RULES} items`));
  }
  rules.forEach((rule, i) => {
    const at = `${path}.rules[${i}]`;
    const action = rule?.action;
    if (!POLICY_ACTIONS.includes(action)) out.push(fieldNotSupported(`${at}.action`, action ?? '', POLICY_ACTIONS));
    else if (action === 'FailIndex' && spec.backoffLimitPerIndex == null) {
      out.push(fieldInvalid(`${at}.action`, action, 'requires the backoffLimitPerIndex to be set'));
    }
    const codes = rule?.onExitCodes;
    const conds = rule?.onPodConditions;
    const hasConds = Array.isArray(conds) && conds.length > 0;
    if (codes) validateOnExitCodes(codes, `${at}.onExitCodes`, containerNames(spec), out);
    if (hasConds) {
      conds.forEach((c: Any, j: number) => {
        const cp = `${at}.onPodConditions[${j}]`;
        if (!c?.type) out.push(fieldRequired(`${cp}.type`, ''));
        if (c?.status !== undefined && !['True', 'False', 'Unknown'].includes(c.status)) {
          out.push(fieldNotSupported(`${cp}.status`, c.status, ['False', 'True', 'Unknown']));
        }
      });
    }
    if (codes && hasConds) out.push(invalidOmitValue(at, 'specifying both OnExitCodes and OnPodConditions is not supported'));
    else if (!codes && !hasConds) out.push(invalidOmitValue(at, 'specifying one of OnExitCodes and OnPodConditions is required'));
  });
}

/** field.Invalid with field.OmitValueType: the value is left out of the message. */
const invalidOmitValue = (field: string, detail: string): FieldCause => ({ reason: 'FieldValueInvalid', field, message: `Invalid value: ${detail}` });

const int32s = (v: number[]) => ({ goSyntax: `[]int32{${v.join(', ')}}` });

function containerNames(spec: Any): Set<string> {
  const all: Any[] = [...(spec.template?.spec?.containers ?? []), ...(spec.template?.spec?.initContainers ?? [])];
  return new Set(all.map((c) => c?.name));
}

function validateOnExitCodes(codes: Any, path: string, names: Set<string>, out: FieldCause[]): void {
  if (!EXIT_CODE_OPERATORS.includes(codes.operator)) out.push(fieldNotSupported(`${path}.operator`, codes.operator ?? '', EXIT_CODE_OPERATORS));
  if (codes.containerName != null && !names.has(codes.containerName)) {
    out.push(fieldInvalid(`${path}.containerName`, codes.containerName, 'must be one of the container or initContainer names in the pod template'));
  }
  const values: number[] = Array.isArray(codes.values) ? codes.values : [];
  if (values.length === 0) out.push(fieldInvalid(`${path}.values`, int32s(values), 'at least one value is required'));
  const seen = new Set<number>();
  let ordered = true;
  values.forEach((v, k) => {
    const vp = `${path}.values[${k}]`;
    if (codes.operator === 'In' && v === 0) out.push(fieldInvalid(vp, v, 'must not be 0 for the In operator'));
    if (seen.has(v)) out.push(fieldDuplicate(vp, v));
    seen.add(v);
    if (k > 0 && values[k - 1]! > v) ordered = false;
  });
  if (!ordered) out.push(fieldInvalid(`${path}.values`, int32s(values), 'must be ordered'));
}

const immutable = (field: string, value: Any): FieldCause => fieldInvalid(field, toBadValue(value), 'field is immutable');

function toBadValue(v: Any) {
  if (v === undefined || v === null || typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return v;
  return { goSyntax: JSON.stringify(v) };
}

/**
 * ValidateJobUpdate: the selector, completion mode, pod failure policy and template are
 * immutable; while the Job is suspended and has never started, the template's labels,
 * annotations, node selector, affinity, tolerations and scheduling gates may change
 * (upstream's mutable scheduling directives). `obj` and `old` are defaulted.
 */
export function validateJobUpdate(obj: Any, old: Any): FieldCause[] {
  const out: FieldCause[] = [];
  const spec = obj?.spec ?? {};
  const was = old?.spec ?? {};
  if (!isDeepStrictEqual(spec.selector, was.selector)) out.push(immutable('spec.selector', spec.selector));
  if (spec.completionMode !== was.completionMode) out.push(immutable('spec.completionMode', spec.completionMode));
  if (!isDeepStrictEqual(spec.podFailurePolicy, was.podFailurePolicy)) out.push(immutable('spec.podFailurePolicy', spec.podFailurePolicy));
  // Elastic Indexed Jobs may change completions together with parallelism.
  const elastic = spec.completionMode === 'Indexed' && spec.completions === spec.parallelism && was.completions === was.parallelism;
  if (spec.completions !== was.completions && !elastic) out.push(immutable('spec.completions', spec.completions));
  const mutableScheduling = was.suspend === true && !old?.status?.startTime;
  if (!isDeepStrictEqual(templateForCompare(spec.template, mutableScheduling), templateForCompare(was.template, mutableScheduling))) {
    out.push(immutable('spec.template', { goSyntax: 'core.PodTemplateSpec' }));
  }
  if (was.manualSelector !== spec.manualSelector && !(was.manualSelector == null && spec.manualSelector == null)) {
    out.push(fieldForbidden('spec.manualSelector', 'field is immutable'));
  }
  return out;
}

function templateForCompare(t: Any, mutableScheduling: boolean): Any {
  const c = structuredClone(t ?? {});
  if (!mutableScheduling) return c;
  if (c.metadata) {
    delete c.metadata.labels;
    delete c.metadata.annotations;
  }
  if (c.spec) {
    for (const f of ['nodeSelector', 'affinity', 'tolerations', 'schedulingGates']) delete c.spec[f];
  }
  return c;
}

const isTrue = (o: Any, type: string) => (o?.status?.conditions ?? []).some((c: Any) => c?.type === type && c?.status === 'True');
const isFinishedJob = (o: Any) => isTrue(o, 'Complete') || isTrue(o, 'Failed');

/**
 * ValidateJobUpdateStatus as 1.32 (with JobManagedBy on): counters not negative, uncounted
 * uids unique, and the status transitions a Job controller must respect, each checked only
 * when the fields it reads change (so a controller can still fix an old status).
 */
export function validateJobStatusUpdate(obj: Any, old: Any): FieldCause[] {
  const out: FieldCause[] = [];
  const s = obj?.status ?? {};
  for (const f of ['active', 'succeeded', 'failed', 'ready', 'terminating']) nonNegative(s[f], `status.${f}`, out);
  const seen = new Set<string>();
  for (const kind of ['succeeded', 'failed']) {
    (s.uncountedTerminatedPods?.[kind] ?? []).forEach((uid: string, i: number) => {
      const p = `status.uncountedTerminatedPods.${kind}[${i}]`;
      if (!uid) out.push(fieldInvalid(p, uid ?? '', 'must not be empty'));
      else if (seen.has(uid)) out.push(fieldDuplicate(p, uid));
      else seen.add(uid);
    });
  }
  const was = old?.status ?? {};
  const changed = (f: (o: Any) => unknown) => !isDeepStrictEqual(f(obj), f(old));
  const complete = isTrue(obj, 'Complete');
  const failed = isTrue(obj, 'Failed');
  const finished = complete || failed;
  if (complete && failed && changed((o) => isFinishedJob(o)))
    out.push(invalidOmitValue('status.conditions', 'cannot set Complete=True and Failed=true conditions'));
  if (failed && !isTrue(obj, 'FailureTarget') && changed((o) => isTrue(o, 'Failed'))) {
    out.push(invalidOmitValue('status.conditions', 'cannot set Failed=True condition without the FailureTarget=true condition'));
  }
  if (complete && !isTrue(obj, 'SuccessCriteriaMet') && changed((o) => isTrue(o, 'Complete'))) {
    out.push(invalidOmitValue('status.conditions', 'cannot set Complete=True condition without the SuccessCriteriaMet=true condition'));
  }
  const timesChanged = changed((o) => [o?.status?.completionTime, isTrue(o, 'Complete')]);
  if (s.completionTime && !complete && timesChanged) {
    out.push(fieldInvalid('status.completionTime', s.completionTime, 'cannot set completionTime when there is no Complete=True condition'));
  }
  if (!s.completionTime && complete && timesChanged) out.push(fieldRequired('status.completionTime', 'completionTime is required for Complete jobs'));
  if (finished && (s.active ?? 0) > 0 && (changed((o) => o?.status?.active) || changed(isFinishedJob))) {
    out.push(fieldInvalid('status.active', s.active, 'active>0 is invalid for finished job'));
  }
  if (s.completedIndexes && obj?.spec?.completionMode !== 'Indexed' && s.completedIndexes !== was.completedIndexes) {
    out.push(fieldInvalid('status.completedIndexes', s.completedIndexes, 'cannot set non-empty completedIndexes when non-indexed completion mode'));
  }
  if ((s.ready ?? 0) > (s.active ?? 0) && changed((o) => [o?.status?.ready, o?.status?.active])) {
    out.push(fieldInvalid('status.ready', s.ready, 'cannot set more ready pods than active'));
  }
  return out;
}
