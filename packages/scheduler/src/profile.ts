/** A profile: the plugins built from a ProfileConfig, and how a cycle runs them. */

import type { Pod } from '@minik8s/api';
import { CycleState, isSuccess, MAX_NODE_SCORE, type Plugin, type Status, SUCCESS } from './framework.ts';
import type { NodeInfo } from './node-info.ts';
import { DEFAULT_PROFILE, defaultRegistry, type PluginFactory, type ProfileConfig } from './registry.ts';

export class Profile {
  readonly filters: Plugin[];
  readonly scores: Array<{ plugin: Plugin; weight: number }>;
  private readonly all: Plugin[];

  constructor(config: ProfileConfig = DEFAULT_PROFILE, registry: Readonly<Record<string, PluginFactory>> = defaultRegistry) {
    const built = new Map<string, Plugin>();
    const get = (name: string): Plugin => {
      let p = built.get(name);
      if (!p) {
        const f = registry[name];
        if (!f) throw new Error(`unknown scheduler plugin "${name}"`);
        p = f();
        built.set(name, p);
      }
      return p;
    };
    this.filters = config.filters.map(get);
    this.scores = config.scores.filter((s) => s.weight > 0).map((s) => ({ plugin: get(s.name), weight: s.weight }));
    for (const f of this.filters) if (!f.filter) throw new Error(`plugin "${f.name}" has no filter`);
    for (const s of this.scores) if (!s.plugin.score) throw new Error(`plugin "${s.plugin.name}" has no score`);
    this.all = [...built.values()];
  }

  newCycle(pod: Pod): CycleState {
    const state = new CycleState();
    for (const p of this.all) p.preFilter?.(state, pod);
    return state;
  }

  /** Runs the filters in order; the first that rejects the node answers. */
  runFilters(state: CycleState, pod: Pod, node: NodeInfo): Status {
    for (const p of this.filters) {
      const s = p.filter!(state, pod, node);
      if (!isSuccess(s)) return { ...s, plugin: p.name };
    }
    return SUCCESS;
  }

  /** The weighted sum of normalised scores, one per node (same order as `nodes`). */
  runScores(state: CycleState, pod: Pod, nodes: NodeInfo[]): number[] {
    const total = new Array<number>(nodes.length).fill(0);
    for (const { plugin, weight } of this.scores) {
      plugin.preScore?.(state, pod, nodes);
      const scores = nodes.map((n) => plugin.score!(state, pod, n));
      plugin.normalizeScore?.(state, pod, scores);
      for (let i = 0; i < nodes.length; i++) {
        const s = Math.max(0, Math.min(MAX_NODE_SCORE, scores[i] as number));
        total[i] = (total[i] as number) + s * weight;
      }
    }
    return total;
  }
}
