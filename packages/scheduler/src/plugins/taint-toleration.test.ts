import type { Taint, Toleration } from '@minik8s/api';
import { describe, expect, it } from 'vitest';
import { CycleState } from '../framework.ts';
import { makeNode, makePod, nodeInfo } from '../testing/fixtures.ts';
import { taintToleration } from './taint-toleration.ts';

const plugin = taintToleration();

function filter(taints: Taint[], tolerations: Toleration[]) {
  let n = makeNode().name('n1');
  for (const t of taints) n = n.taint(t);
  let p = makePod();
  for (const t of tolerations) p = p.toleration(t);
  return plugin.filter!(new CycleState(), p.obj(), nodeInfo(n.obj()));
}

const dedicated: Taint = { key: 'dedicated', value: 'gpu', effect: 'NoSchedule' };

describe('TaintToleration filter', () => {
  it.each([
    { name: 'no taints', taints: [], tolerations: [], want: undefined },
    { name: 'untolerated NoSchedule', taints: [dedicated], tolerations: [], want: 'node(s) had untolerated taint {dedicated: gpu}' },
    { name: 'untolerated NoExecute', taints: [{ key: 'k', effect: 'NoExecute' }], tolerations: [], want: 'node(s) had untolerated taint {k: }' },
    { name: 'PreferNoSchedule does not filter', taints: [{ key: 'k', effect: 'PreferNoSchedule' }], tolerations: [], want: undefined },
    {
      name: 'Equal toleration',
      taints: [dedicated],
      tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'gpu', effect: 'NoSchedule' }],
      want: undefined,
    },
    { name: 'operator defaults to Equal', taints: [dedicated], tolerations: [{ key: 'dedicated', value: 'gpu' }], want: undefined },
    {
      name: 'Equal, other value',
      taints: [dedicated],
      tolerations: [{ key: 'dedicated', value: 'cpu' }],
      want: 'node(s) had untolerated taint {dedicated: gpu}',
    },
    { name: 'Exists toleration', taints: [dedicated], tolerations: [{ key: 'dedicated', operator: 'Exists' }], want: undefined },
    {
      name: 'empty key with Exists tolerates everything',
      taints: [dedicated, { key: 'x', effect: 'NoExecute' }],
      tolerations: [{ operator: 'Exists' }],
      want: undefined,
    },
    {
      name: 'effect must match',
      taints: [dedicated],
      tolerations: [{ key: 'dedicated', operator: 'Exists', effect: 'NoExecute' }],
      want: 'node(s) had untolerated taint {dedicated: gpu}',
    },
    {
      name: 'first untolerated taint is named',
      taints: [dedicated, { key: 'node.kubernetes.io/not-ready', effect: 'NoSchedule' }],
      tolerations: [{ key: 'dedicated', operator: 'Exists' }],
      want: 'node(s) had untolerated taint {node.kubernetes.io/not-ready: }',
    },
  ])('$name', ({ taints, tolerations, want }) => {
    const s = filter(taints as Taint[], tolerations as Toleration[]);
    if (want === undefined) expect(s.code).toBe('Success');
    else expect(s).toEqual({ code: 'UnschedulableAndUnresolvable', reasons: [want] });
  });
});

describe('TaintToleration score', () => {
  it('fewer untolerated PreferNoSchedule taints score higher', () => {
    const soft = (key: string): Taint => ({ key, effect: 'PreferNoSchedule' });
    const nodes = [makeNode().name('a').obj(), makeNode().name('b').taint(soft('x')).obj(), makeNode().name('c').taint(soft('x')).taint(soft('y')).obj()];
    const pod = makePod().toleration({ key: 'y', operator: 'Exists', effect: 'PreferNoSchedule' }).obj();
    const state = new CycleState();
    plugin.preScore!(state, pod, []);
    const scores = nodes.map((n) => plugin.score!(state, pod, nodeInfo(n)));
    expect(scores).toEqual([0, 1, 1]);
    plugin.normalizeScore!(state, pod, scores);
    expect(scores).toEqual([100, 0, 0]);
  });
});
