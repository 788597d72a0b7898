/** The request size limit (limits.ts) against a real etcd, the reference. */
import { describeRequestLimits } from './limits.ts';
import { etcdTarget } from './targets.ts';

describeRequestLimits(etcdTarget);
