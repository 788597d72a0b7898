/** planDeletion: what a DELETE does to one object, per kind strategy and options. */
import type { KubeObject } from '@minik8s/api';
import { describe, expect, it } from 'vitest';
import { strategyFor } from '../registry/index.ts';
import { planDeletion } from './deletion.ts';

const now = new Date('2026-01-01T00:00:00Z');
const obj = (o: Partial<KubeObject> & { metadata?: KubeObject['metadata'] }): KubeObject =>
  ({ apiVersion: 'v1', kind: 'X', ...o, metadata: { name: 'x', ...o.metadata } }) as KubeObject;
const pods = strategyFor({ group: '', kind: 'Pod' });
const namespaces = strategyFor({ group: '', kind: 'Namespace' });
const configMaps = strategyFor({ group: '', kind: 'ConfigMap' });

describe('planDeletion', () => {
  it('removes an object without finalizers at once, and an unscheduled Pod too', () => {
    expect(planDeletion(obj({}), configMaps, {}, now)).toEqual({ action: 'remove' });
    expect(planDeletion(obj({ spec: {} }), pods, {}, now)).toEqual({ action: 'remove' });
  });

  it('marks a Pod on a node with its grace period; a longer one later keeps it', () => {
    const pod = obj({ spec: { nodeName: 'n1', terminationGracePeriodSeconds: 20 } });
    const plan = planDeletion(pod, pods, {}, now);
    expect(plan).toMatchObject({ action: 'mark', next: { metadata: { deletionTimestamp: '2026-01-01T00:00:20Z', deletionGracePeriodSeconds: 20 } } });
    const marked = (plan as { next: KubeObject }).next;
    expect(planDeletion(marked, pods, { gracePeriodSeconds: 60 }, now)).toEqual({ action: 'keep' });
    expect(planDeletion(marked, pods, { gracePeriodSeconds: 5 }, now)).toMatchObject({ action: 'mark', next: { metadata: { deletionGracePeriodSeconds: 5 } } });
  });

  it('marks an object with finalizers, or with the policy’s garbage-collector finalizer', () => {
    expect(planDeletion(obj({ metadata: { name: 'x', finalizers: ['a/b'] } }), configMaps, {}, now)).toMatchObject({
      action: 'mark',
      next: { metadata: { finalizers: ['a/b'], deletionTimestamp: '2026-01-01T00:00:00Z', deletionGracePeriodSeconds: 0 } },
    });
    expect(planDeletion(obj({}), configMaps, { propagationPolicy: 'Foreground' }, now)).toMatchObject({
      action: 'mark',
      next: { metadata: { finalizers: ['foregroundDeletion'] } },
    });
  });

  it('turns a Namespace Terminating once, and refuses the protected ones', () => {
    const plan = planDeletion(obj({ metadata: { name: 'team' }, status: { phase: 'Active' } }), namespaces, {}, now);
    expect(plan).toMatchObject({ action: 'mark', next: { status: { phase: 'Terminating' }, metadata: { deletionTimestamp: '2026-01-01T00:00:00Z' } } });
    expect(planDeletion((plan as { next: KubeObject }).next, namespaces, {}, now)).toEqual({ action: 'keep' });
    expect(() => planDeletion(obj({ metadata: { name: 'kube-system' } }), namespaces, {}, now)).toThrow('this namespace may not be deleted');
  });
});
