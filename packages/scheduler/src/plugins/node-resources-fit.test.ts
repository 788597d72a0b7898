import { describe, expect, it } from 'vitest';
import { CycleState } from '../framework.ts';
import { makeNode, makePod, nodeInfo } from '../testing/fixtures.ts';
import { leastRequestedScore, nodeResourcesFit } from './node-resources-fit.ts';

const plugin = nodeResourcesFit();
const node = makeNode().name('n1').cpu('2').memory('4Gi').pods(3);

function filter(pod = makePod(), existing: ReturnType<typeof makePod>[] = [], n = node) {
  const p = pod.obj();
  const state = new CycleState();
  plugin.preFilter!(state, p);
  return plugin.filter!(state, p, nodeInfo(n.obj(), ...existing.map((e, i) => e.name(`e${i}`).obj())));
}

describe('NodeResourcesFit filter', () => {
  it.each([
    { name: 'fits in an empty node', pod: makePod().cpu('1').memory('1Gi'), existing: [], want: [] },
    { name: 'fits exactly', pod: makePod().cpu('1'), existing: [makePod().cpu('1')], want: [] },
    { name: 'short of cpu', pod: makePod().cpu('1500m'), existing: [makePod().cpu('1')], want: ['Insufficient cpu'] },
    { name: 'short of memory', pod: makePod().memory('3Gi'), existing: [makePod().memory('2Gi')], want: ['Insufficient memory'] },
    { name: 'short of both, every reason', pod: makePod().cpu('3').memory('5Gi'), existing: [], want: ['Insufficient cpu', 'Insufficient memory'] },
    { name: 'too many pods', pod: makePod(), existing: [makePod(), makePod(), makePod()], want: ['Too many pods'] },
    { name: 'too many pods and cpu', pod: makePod().cpu('3'), existing: [makePod(), makePod(), makePod()], want: ['Too many pods', 'Insufficient cpu'] },
    { name: 'a request-less pod always fits resources', pod: makePod(), existing: [makePod().cpu('2')], want: [] },
    { name: 'extended resources', pod: makePod().request('example.com/gpu', '1'), existing: [], want: ['Insufficient example.com/gpu'] },
    {
      name: 'init container max: a big init container counts alone',
      pod: makePod().cpu('500m').initContainer({ cpu: '2' }),
      existing: [],
      want: [],
    },
    {
      name: 'init container max: too big',
      pod: makePod().cpu('500m').initContainer({ cpu: '2500m' }),
      existing: [],
      want: ['Insufficient cpu'],
    },
    {
      name: 'sidecars add to the app containers',
      pod: makePod().cpu('1').initContainer({ cpu: '1500m' }, 'Always'),
      existing: [],
      want: ['Insufficient cpu'],
    },
    { name: 'limits stand in for missing requests', pod: makePod().container({}), existing: [], want: [] },
  ])('$name', ({ pod, existing, want }) => {
    expect(filter(pod, existing).reasons).toEqual(want);
    expect(filter(pod, existing).code).toBe(want.length ? 'Unschedulable' : 'Success');
  });

  it('a limit without a request counts as the request', () => {
    const p = makePod().obj();
    (p.spec!.containers[0] as { resources: object }).resources = { limits: { cpu: '3' } };
    const state = new CycleState();
    plugin.preFilter!(state, p);
    expect(plugin.filter!(state, p, nodeInfo(node.obj())).reasons).toEqual(['Insufficient cpu']);
  });
});

describe('NodeResourcesFit score (least allocated)', () => {
  it('leastRequestedScore as upstream', () => {
    expect(leastRequestedScore(0, 4000)).toBe(100);
    expect(leastRequestedScore(1000, 4000)).toBe(75);
    expect(leastRequestedScore(5000, 4000)).toBe(0);
    expect(leastRequestedScore(1, 0)).toBe(0);
  });

  it('prefers the emptier node, counting defaults for request-less pods', () => {
    const pod = makePod().cpu('1').memory('1Gi').obj();
    const state = new CycleState();
    plugin.preFilter!(state, pod);
    const big = makeNode().name('big').cpu('4').memory('8Gi').obj();
    const empty = plugin.score!(state, pod, nodeInfo(big));
    const busy = plugin.score!(state, pod, nodeInfo(big, makePod().name('x').cpu('2').memory('4Gi').obj()));
    const defaults = plugin.score!(state, pod, nodeInfo(big, makePod().name('y').obj()));
    expect(empty).toBe(Math.floor((75 + 87) / 2));
    expect(busy).toBeLessThan(empty);
    expect(defaults).toBeLessThan(empty);
  });
});
