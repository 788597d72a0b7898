/**
 * Automatic compaction, with etcd's two policies:
 * - periodic: keep `retention` milliseconds of history (sampled every retention/10);
 * - revision: keep the last `retention` revisions (checked every 5 minutes by default).
 */
import type { Logger } from 'pino';
import type { Store } from './store.ts';

export interface AutoCompactionOptions {
  mode: 'periodic' | 'revision';
  /** Milliseconds (periodic) or revisions (revision). */
  retention: number;
  /** How often to look; defaults as etcd: retention/10 (at most 1 h) or 5 minutes. */
  intervalMs?: number;
}

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Reads etcd's flags: `--auto-compaction-mode periodic|revision --auto-compaction-retention 1h|1000`. */
export function parseAutoCompaction(mode: string, retention: string): AutoCompactionOptions {
  if (mode === 'revision') {
    const n = Number(retention);
    if (!Number.isInteger(n) || n <= 0) throw new Error(`--auto-compaction-retention: "${retention}" is not a positive revision count`);
    return { mode, retention: n };
  }
  if (mode !== 'periodic') throw new Error(`--auto-compaction-mode: "${mode}" is not periodic or revision`);
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(retention.trim());
  if (!m) throw new Error(`--auto-compaction-retention: "${retention}" is not a duration like 1h, 30m or 10s`);
  // A bare number means hours, as in etcd.
  const ms = Number(m[1]) * UNITS[m[2] ?? 'h']!;
  if (ms <= 0) throw new Error('--auto-compaction-retention must be positive');
  return { mode, retention: ms };
}

export class AutoCompactor {
  private readonly samples: Array<{ at: number; rev: number }> = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly store: Store,
    private readonly o: AutoCompactionOptions,
    private readonly logger: Logger,
    private readonly now: () => number = Date.now,
  ) {}

  get intervalMs(): number {
    if (this.o.intervalMs) return this.o.intervalMs;
    return this.o.mode === 'revision' ? 5 * 60_000 : Math.min(Math.max(this.o.retention / 10, 1000), 3_600_000);
  }

  start(): void {
    this.sample();
    this.timer = setInterval(() => void this.tick(), this.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private sample(): void {
    this.samples.push({ at: this.now(), rev: this.store.revision });
  }

  /** One look: compact if the policy allows a newer compaction revision. */
  async tick(): Promise<number | undefined> {
    let target: number | undefined;
    if (this.o.mode === 'revision') {
      target = this.store.revision - this.o.retention;
    } else {
      this.sample();
      const cutoff = this.now() - this.o.retention;
      while (this.samples.length > 1 && this.samples[1]!.at <= cutoff) this.samples.shift();
      const oldest = this.samples[0]!;
      if (oldest.at <= cutoff) target = oldest.rev;
    }
    if (target === undefined || target <= this.store.compactRevision || target > this.store.revision) return undefined;
    try {
      await this.store.compact(target);
      this.logger.info({ revision: target, mode: this.o.mode }, 'auto-compacted');
      return target;
    } catch (err) {
      this.logger.warn({ err, revision: target }, 'auto-compaction failed');
      return undefined;
    }
  }
}
