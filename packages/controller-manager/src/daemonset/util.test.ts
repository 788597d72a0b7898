import type { DaemonSet, Node, Pod } from '@minik8s/api';
import { describe, expect, it } from 'vitest';
import {
  addDaemonPodTolerations,
  isPodUpdated,
  nodeShouldRunDaemonPod,
  replaceNodeNameAffinity,
  surgeCount,
  targetNodeName,
  unavailableCount,
} from './util.ts';

const node = (name: string, labels: Record<string, string> = {}, spec: Node['spec'] = {}): Node => ({ metadata: { name, labels }, spec }) as Node;
const ds = (podSpec: Record<string, unknown> = {}, spec: Record<string, unknown> = {}): DaemonSet =>
  ({
    metadata: { name: 'd' },
    spec: { selector: {}, template: { spec: { containers: [], ...podSpec } }, ...spec },
  }) as unknown as DaemonSet;
const run = (r: { shouldRun: boolean; shouldContinueRunning: boolean }) => [r.shouldRun, r.shouldContinueRunning];

describe('nodeShouldRunDaemonPod', () => {
  it('follows the nodeSelector, the template nodeName and required node affinity (labels and metadata.name)', () => {
    expect(run(nodeShouldRunDaemonPod(node('n1', { disk: 'ssd' }), ds({ nodeSelector: { disk: 'ssd' } })))).toEqual([true, true]);
    expect(run(nodeShouldRunDaemonPod(node('n1', { disk: 'hdd' }), ds({ nodeSelector: { disk: 'ssd' } })))).toEqual([false, false]);
    expect(run(nodeShouldRunDaemonPod(node('n1'), ds({ nodeName: 'n2' })))).toEqual([false, false]);
    const affinity = (terms: unknown[]) => ({ affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: terms } } } });
    const byZone = affinity([{ matchExpressions: [{ key: 'zone', operator: 'In', values: ['a', 'b'] }] }]);
    expect(run(nodeShouldRunDaemonPod(node('n1', { zone: 'b' }), ds(byZone)))).toEqual([true, true]);
    expect(run(nodeShouldRunDaemonPod(node('n1', { zone: 'c' }), ds(byZone)))).toEqual([false, false]);
    const byName = affinity([{ matchFields: [{ key: 'metadata.name', operator: 'NotIn', values: ['n1'] }] }]);
    expect(run(nodeShouldRunDaemonPod(node('n1'), ds(byName)))).toEqual([false, false]);
    expect(run(nodeShouldRunDaemonPod(node('n2'), ds(byName)))).toEqual([true, true]);
    // Terms are ORed; an empty term matches nothing.
    expect(run(nodeShouldRunDaemonPod(node('n1'), ds(affinity([{}, { matchExpressions: [{ key: 'zone', operator: 'DoesNotExist' }] }]))))).toEqual([
      true,
      true,
    ]);
  });

  it('weighs taints against the tolerations, the daemon ones included', () => {
    const tainted = (effect: string, key = 'k') => node('n1', {}, { taints: [{ key, effect }] });
    expect(run(nodeShouldRunDaemonPod(tainted('NoSchedule'), ds()))).toEqual([false, true]);
    expect(run(nodeShouldRunDaemonPod(tainted('NoExecute'), ds()))).toEqual([false, false]);
    expect(run(nodeShouldRunDaemonPod(tainted('PreferNoSchedule'), ds()))).toEqual([true, true]);
    expect(run(nodeShouldRunDaemonPod(tainted('NoExecute'), ds({ tolerations: [{ operator: 'Exists' }] })))).toEqual([true, true]);
    // Daemon Pods tolerate these by themselves.
    expect(run(nodeShouldRunDaemonPod(tainted('NoSchedule', 'node.kubernetes.io/unschedulable'), ds()))).toEqual([true, true]);
    expect(run(nodeShouldRunDaemonPod(tainted('NoExecute', 'node.kubernetes.io/not-ready'), ds()))).toEqual([true, true]);
    expect(run(nodeShouldRunDaemonPod(node('n1', {}, { unschedulable: true }), ds()))).toEqual([true, true]);
    expect(run(nodeShouldRunDaemonPod(tainted('NoSchedule', 'node.kubernetes.io/network-unavailable'), ds()))).toEqual([false, true]);
    expect(run(nodeShouldRunDaemonPod(tainted('NoSchedule', 'node.kubernetes.io/network-unavailable'), ds({ hostNetwork: true })))).toEqual([true, true]);
  });
});

describe('daemon Pod helpers', () => {
  it('adds the daemon tolerations once, replacing a same-key one', () => {
    const spec = { containers: [], tolerations: [{ key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 30 }] };
    addDaemonPodTolerations(spec);
    addDaemonPodTolerations(spec);
    expect(spec.tolerations).toHaveLength(6);
    expect(spec.tolerations[0]).toEqual({ key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute' });
  });

  it('ties a Pod to its node by node affinity, and reads the node back', () => {
    const spec = { containers: [], affinity: { nodeAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [] } } } as NonNullable<Pod['spec']>;
    replaceNodeNameAffinity(spec, 'n7');
    expect(spec.affinity!.nodeAffinity).toEqual({
      preferredDuringSchedulingIgnoredDuringExecution: [],
      requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: ['n7'] }] }] },
    });
    expect(targetNodeName({ metadata: {}, spec } as Pod)).toBe('n7');
    expect(targetNodeName({ metadata: {}, spec: { ...spec, nodeName: 'n8' } } as Pod)).toBe('n8');
  });

  it('tells updated Pods by hash or template generation', () => {
    const pod = (labels: Record<string, string>) => ({ metadata: { labels } }) as Pod;
    expect(isPodUpdated(pod({ 'controller-revision-hash': 'h2' }), 'h2', '1')).toBe(true);
    expect(isPodUpdated(pod({ 'pod-template-generation': '3' }), 'h2', '3')).toBe(true);
    expect(isPodUpdated(pod({ 'controller-revision-hash': 'h1', 'pod-template-generation': '1' }), 'h2', '2')).toBe(false);
  });

  it('scales maxUnavailable and maxSurge by the nodes that should run a Pod, percentages rounded up', () => {
    const rolling = (ru: Record<string, unknown>) => ds({}, { updateStrategy: { type: 'RollingUpdate', rollingUpdate: ru } });
    expect(unavailableCount(rolling({ maxUnavailable: '10%' }), 5)).toBe(1);
    expect(unavailableCount(rolling({ maxUnavailable: '50%' }), 5)).toBe(3);
    expect(unavailableCount(rolling({ maxUnavailable: 2 }), 5)).toBe(2);
    expect(surgeCount(rolling({ maxSurge: '20%' }), 7)).toBe(2);
    expect(surgeCount(ds({}, { updateStrategy: { type: 'OnDelete' } }), 7)).toBe(0);
  });
});
