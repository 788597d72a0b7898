import { describe, expect, it } from 'vitest';
import { CycleState } from '../framework.ts';
import { makeNode, makePod, nodeInfo } from '../testing/fixtures.ts';
import { ERR_REASON_AFFINITY, nodeAffinity } from './node-affinity.ts';

const plugin = nodeAffinity();
const node = makeNode().name('n1').labels({ zone: 'a', disk: 'ssd', cores: '8' }).obj();

function fits(pod: ReturnType<typeof makePod>): boolean {
  const s = plugin.filter!(new CycleState(), pod.obj(), nodeInfo(node));
  if (s.code !== 'Success') expect(s).toMatchObject({ code: 'UnschedulableAndUnresolvable', reasons: [ERR_REASON_AFFINITY] });
  return s.code === 'Success';
}

describe('NodeAffinity filter', () => {
  it.each([
    { name: 'no constraints', pod: makePod(), want: true },
    { name: 'nodeSelector matches', pod: makePod().nodeSelector({ zone: 'a' }), want: true },
    { name: 'nodeSelector value differs', pod: makePod().nodeSelector({ zone: 'b' }), want: false },
    { name: 'nodeSelector key missing', pod: makePod().nodeSelector({ gpu: 'true' }), want: false },
    { name: 'In', pod: makePod().requireNode({ key: 'zone', operator: 'In', values: ['a', 'b'] }), want: true },
    { name: 'In, no match', pod: makePod().requireNode({ key: 'zone', operator: 'In', values: ['b'] }), want: false },
    { name: 'NotIn', pod: makePod().requireNode({ key: 'zone', operator: 'NotIn', values: ['b'] }), want: true },
    { name: 'NotIn, missing key matches', pod: makePod().requireNode({ key: 'x', operator: 'NotIn', values: ['b'] }), want: true },
    { name: 'NotIn, no match', pod: makePod().requireNode({ key: 'zone', operator: 'NotIn', values: ['a'] }), want: false },
    { name: 'Exists', pod: makePod().requireNode({ key: 'disk', operator: 'Exists' }), want: true },
    { name: 'DoesNotExist', pod: makePod().requireNode({ key: 'disk', operator: 'DoesNotExist' }), want: false },
    { name: 'Gt', pod: makePod().requireNode({ key: 'cores', operator: 'Gt', values: ['4'] }), want: true },
    { name: 'Gt, not greater', pod: makePod().requireNode({ key: 'cores', operator: 'Gt', values: ['8'] }), want: false },
    { name: 'Lt', pod: makePod().requireNode({ key: 'cores', operator: 'Lt', values: ['16'] }), want: true },
    { name: 'Lt, not a number', pod: makePod().requireNode({ key: 'zone', operator: 'Lt', values: ['16'] }), want: false },
    {
      name: 'expressions in a term are ANDed',
      pod: makePod().requireNode({ key: 'zone', operator: 'In', values: ['a'] }, { key: 'disk', operator: 'In', values: ['hdd'] }),
      want: false,
    },
    {
      name: 'terms are ORed',
      pod: makePod().affinity({
        requiredDuringSchedulingIgnoredDuringExecution: {
          nodeSelectorTerms: [
            { matchExpressions: [{ key: 'zone', operator: 'In', values: ['z'] }] },
            { matchExpressions: [{ key: 'disk', operator: 'Exists' }] },
          ],
        },
      }),
      want: true,
    },
    {
      name: 'an empty term matches nothing',
      pod: makePod().affinity({ requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{}] } }),
      want: false,
    },
    {
      name: 'matchFields metadata.name',
      pod: makePod().affinity({
        requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: ['n1'] }] }] },
      }),
      want: true,
    },
    {
      name: 'matchFields another name',
      pod: makePod().affinity({
        requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: ['n2'] }] }] },
      }),
      want: false,
    },
    {
      name: 'nodeSelector and affinity must both match',
      pod: makePod().nodeSelector({ zone: 'b' }).requireNode({ key: 'disk', operator: 'Exists' }),
      want: false,
    },
  ])('$name', ({ pod, want }) => {
    expect(fits(pod)).toBe(want);
  });
});

describe('NodeAffinity score', () => {
  it('sums the weights of matching preferred terms and normalises to 100', () => {
    const pod = makePod()
      .affinity({
        preferredDuringSchedulingIgnoredDuringExecution: [
          { weight: 10, preference: { matchExpressions: [{ key: 'zone', operator: 'In', values: ['a'] }] } },
          { weight: 30, preference: { matchExpressions: [{ key: 'disk', operator: 'In', values: ['ssd'] }] } },
        ],
      })
      .obj();
    const other = makeNode().name('n2').labels({ zone: 'a' }).obj();
    const state = new CycleState();
    const scores = [
      plugin.score!(state, pod, nodeInfo(node)),
      plugin.score!(state, pod, nodeInfo(other)),
      plugin.score!(state, pod, nodeInfo(makeNode().name('n3').obj())),
    ];
    expect(scores).toEqual([40, 10, 0]);
    plugin.normalizeScore!(state, pod, scores);
    expect(scores).toEqual([100, 25, 0]);
  });
});
