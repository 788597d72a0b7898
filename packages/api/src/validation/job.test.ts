import { describe, expect, it } from 'vitest';
import { defaultJob } from '../defaults.ts';
import { formatFieldCause } from './field-cause.ts';
import { generateJobSelector, validateJob, validateJobUpdate } from './job.ts';

const job = (spec: Record<string, unknown> = {}) => ({
  metadata: { name: 'j', namespace: 'ns', uid: 'u1' },
  spec: { ...spec, template: { spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'i' }] } } },
});
const messages = (o: unknown) => validateJob(o).map(formatFieldCause);
const generated = (spec: Record<string, unknown> = {}) => {
  const j = job(spec);
  generateJobSelector(j);
  defaultJob(j);
  return j;
};

describe('validateJob', () => {
  it('accepts a Job with its generated selector', () => {
    expect(messages(generated())).toEqual([]);
  });

  it('checks podFailurePolicy rules as upstream', () => {
    const j = generated({
      podFailurePolicy: {
        rules: [
          { action: 'Restart', onExitCodes: { operator: 'In', values: [1] } },
          { action: 'FailJob', onExitCodes: { operator: 'In', values: [0, 2] } },
          { action: 'Count', onExitCodes: { containerName: 'sidecar', operator: 'NotIn', values: [3, 1, 1] } },
          { action: 'Ignore' },
          { action: 'FailIndex', onExitCodes: { operator: 'In', values: [5] } },
        ],
      },
    });
    expect(messages(j)).toEqual([
      'spec.podFailurePolicy.rules[0].action: Unsupported value: "Restart": supported values: "Count", "FailIndex", "FailJob", "Ignore"',
      'spec.podFailurePolicy.rules[1].onExitCodes.values[0]: Invalid value: 0: must not be 0 for the In operator',
      'spec.podFailurePolicy.rules[2].onExitCodes.containerName: Invalid value: "sidecar": must be one of the container or initContainer names in the pod template',
      'spec.podFailurePolicy.rules[2].onExitCodes.values[2]: Duplicate value: 1',
      'spec.podFailurePolicy.rules[2].onExitCodes.values: Invalid value: []int32{3, 1, 1}: must be ordered',
      'spec.podFailurePolicy.rules[3]: Invalid value: specifying one of OnExitCodes and OnPodConditions is required',
      'spec.podFailurePolicy.rules[4].action: Invalid value: "FailIndex": requires the backoffLimitPerIndex to be set',
    ]);
  });

  it('refuses a selector the API server did not generate', () => {
    const j = generated();
    (j.spec as Record<string, unknown>).selector = { matchLabels: { 'batch.kubernetes.io/controller-uid': 'other' } };
    expect(messages(j)).toContain('spec.selector: Invalid value: v1.LabelSelector: `selector` not auto-generated');
  });
});

describe('validateJobUpdate', () => {
  it('lets a suspended, never started Job change its scheduling directives only', () => {
    const old = generated({ suspend: true });
    const next = structuredClone(old) as typeof old & { spec: { template: { spec: Record<string, unknown> } } };
    next.spec.template.spec.nodeSelector = { disk: 'ssd' };
    expect(validateJobUpdate(next, old)).toEqual([]);
    expect(validateJobUpdate(next, { ...old, status: { startTime: '2026-01-01T00:00:00Z' } }).map((c) => c.field)).toEqual(['spec.template']);
    next.spec.template.spec.restartPolicy = 'OnFailure';
    expect(validateJobUpdate(next, old).map((c) => c.field)).toEqual(['spec.template']);
  });
});
