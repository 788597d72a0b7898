import { describe, expect, it } from 'vitest';
import { controllerRef, isPodAvailable, isPodReady, setCondition } from './pod-util.ts';
import type { PodCondition, PodStatus } from './types.ts';

const ready = (status: string, since = '2026-01-01T00:00:00Z'): { status: PodStatus } => ({
  status: { conditions: [{ type: 'Ready', status, lastTransitionTime: since }] },
});

describe('pod helpers', () => {
  it('reads readiness and availability after minReadySeconds', () => {
    expect(isPodReady(ready('True'))).toBe(true);
    expect(isPodReady(ready('False'))).toBe(false);
    expect(isPodReady({})).toBe(false);
    const t0 = Date.parse('2026-01-01T00:00:00Z');
    expect(isPodAvailable(ready('True'), 10, t0 + 9_000)).toBe(false);
    expect(isPodAvailable(ready('True'), 10, t0 + 10_000)).toBe(true);
    expect(isPodAvailable(ready('False'), 0, t0)).toBe(false);
  });

  it('keeps lastTransitionTime while a condition holds its status', () => {
    const cs: PodCondition[] = [];
    expect(setCondition(cs, { type: 'Ready', status: 'False', reason: 'ContainersNotReady' }, 't1')).toBe(true);
    expect(setCondition(cs, { type: 'Ready', status: 'False', reason: 'ContainersNotReady' }, 't2')).toBe(false);
    expect(setCondition(cs, { type: 'Ready', status: 'False', reason: 'Other' }, 't3')).toBe(true);
    expect(cs[0]?.lastTransitionTime).toBe('t1');
    expect(setCondition(cs, { type: 'Ready', status: 'True' }, 't4')).toBe(true);
    expect(cs).toEqual([{ type: 'Ready', status: 'True', lastTransitionTime: 't4' }]);
  });

  it('finds the controller reference', () => {
    const ref = { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'rs', uid: 'u', controller: true };
    expect(controllerRef({ metadata: { ownerReferences: [{ ...ref, controller: false, name: 'x' }, ref] } })).toBe(ref);
    expect(controllerRef({ metadata: {} })).toBeUndefined();
  });
});
