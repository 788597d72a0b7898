import { describe, expect, it } from 'vitest';
import { CycleState } from '../framework.ts';
import { makeNode, makePod, nodeInfo } from '../testing/fixtures.ts';
import { balancedAllocation } from './balanced-allocation.ts';
import { selectorSpread } from './selector-spread.ts';

describe('SelectorSpread', () => {
  const plugin = selectorSpread();
  const sibling = (name: string) => makePod().name(name).owner('rs-1').obj();

  it.each([
    { name: 'fewer siblings score higher', counts: [2, 1, 0], want: [0, 50, 100] },
    { name: 'no siblings anywhere: all equal', counts: [0, 0], want: [100, 100] },
    { name: 'even: all equal', counts: [1, 1], want: [0, 0] },
  ])('$name', ({ counts, want }) => {
    const pod = makePod().name('new').owner('rs-1').obj();
    const nodes = counts.map((c, i) =>
      nodeInfo(makeNode().name(`n${i}`).obj(), ...Array.from({ length: c }, (_, j) => sibling(`p${i}-${j}`)), makePod().name(`other${i}`).owner('rs-2').obj()),
    );
    const state = new CycleState();
    plugin.preScore!(state, pod, nodes);
    const scores = nodes.map((n) => plugin.score!(state, pod, n));
    expect(scores).toEqual(counts);
    plugin.normalizeScore!(state, pod, scores);
    expect(scores).toEqual(want);
  });

  it('a Pod without a controller is not spread', () => {
    const pod = makePod().obj();
    const nodes = [nodeInfo(makeNode().name('a').obj(), sibling('x')), nodeInfo(makeNode().name('b').obj())];
    const state = new CycleState();
    plugin.preScore!(state, pod, nodes);
    const scores = nodes.map((n) => plugin.score!(state, pod, n));
    plugin.normalizeScore!(state, pod, scores);
    expect(scores).toEqual([0, 0]);
  });

  it('siblings being deleted and in other namespaces do not count', () => {
    const pod = makePod().name('new').owner('rs-1').obj();
    const deleting = sibling('d');
    (deleting.metadata as { deletionTimestamp?: string }).deletionTimestamp = '2024-01-01T00:00:00Z';
    const n = nodeInfo(makeNode().name('a').obj(), deleting, makePod().name('o').namespace('other').owner('rs-1').obj());
    const state = new CycleState();
    plugin.preScore!(state, pod, [n]);
    expect(plugin.score!(state, pod, n)).toBe(0);
  });
});

describe('NodeResourcesBalancedAllocation', () => {
  const plugin = balancedAllocation();
  it('prefers the node where cpu and memory stay in proportion', () => {
    const pod = makePod().cpu('1').memory('1Gi').obj();
    const node = makeNode().name('a').cpu('4').memory('4Gi').obj();
    const balanced = plugin.score!(new CycleState(), pod, nodeInfo(node));
    const skewed = plugin.score!(new CycleState(), pod, nodeInfo(node, makePod().name('x').cpu('2').memory('100Mi').obj()));
    expect(balanced).toBe(100);
    expect(skewed).toBeLessThan(balanced);
  });
});
