/** The pure parts of a transaction: one compare against one value, and etcd's static checks of a request's shape. */
import { errors } from '../errors.ts';
import type { Compare, KeyValue, RequestOp, TxnRequest } from '../types.ts';
import { EMPTY } from './batch.ts';
import { type BinKey, interval, type KeyInterval, overlaps, toBin } from './key-range.ts';

export function compareOne(c: Compare, kv: KeyValue): boolean {
  let cmp: number;
  switch (c.target) {
    case 'VALUE':
      cmp = Buffer.compare(kv.value, c.value ?? EMPTY);
      break;
    case 'VERSION':
      cmp = kv.version - (c.version ?? 0);
      break;
    case 'CREATE':
      cmp = kv.createRevision - (c.createRevision ?? 0);
      break;
    case 'MOD':
      cmp = kv.modRevision - (c.modRevision ?? 0);
      break;
    case 'LEASE': {
      const want = c.lease ?? 0n;
      cmp = kv.lease === want ? 0 : kv.lease > want ? 1 : -1;
      break;
    }
  }
  switch (c.result) {
    case 'EQUAL':
      return cmp === 0;
    case 'NOT_EQUAL':
      return cmp !== 0;
    case 'GREATER':
      return cmp > 0;
    case 'LESS':
      return cmp < 0;
  }
}

/**
 * etcd's static txn checks: at most maxOps operations per branch, no empty keys, and in
 * each branch no key put twice or both put and deleted.
 */
export function checkTxnShape(req: TxnRequest, maxOps: number): void {
  if (req.compare.length > maxOps || req.success.length > maxOps || req.failure.length > maxOps) {
    throw errors.tooManyOps();
  }
  for (const c of req.compare) if (c.key.length === 0) throw errors.emptyKey();
  for (const branch of [req.success, req.failure]) {
    const puts = new Set<BinKey>();
    const deletes: KeyInterval[] = [];
    collectWrites(branch, puts, deletes, maxOps);
    for (const p of puts) {
      const iv: KeyInterval = { start: p, end: null };
      if (deletes.some((d) => overlaps(d, iv))) throw errors.duplicateKey();
    }
  }
}

function collectWrites(ops: RequestOp[], puts: Set<BinKey>, deletes: KeyInterval[], maxOps: number): void {
  for (const op of ops) {
    if ('put' in op) {
      if (op.put.key.length === 0) throw errors.emptyKey();
      if (op.put.ignoreValue && op.put.value && op.put.value.length > 0) throw errors.valueProvided();
      if (op.put.ignoreLease && op.put.lease && op.put.lease !== 0n) throw errors.leaseProvided();
      const k = toBin(op.put.key);
      if (puts.has(k)) throw errors.duplicateKey();
      puts.add(k);
    } else if ('deleteRange' in op) {
      if (op.deleteRange.key.length === 0) throw errors.emptyKey();
      deletes.push(interval(op.deleteRange.key, op.deleteRange.rangeEnd));
    } else if ('range' in op) {
      if (op.range.key.length === 0) throw errors.emptyKey();
    } else {
      checkTxnShape(op.txn, maxOps);
      // A nested branch writes in its parent's revision: check it against the parent's
      // writes so far, then count both branches' writes for the operations after it.
      const failurePuts = new Set(puts);
      const failureDeletes = [...deletes];
      collectWrites(op.txn.success, puts, deletes, maxOps);
      collectWrites(op.txn.failure, failurePuts, failureDeletes, maxOps);
      for (const p of failurePuts) puts.add(p);
      deletes.push(...failureDeletes);
    }
  }
}
