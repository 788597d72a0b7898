/** The store contract (suite.ts) against a real etcd, the reference etcdlite follows. */
import { describeStoreContract } from './suite.ts';
import { etcdTarget } from './targets.ts';

describeStoreContract(etcdTarget);
