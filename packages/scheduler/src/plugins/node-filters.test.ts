import { describe, expect, it } from 'vitest';
import { CycleState, type Plugin } from '../framework.ts';
import { makeNode, makePod, type NodeBuilder, nodeInfo, type PodBuilder } from '../testing/fixtures.ts';
import { nodeName } from './node-name.ts';
import { nodePorts } from './node-ports.ts';
import { nodeReady } from './node-ready.ts';
import { nodeUnschedulable } from './node-unschedulable.ts';

function run(plugin: Plugin, pod: PodBuilder, node: NodeBuilder, existing: PodBuilder[] = []) {
  const p = pod.obj();
  const state = new CycleState();
  plugin.preFilter?.(state, p);
  const s = plugin.filter!(state, p, nodeInfo(node.obj(), ...existing.map((e, i) => e.name(`e${i}`).obj())));
  return s.code === 'Success' ? 'fits' : `${s.code}: ${s.reasons.join('; ')}`;
}

const n = () => makeNode().name('n1');

describe('NodeUnschedulable', () => {
  it.each([
    { name: 'schedulable node', pod: makePod(), node: n(), want: 'fits' },
    { name: 'cordoned node', pod: makePod(), node: n().unschedulable(), want: 'UnschedulableAndUnresolvable: node(s) were unschedulable' },
    {
      name: 'cordoned node, tolerated',
      pod: makePod().toleration({ key: 'node.kubernetes.io/unschedulable', operator: 'Exists', effect: 'NoSchedule' }),
      node: n().unschedulable(),
      want: 'fits',
    },
  ])('$name', ({ pod, node, want }) => expect(run(nodeUnschedulable(), pod, node)).toBe(want));
});

describe('NodeReady', () => {
  it.each([
    { name: 'ready', pod: makePod(), node: n(), want: 'fits' },
    { name: 'not ready', pod: makePod(), node: n().ready('False'), want: 'UnschedulableAndUnresolvable: node(s) were not ready' },
    { name: 'unknown', pod: makePod(), node: n().ready('Unknown'), want: 'UnschedulableAndUnresolvable: node(s) were not ready' },
    {
      name: 'not ready, tolerated',
      pod: makePod().toleration({ key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoSchedule' }),
      node: n().ready('False'),
      want: 'fits',
    },
    {
      name: 'NoExecute toleration (the 300 s default) is not enough',
      pod: makePod().toleration({ key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 }),
      node: n().ready('False'),
      want: 'UnschedulableAndUnresolvable: node(s) were not ready',
    },
  ])('$name', ({ pod, node, want }) => expect(run(nodeReady(), pod, node)).toBe(want));
});

describe('NodeName', () => {
  it.each([
    { name: 'no nodeName', pod: makePod(), want: 'fits' },
    { name: 'this node', pod: makePod().nodeName('n1'), want: 'fits' },
    { name: 'another node', pod: makePod().nodeName('n2'), want: "UnschedulableAndUnresolvable: node(s) didn't match the requested node name" },
  ])('$name', ({ pod, want }) => expect(run(nodeName(), pod, n())).toBe(want));
});

describe('NodePorts', () => {
  const conflict = "Unschedulable: node(s) didn't have free ports for the requested pod ports";
  it.each([
    { name: 'no host ports', pod: makePod(), existing: [makePod().hostPort(80)], want: 'fits' },
    { name: 'free port', pod: makePod().hostPort(81), existing: [makePod().hostPort(80)], want: 'fits' },
    { name: 'same port', pod: makePod().hostPort(80), existing: [makePod().hostPort(80)], want: conflict },
    { name: 'other protocol', pod: makePod().hostPort(53, 'UDP'), existing: [makePod().hostPort(53, 'TCP')], want: 'fits' },
    { name: 'different specific IPs', pod: makePod().hostPort(80, 'TCP', '10.0.0.1'), existing: [makePod().hostPort(80, 'TCP', '10.0.0.2')], want: 'fits' },
    { name: 'wildcard vs specific IP', pod: makePod().hostPort(80), existing: [makePod().hostPort(80, 'TCP', '10.0.0.2')], want: conflict },
    { name: 'specific IP vs wildcard', pod: makePod().hostPort(80, 'TCP', '10.0.0.1'), existing: [makePod().hostPort(80)], want: conflict },
  ])('$name', ({ pod, existing, want }) => expect(run(nodePorts(), pod, n(), existing)).toBe(want));
});
