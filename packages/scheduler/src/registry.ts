/**
 * The plugin registry (name → factory) and the default profile: which filters run, in
 * which order, and which scores count with which weight (upstream's defaults, with
 * SelectorSpread standing in for PodTopologySpread's system-default spreading).
 */
import type { Plugin } from './framework.ts';
import { BALANCED_ALLOCATION, balancedAllocation } from './plugins/balanced-allocation.ts';
import { NODE_AFFINITY, nodeAffinity } from './plugins/node-affinity.ts';
import { NODE_NAME, nodeName } from './plugins/node-name.ts';
import { NODE_PORTS, nodePorts } from './plugins/node-ports.ts';
import { NODE_READY, nodeReady } from './plugins/node-ready.ts';
import { NODE_RESOURCES_FIT, nodeResourcesFit } from './plugins/node-resources-fit.ts';
import { NODE_UNSCHEDULABLE, nodeUnschedulable } from './plugins/node-unschedulable.ts';
import { SELECTOR_SPREAD, selectorSpread } from './plugins/selector-spread.ts';
import { TAINT_TOLERATION, taintToleration } from './plugins/taint-toleration.ts';

export type PluginFactory = () => Plugin;

export const defaultRegistry: Readonly<Record<string, PluginFactory>> = {
  [NODE_UNSCHEDULABLE]: nodeUnschedulable,
  [NODE_NAME]: nodeName,
  [TAINT_TOLERATION]: taintToleration,
  [NODE_READY]: nodeReady,
  [NODE_AFFINITY]: nodeAffinity,
  [NODE_PORTS]: nodePorts,
  [NODE_RESOURCES_FIT]: nodeResourcesFit,
  [BALANCED_ALLOCATION]: balancedAllocation,
  [SELECTOR_SPREAD]: selectorSpread,
};

export interface ProfileConfig {
  /** Filter plugins, in the order they run (a node fails at the first that rejects it). */
  filters: string[];
  /** Score plugins and their weights. */
  scores: Array<{ name: string; weight: number }>;
}

export const DEFAULT_PROFILE: Readonly<ProfileConfig> = {
  filters: [NODE_UNSCHEDULABLE, NODE_NAME, TAINT_TOLERATION, NODE_READY, NODE_AFFINITY, NODE_PORTS, NODE_RESOURCES_FIT],
  scores: [
    { name: TAINT_TOLERATION, weight: 3 },
    { name: NODE_AFFINITY, weight: 2 },
    { name: SELECTOR_SPREAD, weight: 2 },
    { name: NODE_RESOURCES_FIT, weight: 1 },
    { name: BALANCED_ALLOCATION, weight: 1 },
  ],
};
