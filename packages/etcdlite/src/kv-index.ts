/**
 * The in-memory key index (etcd's treeIndex): for every key, the revisions at which it
 * changed, and the latest value. Older values stay on disk only, so memory holds the live
 * data set plus a few numbers per revision of history (until compaction trims it).
 */
import BTreeModule from 'sorted-btree';
import type { BinKey, KeyInterval } from './internal/key-range.ts';
import type { KeyValue } from './types.ts';

// sorted-btree is CommonJS with `exports.default`; loaders differ on unwrapping it.
type BTreeClass = typeof BTreeModule.default;
const BTree: BTreeClass = (BTreeModule as unknown as { default?: BTreeClass }).default ?? (BTreeModule as unknown as BTreeClass);

/** The part of sorted-btree's BTree this index uses. */
interface SortedMap<K, V> {
  readonly size: number;
  get(k: K): V | undefined;
  set(k: K, v: V): boolean;
  delete(k: K): boolean;
  entries(lowestKey?: K): IterableIterator<[K, V]>;
  forEachPair(fn: (k: K, v: V) => void): number;
}

export interface RevisionRef {
  main: number;
  sub: number;
  tombstone: boolean;
}

export class KeyHistory {
  readonly revs: RevisionRef[] = [];
  /** The value at the last revision, or null when the last revision is a delete. */
  latest: KeyValue | null = null;
}

/** Where a key stood at some revision: a value in memory, or a revision to read from disk. */
export type AtRevision = { kv: KeyValue } | { ref: RevisionRef };

export class KvIndex {
  private readonly tree: SortedMap<BinKey, KeyHistory> = new BTree<BinKey, KeyHistory>();

  get keyCount(): number {
    return this.tree.size;
  }

  history(k: BinKey): KeyHistory | undefined {
    return this.tree.get(k);
  }

  /** The newest value of a key, including writes not yet committed. */
  latest(k: BinKey): KeyValue | null {
    return this.tree.get(k)?.latest ?? null;
  }

  put(k: BinKey, main: number, sub: number, kv: KeyValue): void {
    let h = this.tree.get(k);
    if (!h) {
      h = new KeyHistory();
      this.tree.set(k, h);
    }
    h.revs.push({ main, sub, tombstone: false });
    h.latest = kv;
  }

  tombstone(k: BinKey, main: number, sub: number): void {
    const h = this.tree.get(k);
    if (!h) return;
    h.revs.push({ main, sub, tombstone: true });
    h.latest = null;
  }

  /** Calls fn for every key in the interval, in key order, until fn returns false. */
  scan(iv: KeyInterval, fn: (k: BinKey, h: KeyHistory) => boolean | undefined): void {
    if (iv.end === null) {
      const h = this.tree.get(iv.start);
      if (h) fn(iv.start, h);
      return;
    }
    for (const [k, h] of this.tree.entries(iv.start)) {
      if (iv.end !== undefined && k >= iv.end) return;
      if (fn(k, h) === false) return;
    }
  }

  /** The key's state at `rev`, or null when it did not exist then. */
  at(h: KeyHistory, rev: number): AtRevision | null {
    const revs = h.revs;
    const last = revs[revs.length - 1];
    if (!last) return null;
    if (last.main <= rev) return last.tombstone ? null : { kv: h.latest! };
    const i = lastAtOrBefore(revs, rev);
    if (i < 0) return null;
    const r = revs[i]!;
    return r.tombstone ? null : { ref: r };
  }

  /** The revision of the key just before (main, sub), if any. */
  before(h: KeyHistory, main: number, sub: number): RevisionRef | null {
    const revs = h.revs;
    for (let i = revs.length - 1; i >= 0; i--) {
      const r = revs[i]!;
      if (r.main < main || (r.main === main && r.sub < sub)) return r;
    }
    return null;
  }

  /**
   * Forgets history at or below `rev`, keeping for each key its newest revision <= rev
   * unless that is a delete. Returns the revisions whose records can be removed from disk.
   */
  compact(rev: number): RevisionRef[] {
    const dropped: RevisionRef[] = [];
    const emptied: BinKey[] = [];
    this.tree.forEachPair((k, h) => {
      const revs = h.revs;
      if (revs[0]!.main > rev || (revs.length === 1 && !revs[0]!.tombstone)) return;
      const i = lastAtOrBefore(revs, rev);
      const keepFrom = revs[i]!.tombstone ? i + 1 : i;
      if (keepFrom === 0) return;
      dropped.push(...revs.splice(0, keepFrom));
      if (revs.length === 0) emptied.push(k);
    });
    for (const k of emptied) this.tree.delete(k);
    return dropped;
  }
}

function lastAtOrBefore(revs: RevisionRef[], rev: number): number {
  let lo = 0;
  let hi = revs.length - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (revs[mid]!.main <= rev) {
      found = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return found;
}
