/**
 * A watch that starts at an old revision: the history from that revision up to the
 * current one, read back from the event log on disk and handed to the watcher in chunks
 * that never split a revision.
 */
import type { Level } from 'level';
import type { KvIndex } from '../kv-index.ts';
import type { Event, KeyValue } from '../types.ts';
import type { Watcher } from '../watch-hub.ts';
import type { LevelApplier } from './applier.ts';
import { tombstoneKv } from './batch.ts';
import { type BinKey, contains, type KeyInterval, toBin } from './key-range.ts';
import { decodeEvent, eventKey } from './record.ts';

export interface ReplayDeps {
  db: Level<Buffer, Buffer>;
  index: KvIndex;
  applier: LevelApplier;
  /** The committed revision now (each chunk's header). */
  revision(): number;
}

/** Replays the events of revisions `from`..`upTo` in `iv` to `w`, with each event's previous value when `prevKv`. */
export async function replayHistory(d: ReplayDeps, w: Watcher, iv: KeyInterval, from: number, upTo: number, prevKv: boolean): Promise<void> {
  const o = w.options;
  let chunk: Event[] = [];
  let lastMain = 0;
  await d.applier.whenApplied(upTo);
  const it = d.db.iterator({ gte: eventKey(from, 0), lt: eventKey(upTo + 1, 0) });
  try {
    for await (const [k, v] of it) {
      if (w.closed) return;
      const e = decodeEvent(k, v);
      const bin = toBin(e.kv.key);
      const type = e.tombstone ? 'DELETE' : 'PUT';
      if (type === 'PUT' ? o.noPut : o.noDelete) continue;
      if (!contains(iv, bin)) continue;
      // Never split one revision's events across two responses.
      if (chunk.length >= 1000 && e.main !== lastMain) {
        w.sink.events(chunk, d.revision());
        chunk = [];
      }
      lastMain = e.main;
      const kv: KeyValue = e.tombstone ? tombstoneKv(Buffer.from(e.kv.key), e.main) : { ...e.kv, key: Buffer.from(e.kv.key), value: Buffer.from(e.kv.value) };
      chunk.push({ type, kv, prevKv: prevKv ? await previous(d, bin, e.main, e.sub) : undefined });
    }
  } finally {
    await it.close();
  }
  if (chunk.length > 0 && !w.closed) w.sink.events(chunk, d.revision());
}

/** The key's value just before revision `main`.`sub`, if it had one and it is not compacted away. */
async function previous(d: ReplayDeps, k: BinKey, main: number, sub: number): Promise<KeyValue | undefined> {
  const h = d.index.history(k);
  const r = h && d.index.before(h, main, sub);
  if (!r || r.tombstone) return undefined;
  try {
    return (await d.applier.resolve([r]))[0];
  } catch {
    return undefined;
  }
}
