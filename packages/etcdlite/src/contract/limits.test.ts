/** The request size limit (limits.ts) against etcdlite. */
import { describeRequestLimits } from './limits.ts';
import { etcdliteTarget } from './targets.ts';

describeRequestLimits(etcdliteTarget);
