/**
 * The background half of a write: committed batches go into LevelDB in commit order,
 * gathered for a few milliseconds so that fewer, larger LevelDB writes leave the CPU and
 * the disk to the synced WAL writes that clients wait for. Until LevelDB has a record,
 * readers find its value here, in memory.
 */
import type { Level } from 'level';
import { errors } from '../errors.ts';
import type { RevisionRef } from '../kv-index.ts';
import type { KeyValue } from '../types.ts';
import { type Applying, refId } from './batch.ts';
import { decodeEvent, eventKey, u64, WALSEQ_KEY } from './record.ts';
import type { Wal } from './wal.ts';

/** How long committed batches gather before they are written to LevelDB together. */
const APPLY_DELAY_MS = 5;

export class LevelApplier {
  /** Event records committed to the WAL but not yet in LevelDB, by revision. */
  private readonly unapplied = new Map<string, KeyValue>();
  private queue: Applying[] = [];
  private applying: Promise<void> | undefined;
  private appliedRev = 1;
  private waiters: Array<{ rev: number; resolve: () => void }> = [];
  private stopped = false;

  constructor(
    private readonly db: Level<Buffer, Buffer>,
    private readonly wal: Wal,
    /** The last WAL record LevelDB holds. */
    private appliedSeq: number,
    /** Called when a LevelDB write fails; the store then stops (see `stop`). */
    private readonly onFail: (err: unknown) => void,
  ) {}

  /** Keeps a record's value readable until LevelDB has it; returns its name for `Applying.refs`. */
  remember(main: number, sub: number, kv: KeyValue): string {
    const id = refId(main, sub);
    this.unapplied.set(id, kv);
    return id;
  }

  /** Hands a committed batch to LevelDB, in commit order, without waiting for it. */
  apply(a: Applying): void {
    this.queue.push(a);
    this.schedule();
  }

  private schedule(): void {
    this.applying ??= new Promise<void>((r) => setTimeout(r, APPLY_DELAY_MS))
      .then(() => this.drain())
      .finally(() => {
        this.applying = undefined;
        if (this.queue.length > 0 && !this.stopped) this.schedule();
      });
  }

  private async drain(): Promise<void> {
    while (this.queue.length > 0 && !this.stopped) {
      const items = this.queue.splice(0);
      const last = items[items.length - 1]!;
      const ops = items.flatMap((a) => a.ops);
      ops.push({ type: 'put', key: WALSEQ_KEY, value: u64(last.seq) });
      try {
        await this.db.batch(ops);
        // A full WAL segment can go once LevelDB has its records on disk.
        if (this.wal.hasReleasable(last.seq)) {
          await this.db.put(WALSEQ_KEY, u64(last.seq), { sync: true });
          await this.wal.release(last.seq);
        }
      } catch (e) {
        this.onFail(e);
        return;
      }
      this.appliedSeq = last.seq;
      this.appliedRev = last.revision;
      for (const a of items) for (const r of a.refs) this.unapplied.delete(r);
      const ready = this.waiters.filter((w) => w.rev <= this.appliedRev);
      this.waiters = this.waiters.filter((w) => w.rev > this.appliedRev);
      for (const w of ready) w.resolve();
    }
  }

  /** Resolves once LevelDB holds every write up to `rev`. */
  whenApplied(rev: number): Promise<void> {
    if (this.appliedRev >= rev || this.queue.length + (this.applying ? 1 : 0) === 0) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ rev, resolve }));
  }

  /** Turns revision references into values, from records not yet applied or from disk. */
  async resolve(found: Array<KeyValue | RevisionRef>): Promise<KeyValue[]> {
    const missing: number[] = [];
    const out = found.map((f, i) => {
      if ('key' in f) return f;
      const p = this.unapplied.get(refId(f.main, f.sub));
      if (p) return p;
      missing.push(i);
      return undefined;
    });
    if (missing.length > 0) {
      const recs = await this.db.getMany(
        missing.map((i) => {
          const r = found[i] as RevisionRef;
          return eventKey(r.main, r.sub);
        }),
      );
      missing.forEach((i, j) => {
        const rec = recs[j];
        // Compacted away while we were reading: the reader asked for an old revision.
        if (!rec) throw errors.compacted();
        const r = found[i] as RevisionRef;
        out[i] = decodeEvent(eventKey(r.main, r.sub), rec).kv;
      });
    }
    return out as KeyValue[];
  }

  /** After a failed disk write: apply nothing more, and release everyone waiting. */
  stop(): void {
    this.stopped = true;
    for (const w of this.waiters.splice(0)) w.resolve();
  }

  /** Waits for LevelDB to have every committed batch, syncs it (the next open then has nothing to replay) and closes the WAL. */
  async close(): Promise<void> {
    while (this.applying) await this.applying;
    if (!this.stopped) await this.db.put(WALSEQ_KEY, u64(this.appliedSeq), { sync: true }).catch(() => {});
    this.wal.close();
  }
}
