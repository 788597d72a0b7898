import type { JobSpec, Pod } from '@minik8s/api';
import { describe, expect, it } from 'vitest';
import { matchPodFailurePolicy } from './pod-failure-policy.ts';

const pod = (codes: Record<string, number>, conditions: Array<{ type: string; status: string }> = []): Pod =>
  ({
    metadata: { name: 'p', namespace: 'ns' },
    status: {
      phase: 'Failed',
      conditions,
      containerStatuses: Object.entries(codes).map(([name, exitCode]) => ({ name, state: { terminated: { exitCode } } })),
    },
  }) as Pod;

const policy = {
  rules: [
    { action: 'FailJob', onExitCodes: { containerName: 'main', operator: 'In', values: [42] } },
    { action: 'Ignore', onPodConditions: [{ type: 'DisruptionTarget', status: 'True' }] },
    { action: 'Count', onExitCodes: { operator: 'NotIn', values: [1] } },
  ],
} as JobSpec['podFailurePolicy'];

describe('podFailurePolicy', () => {
  it('takes the first rule that matches', () => {
    expect(matchPodFailurePolicy(policy, pod({ main: 42 }))).toEqual({
      action: 'FailJob',
      counts: true,
      message: 'Container main for pod ns/p failed with exit code 42 matching FailJob rule at index 0',
    });
    // containerName narrows the rule; exit codes 0 never match
    expect(matchPodFailurePolicy(policy, pod({ side: 42, main: 0 })).action).toBe('Count');
    expect(matchPodFailurePolicy(policy, pod({ main: 1 }, [{ type: 'DisruptionTarget', status: 'True' }]))).toEqual({ action: 'Ignore', counts: false });
    expect(matchPodFailurePolicy(policy, pod({ main: 1 }))).toEqual({ counts: true });
    expect(matchPodFailurePolicy(undefined, pod({ main: 1 }))).toEqual({ counts: true });
  });
});
