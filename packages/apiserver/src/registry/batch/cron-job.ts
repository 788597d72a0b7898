/** CronJobs (upstream's pkg/registry/batch/cronjob/strategy.go). */
import { validateCronJob } from '@minik8s/api/validation';
import { defineStrategy } from '../strategy.ts';

export const cronJobStrategy = defineStrategy('batch', 'CronJob', { validate: validateCronJob });
