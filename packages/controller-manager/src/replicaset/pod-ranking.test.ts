import type { Pod } from '@minik8s/api';
import { describe, expect, it } from 'vitest';
import { podsToDelete } from './pod-ranking.ts';

const NOW = Date.parse('2026-01-01T12:00:00Z');
const ago = (s: number) => new Date(NOW - s * 1000).toISOString().replace(/\.\d+Z$/, 'Z');

function pod(name: string, o: { node?: string; phase?: string; ready?: number; created?: number; restarts?: number; cost?: number } = {}): Pod {
  return {
    metadata: {
      name,
      uid: name,
      creationTimestamp: ago(o.created ?? 100),
      ...(o.cost !== undefined ? { annotations: { 'controller.kubernetes.io/pod-deletion-cost': String(o.cost) } } : {}),
    },
    spec: { containers: [{ name: 'c' }], ...(o.node ? { nodeName: o.node } : {}) },
    status: {
      phase: o.phase ?? 'Running',
      conditions: o.ready !== undefined ? [{ type: 'Ready', status: 'True', lastTransitionTime: ago(o.ready) }] : [],
      containerStatuses: [{ name: 'c', restartCount: o.restarts ?? 0, ready: o.ready !== undefined, image: 'x', imageID: '' }],
    },
  };
}

const names = (ps: Pod[]) => ps.map((p) => p.metadata!.name);

describe('podsToDelete (upstream ActivePodsWithRanks)', () => {
  it.each([
    ['unscheduled before scheduled', [pod('a', { node: 'n1', ready: 50 }), pod('b')], 'b'],
    ['pending before running', [pod('a', { node: 'n1', phase: 'Running' }), pod('b', { node: 'n1', phase: 'Pending' })], 'b'],
    ['unknown before running', [pod('a', { node: 'n1', phase: 'Running' }), pod('b', { node: 'n1', phase: 'Unknown' })], 'b'],
    ['not ready before ready', [pod('a', { node: 'n1', ready: 50 }), pod('b', { node: 'n1' })], 'b'],
    ['lower deletion cost first', [pod('a', { node: 'n1', ready: 50, cost: 10 }), pod('b', { node: 'n1', ready: 50, cost: -5 })], 'b'],
    ['ready for less time first', [pod('a', { node: 'n1', ready: 5000 }), pod('b', { node: 'n1', ready: 10 })], 'b'],
    ['more restarts first', [pod('a', { node: 'n1', restarts: 1 }), pod('b', { node: 'n1', restarts: 4 })], 'b'],
    ['newer first', [pod('a', { node: 'n1', created: 5000 }), pod('b', { node: 'n1', created: 10 })], 'b'],
  ])('%s', (_what, pods, first) => {
    expect(names(podsToDelete(pods, pods, 1, NOW))).toEqual([first]);
  });

  it('prefers pods doubled up on a node', () => {
    const pods = [pod('alone', { node: 'n1', ready: 50 }), pod('crowded', { node: 'n2', ready: 50 }), pod('other', { node: 'n2', ready: 50 })];
    expect(names(podsToDelete(pods, pods, 1, NOW))[0]).not.toBe('alone');
  });

  it('compares ages in powers of two, then by uid', () => {
    const pods = [pod('b', { node: 'n1', created: 1000 }), pod('a', { node: 'n1', created: 1010 })];
    expect(names(podsToDelete(pods, pods, 1, NOW))).toEqual(['a']);
  });
});
