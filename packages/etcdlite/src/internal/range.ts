/** etcd's range over the key index at one revision: fetch, filter by revision bounds, sort, then cut to the limit. */
import { errors } from '../errors.ts';
import type { KvIndex, RevisionRef } from '../kv-index.ts';
import type { KeyValue, RangeRequest, RangeResponse } from '../types.ts';
import { EMPTY } from './batch.ts';
import { interval } from './key-range.ts';

/** Refuses a read revision that is negative, in the future, or compacted away; 0 (or none) means the current one. */
export function checkReadRevision(rev: number | undefined, current: number, compacted: number): void {
  if (rev === undefined || rev === 0) return;
  if (rev < 0) throw errors.negativeRevision();
  if (rev > current) throw errors.futureRevision();
  if (rev < compacted) throw errors.compacted();
}

/** `req` as of revision `rev`, answered with `headerRev`; `resolve` turns references to older values into values. */
export async function rangeAt(
  index: KvIndex,
  resolve: (found: Array<KeyValue | RevisionRef>) => Promise<KeyValue[]>,
  req: RangeRequest,
  rev: number,
  headerRev: number,
): Promise<RangeResponse> {
  const sortOrder = req.sortOrder ?? 'NONE';
  const sortTarget = req.sortTarget ?? 'KEY';
  const filtered = !!req.minModRevision || !!req.maxModRevision || !!req.minCreateRevision || !!req.maxCreateRevision;
  const reqLimit = req.limit ?? 0;
  const fetchLimit = sortOrder !== 'NONE' || filtered || reqLimit <= 0 ? 0 : reqLimit + 1;
  const found: Array<KeyValue | RevisionRef> = [];
  let count = 0;
  index.scan(interval(req.key, req.rangeEnd), (_k, h) => {
    const at = index.at(h, rev);
    if (!at) return true;
    count++;
    if (!req.countOnly && (fetchLimit === 0 || found.length < fetchLimit)) {
      found.push('kv' in at ? at.kv : at.ref);
    }
    return true;
  });
  let kvs = await resolve(found);
  if (filtered) {
    kvs = kvs.filter(
      (kv) =>
        (!req.minModRevision || kv.modRevision >= req.minModRevision) &&
        (!req.maxModRevision || kv.modRevision <= req.maxModRevision) &&
        (!req.minCreateRevision || kv.createRevision >= req.minCreateRevision) &&
        (!req.maxCreateRevision || kv.createRevision <= req.maxCreateRevision),
    );
  }
  const order = sortTarget !== 'KEY' && sortOrder === 'NONE' ? 'ASCEND' : sortOrder;
  if (order !== 'NONE' && !(order === 'ASCEND' && sortTarget === 'KEY')) {
    const cmp = comparator(sortTarget);
    kvs.sort(order === 'ASCEND' ? cmp : (a, b) => cmp(b, a));
  }
  let more = false;
  if (reqLimit > 0 && kvs.length > reqLimit) {
    kvs = kvs.slice(0, reqLimit);
    more = true;
  }
  if (req.keysOnly) kvs = kvs.map((kv) => ({ ...kv, value: EMPTY }));
  return { revision: headerRev, kvs, more, count };
}

function comparator(target: string): (a: KeyValue, b: KeyValue) => number {
  switch (target) {
    case 'VERSION':
      return (a, b) => a.version - b.version;
    case 'CREATE':
      return (a, b) => a.createRevision - b.createRevision;
    case 'MOD':
      return (a, b) => a.modRevision - b.modRevision;
    case 'VALUE':
      return (a, b) => Buffer.compare(a.value, b.value);
    default:
      return (a, b) => Buffer.compare(a.key, b.key);
  }
}
