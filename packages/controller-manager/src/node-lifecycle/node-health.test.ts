import type { Node, Taint } from '@minik8s/api';
import { describe, expect, it } from 'vitest';
import { planTaints, unknownConditions } from './node-health.ts';
import { planEviction } from './taint-eviction-controller.ts';

const T = '2026-01-01T00:00:00Z';
const node = (conds: Record<string, string>, taints?: Taint[], unschedulable?: boolean): Node =>
  ({
    metadata: { name: 'n', creationTimestamp: T },
    spec: { taints, unschedulable },
    status: { conditions: Object.entries(conds).map(([type, status]) => ({ type, status, lastHeartbeatTime: T, lastTransitionTime: T })) },
  }) as Node;
const keys = (ts: Taint[] | undefined) => ts?.map((t) => `${t.key}:${t.effect}`);

describe('planTaints (TaintNodesByCondition and the NoExecute pass)', () => {
  it('swaps not-ready for unreachable, keeps other taints, and clears its own once Ready', () => {
    const own: Taint = { key: 'dedicated', value: 'gpu', effect: 'NoExecute' };
    const notReady = planTaints(node({ Ready: 'False' }, [own]), T, true);
    expect(keys(notReady)).toEqual(['dedicated:NoExecute', 'node.kubernetes.io/not-ready:NoSchedule', 'node.kubernetes.io/not-ready:NoExecute']);
    expect(notReady?.find((t) => t.effect === 'NoExecute' && t.key !== 'dedicated')?.timeAdded).toBe(T);
    const unreachable = planTaints(node({ Ready: 'Unknown' }, notReady), '2026-01-01T00:01:00Z', true);
    expect(keys(unreachable)).toEqual(['dedicated:NoExecute', 'node.kubernetes.io/unreachable:NoSchedule', 'node.kubernetes.io/unreachable:NoExecute']);
    expect(planTaints(node({ Ready: 'Unknown' }, unreachable), '2026-01-01T00:02:00Z', true)).toBeUndefined();
    expect(keys(planTaints(node({ Ready: 'True' }, unreachable), T, true))).toEqual(['dedicated:NoExecute']);
  });

  it('taints pressure and cordoned nodes NoSchedule, and adds no NoExecute taint when told not to evict', () => {
    expect(keys(planTaints(node({ Ready: 'True', MemoryPressure: 'True', DiskPressure: 'False' }, undefined, true), T, true))).toEqual([
      'node.kubernetes.io/memory-pressure:NoSchedule',
      'node.kubernetes.io/unschedulable:NoSchedule',
    ]);
    const tainted = [{ key: 'node.kubernetes.io/unreachable', effect: 'NoExecute', timeAdded: T }];
    expect(keys(planTaints(node({ Ready: 'Unknown' }, tainted), T, false))).toEqual(['node.kubernetes.io/unreachable:NoSchedule']);
  });
});

describe('unknownConditions', () => {
  it('turns the kubelet’s conditions Unknown, keeping heartbeats; a missing one was never posted', () => {
    const cs = unknownConditions(node({ Ready: 'True', MemoryPressure: 'False', DiskPressure: 'False' }), '2026-01-01T00:05:00Z')!;
    expect(cs.find((c) => c.type === 'Ready')).toEqual({
      type: 'Ready',
      status: 'Unknown',
      reason: 'NodeStatusUnknown',
      message: 'Kubelet stopped posting node status.',
      lastHeartbeatTime: T,
      lastTransitionTime: '2026-01-01T00:05:00Z',
    });
    expect(cs.find((c) => c.type === 'PIDPressure')).toMatchObject({
      status: 'Unknown',
      reason: 'NodeStatusNeverUpdated',
      message: 'Kubelet never posted node status.',
    });
    expect(unknownConditions(node({ Ready: 'Unknown', MemoryPressure: 'Unknown', DiskPressure: 'Unknown', PIDPressure: 'Unknown' }), T)).toBeUndefined();
  });
});

describe('planEviction (processPodOnNode)', () => {
  const taint: Taint = { key: 'node.kubernetes.io/unreachable', effect: 'NoExecute', timeAdded: T };
  const pod = (tolerations: object[]) => ({ metadata: { name: 'p' }, spec: { containers: [], tolerations } }) as never;
  const t0 = Date.parse(T);
  it('at once without a toleration, after the shortest tolerationSeconds from timeAdded, never without seconds', () => {
    expect(planEviction(pod([]), [taint], t0 + 5, () => 0)).toEqual({ at: t0 + 5 });
    expect(
      planEviction(
        pod([
          { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
          { operator: 'Exists', tolerationSeconds: 30 },
        ]),
        [taint],
        t0 + 5,
        () => 0,
      ),
    ).toEqual({ at: t0 + 300_000 });
    expect(planEviction(pod([{ operator: 'Exists' }]), [taint], t0, () => 0)).toBe('never');
    expect(planEviction(pod([{ operator: 'Exists', tolerationSeconds: -1 }]), [taint], t0 + 9, () => 0)).toEqual({ at: t0 });
    expect(planEviction(pod([]), [], t0, () => 0)).toBe('never');
  });
});
