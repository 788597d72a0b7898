/**
 * The scheduling framework, after kube-scheduler's: plugins are small objects with a
 * name and `filter()` and/or `score()` methods. A filter answers with a `Status` carrying
 * the reasons a node does not fit (they make up "0/2 nodes are available: ..."); a score
 * is a number that the plugin may normalise to 0-100 over all feasible nodes. Work a
 * plugin needs once per scheduling cycle goes in `preFilter` / `preScore`, kept in the
 * cycle's `CycleState`.
 */
import type { Pod } from '@minik8s/api';
import type { NodeInfo } from './node-info.ts';

export type Code = 'Success' | 'Unschedulable' | 'UnschedulableAndUnresolvable' | 'Error';

export interface Status {
  code: Code;
  reasons: string[];
  /** The plugin that answered (set by the framework). */
  plugin?: string;
}

export const SUCCESS: Status = Object.freeze({ code: 'Success', reasons: [] }) as Status;

/** The node does not fit now but might if other Pods went away (preemption could help). */
export function unschedulable(...reasons: string[]): Status {
  return { code: 'Unschedulable', reasons };
}

/** The node does not fit, and evicting Pods would not change that. */
export function unresolvable(...reasons: string[]): Status {
  return { code: 'UnschedulableAndUnresolvable', reasons };
}

export function isSuccess(s: Status): boolean {
  return s.code === 'Success';
}

/** Per-cycle state shared between a plugin's preFilter/preScore and its filter/score. */
export class CycleState {
  private readonly data = new Map<string, unknown>();
  read<T>(key: string): T | undefined {
    return this.data.get(key) as T | undefined;
  }
  write(key: string, value: unknown): void {
    this.data.set(key, value);
  }
}

export const MAX_NODE_SCORE = 100;

export interface Plugin {
  readonly name: string;
  preFilter?(state: CycleState, pod: Pod): void;
  filter?(state: CycleState, pod: Pod, node: NodeInfo): Status;
  preScore?(state: CycleState, pod: Pod, nodes: NodeInfo[]): void;
  score?(state: CycleState, pod: Pod, node: NodeInfo): number;
  /** Rescales `scores` (one per node, same order) to 0-100, in place. */
  normalizeScore?(state: CycleState, pod: Pod, scores: number[]): void;
}

/**
 * Upstream's DefaultNormalizeScore: scales so the highest score is 100 (or, `reverse`,
 * so the highest becomes 0 and the lowest 100).
 */
export function defaultNormalizeScore(scores: number[], reverse: boolean): void {
  const max = Math.max(0, ...scores);
  for (let i = 0; i < scores.length; i++) {
    if (max === 0) {
      scores[i] = reverse ? MAX_NODE_SCORE : 0;
      continue;
    }
    const s = Math.floor(((scores[i] as number) * MAX_NODE_SCORE) / max);
    scores[i] = reverse ? MAX_NODE_SCORE - s : s;
  }
}
