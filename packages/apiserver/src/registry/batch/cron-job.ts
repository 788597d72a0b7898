/** CronJobs (upstream's pkg/registry/batch/cronjob/strategy.go). */
import { defaultCronJob } from '@minik8s/api';
import { validateCronJob } from '@minik8s/api/validation';
import { defineStrategy } from '../strategy.ts';

export const cronJobStrategy = defineStrategy('batch', 'CronJob', {
  defaults: defaultCronJob,
  validate: validateCronJob,
});
