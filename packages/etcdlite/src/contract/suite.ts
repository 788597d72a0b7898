/**
 * The store contract: one suite of cases, run against a real etcd (the reference, in
 * contract.etcd.test.ts) and against etcdlite (contract.test.ts), through the same client
 * the API server uses. Every case asserts
 * exact observable results: revisions, versions, counts, flags, error codes and messages.
 *
 * Each group below gets a fresh, empty server. Behaviours where etcdlite deliberately
 * differs from etcd (strict request validation) are tested in etcdlite's own suite.
 */
import { describe } from 'vitest';
import { kvCases } from './suite-kv.ts';
import { txnCases } from './suite-txn.ts';
import { watchCases } from './suite-watch.ts';
import type { StoreTarget } from './targets.ts';

/** Registers every case for one store, in a describe block named after it. */
export function describeStoreContract(target: StoreTarget): void {
  describe(`store contract: ${target.name}`, () => {
    kvCases(target);
    txnCases(target);
    watchCases(target);
  });
}
