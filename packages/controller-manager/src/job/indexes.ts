/**
 * Completion indexes of Indexed Jobs (upstream's indexed_job_utils.go): the compressed
 * interval text `status.completedIndexes` uses ("1,3-5,7"), and the index a Pod carries.
 */
import type { Pod } from '@minik8s/api';
import { JOB_LABELS } from '@minik8s/api/validation';

/** The Pod's completion index (annotation, else label), or undefined. */
export function completionIndex(p: Pod): number | undefined {
  const raw = p.metadata?.annotations?.[JOB_LABELS.completionIndex] ?? p.metadata?.labels?.[JOB_LABELS.completionIndex];
  if (raw === undefined || !/^(0|[1-9][0-9]*)$/.test(raw)) return undefined;
  const n = Number(raw);
  return Number.isSafeInteger(n) ? n : undefined;
}

/** "1,3-5" → {1,3,4,5}; indexes at or past `completions` and unreadable parts are dropped. */
export function parseIndexes(text: string | undefined, completions: number): Set<number> {
  const out = new Set<number>();
  for (const part of (text ?? '').split(',')) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part.trim());
    if (!m) continue;
    const from = Number(m[1]);
    const to = Math.min(m[2] === undefined ? from : Number(m[2]), completions - 1);
    for (let i = from; i <= to; i++) out.add(i);
  }
  return out;
}

/** {1,3,4,5} → "1,3-5": ascending, runs of consecutive indexes as `first-last`. */
export function formatIndexes(indexes: Iterable<number>): string {
  const sorted = [...new Set(indexes)].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < sorted.length; ) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j]! + 1) j++;
    parts.push(j === i ? `${sorted[i]}` : `${sorted[i]}-${sorted[j]}`);
    i = j + 1;
  }
  return parts.join(',');
}

/** The lowest `count` indexes below `completions` that are neither done nor running. */
export function pendingIndexes(completions: number, done: Set<number>, running: Set<number>, count: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < completions && out.length < count; i++) if (!done.has(i) && !running.has(i)) out.push(i);
  return out;
}
