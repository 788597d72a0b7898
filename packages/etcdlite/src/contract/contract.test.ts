/** The store contract (suite.ts) against etcdlite. */
import { describeStoreContract } from './suite.ts';
import { etcdliteTarget } from './targets.ts';

describeStoreContract(etcdliteTarget);
