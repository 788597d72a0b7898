import { describe, expect, it } from 'vitest';
import { validatePodDisruptionBudget } from './policy.ts';

const pdb = (spec: Record<string, unknown>) => ({ spec: { selector: { matchLabels: { app: 'web' } }, ...spec } });
const messages = (spec: Record<string, unknown>) => validatePodDisruptionBudget(pdb(spec)).map((c) => `${c.field}: ${c.message}`);

describe('PodDisruptionBudget validation', () => {
  it('takes one of minAvailable and maxUnavailable, as a count or a percentage', () => {
    expect(messages({ minAvailable: 2 })).toEqual([]);
    expect(messages({ maxUnavailable: '25%' })).toEqual([]);
    expect(messages({})).toEqual([]);
  });

  it('refuses both at once, negative counts, bad or excessive percentages, and unknown eviction policies', () => {
    expect(messages({ minAvailable: 1, maxUnavailable: 1 })).toEqual([
      'spec: Invalid value: {"selector":{"matchLabels":{"app":"web"}},"minAvailable":1,"maxUnavailable":1}: minAvailable and maxUnavailable cannot be both set',
    ]);
    expect(messages({ minAvailable: -1 })).toEqual(['spec.minAvailable: Invalid value: -1: must be greater than or equal to 0']);
    expect(messages({ maxUnavailable: 'half' })).toEqual([
      `spec.maxUnavailable: Invalid value: "half": a valid percent string must be a numeric string followed by an ending '%' (e.g. '1%',  or '93%')`,
    ]);
    expect(messages({ minAvailable: '120%' })).toEqual(['spec.minAvailable: Invalid value: "120%": must not be greater than 100%']);
    expect(messages({ unhealthyPodEvictionPolicy: 'Sometimes' })).toEqual([
      'spec.unhealthyPodEvictionPolicy: Unsupported value: "Sometimes": supported values: "AlwaysAllow", "IfHealthyBudget"',
    ]);
  });
});
