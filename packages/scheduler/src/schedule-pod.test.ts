import { describe, expect, it } from 'vitest';
import { FitError } from './fit-error.ts';
import { Profile } from './profile.ts';
import { NoNodesAvailableError, schedulePod, selectHost } from './schedule-pod.ts';
import { makeNode, makePod, nodeInfo } from './testing/fixtures.ts';

const profile = new Profile();

function fail(pod: ReturnType<typeof makePod>, nodes: ReturnType<typeof nodeInfo>[]): string {
  try {
    schedulePod(profile, pod.obj(), nodes);
  } catch (e) {
    expect(e).toBeInstanceOf(FitError);
    return (e as Error).message;
  }
  throw new Error('scheduled');
}

describe('schedulePod', () => {
  const small = (name: string) => nodeInfo(makeNode().name(name).cpu('1').obj());

  it("fails with upstream's message, preemption part included", () => {
    expect(fail(makePod().cpu('2'), [small('a'), small('b')])).toBe(
      '0/2 nodes are available: 2 Insufficient cpu. preemption: 0/2 nodes are available: 2 No preemption victims found for incoming pod..',
    );
  });

  it('says preemption is not helpful where evicting cannot help', () => {
    const tainted = nodeInfo(makeNode().name('t').taint({ key: 'dedicated', value: 'gpu', effect: 'NoSchedule' }).obj());
    const cordoned = nodeInfo(makeNode().name('c').unschedulable().obj());
    expect(fail(makePod().cpu('2'), [small('a'), tainted, cordoned])).toBe(
      '0/3 nodes are available: 1 Insufficient cpu, 1 node(s) had untolerated taint {dedicated: gpu}, 1 node(s) were unschedulable. ' +
        'preemption: 0/3 nodes are available: 1 No preemption victims found for incoming pod, 2 Preemption is not helpful for scheduling..',
    );
  });

  it('names the reason that remains once lower-priority Pods would be gone', () => {
    const n = nodeInfo(makeNode().name('a').cpu('1').obj(), makePod().name('low').cpu('500m').priority(0).obj());
    expect(fail(makePod().cpu('2').priority(10), [n])).toBe(
      '0/1 nodes are available: 1 Insufficient cpu. preemption: 0/1 nodes are available: 1 Insufficient cpu..',
    );
  });

  it('a Pod that may not preempt says so', () => {
    const pod = makePod().cpu('2').obj();
    (pod.spec as { preemptionPolicy?: string }).preemptionPolicy = 'Never';
    expect(() => schedulePod(profile, pod, [small('a')])).toThrow(
      '0/1 nodes are available: 1 Insufficient cpu. preemption: not eligible due to preemptionPolicy=Never..',
    );
  });

  it('no nodes at all', () => {
    expect(() => schedulePod(profile, makePod().obj(), [])).toThrow(NoNodesAvailableError);
    expect(() => schedulePod(profile, makePod().obj(), [])).toThrow('no nodes available to schedule pods');
  });

  it('a node fails at the first filter that rejects it', () => {
    const n = nodeInfo(makeNode().name('a').cpu('1').unschedulable().obj());
    expect(fail(makePod().cpu('2'), [n])).toMatch(/^0\/1 nodes are available: 1 node\(s\) were unschedulable\. /);
  });

  it('picks the only feasible node', () => {
    const nodes = [small('a'), nodeInfo(makeNode().name('b').cpu('4').obj())];
    expect(schedulePod(profile, makePod().cpu('2').obj(), nodes)).toEqual({ node: 'b', evaluatedNodes: 2, feasibleNodes: 1 });
  });

  it('spreads siblings and prefers the emptier node', () => {
    const sibling = makePod().name('s').owner('rs').obj();
    const nodes = [nodeInfo(makeNode().name('a').obj(), sibling), nodeInfo(makeNode().name('b').obj())];
    expect(schedulePod(profile, makePod().name('p').owner('rs').obj(), nodes).node).toBe('b');
  });

  it('honours preferred node affinity over spreading of unrelated pods', () => {
    const nodes = [nodeInfo(makeNode().name('a').labels({ disk: 'ssd' }).obj(), makePod().name('x').cpu('1').obj()), nodeInfo(makeNode().name('b').obj())];
    const pod = makePod().affinity({
      preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 50, preference: { matchExpressions: [{ key: 'disk', operator: 'Exists' }] } }],
    });
    expect(schedulePod(profile, pod.obj(), nodes).node).toBe('a');
  });
});

describe('selectHost', () => {
  const nodes = ['a', 'b', 'c'].map((n) => nodeInfo(makeNode().name(n).obj()));
  it('takes the best score', () => {
    expect(selectHost(nodes, [1, 5, 3], () => 0)).toBe('b');
  });
  it('breaks ties at random among the best', () => {
    const seen = new Set<string>();
    for (const r of [0, 0.4, 0.99]) seen.add(selectHost(nodes, [5, 5, 5], () => r));
    expect(seen.size).toBeGreaterThan(1);
    expect(selectHost(nodes, [5, 1, 5], () => 0.99)).toBe('a');
  });
});
