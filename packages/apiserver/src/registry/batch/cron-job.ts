/** CronJobs (upstream's pkg/registry/batch/cronjob/strategy.go, and printCronJob for the Table). */
import { defaultCronJob } from '@minik8s/api';
import { validateCronJob } from '@minik8s/api/validation';
import { type Any, ageColumn, humanDuration, joined, nameColumn } from '../printers.ts';
import { defineStrategy } from '../strategy.ts';

const templateContainers = (o: Any): Any[] => o.spec?.jobTemplate?.spec?.template?.spec?.containers ?? [];

export const cronJobStrategy = defineStrategy('batch', 'CronJob', {
  defaults: defaultCronJob,
  validate: validateCronJob,
  columns: [
    nameColumn,
    { name: 'Schedule', cell: (o: Any) => o.spec?.schedule ?? '' },
    { name: 'Timezone', cell: (o: Any) => o.spec?.timeZone ?? '<none>' },
    // printBoolPtr: a string, True / False / <unset>.
    {
      name: 'Suspend',
      type: 'boolean',
      cell: (o: Any) => (o.spec?.suspend === undefined || o.spec?.suspend === null ? '<unset>' : o.spec.suspend ? 'True' : 'False'),
    },
    { name: 'Active', type: 'integer', cell: (o: Any) => (o.status?.active ?? []).length },
    {
      name: 'Last Schedule',
      cell: (o: Any, now: Date) => (o.status?.lastScheduleTime ? humanDuration(now.getTime() - Date.parse(o.status.lastScheduleTime)) : '<none>'),
    },
    ageColumn,
    { name: 'Containers', priority: 1, cell: (o: Any) => joined(templateContainers(o).map((c: Any) => c.name)) },
    { name: 'Images', priority: 1, cell: (o: Any) => joined(templateContainers(o).map((c: Any) => c.image)) },
    {
      name: 'Selector',
      priority: 1,
      cell: (o: Any) =>
        o.spec?.jobTemplate?.spec?.selector
          ? joined(Object.entries(o.spec.jobTemplate.spec.selector.matchLabels ?? {}).map(([k, v]) => `${k}=${v}`))
          : '<none>',
    },
  ],
});
