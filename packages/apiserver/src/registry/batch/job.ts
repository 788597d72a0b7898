/**
 * Jobs (upstream's pkg/registry/batch/job/strategy.go): on create the selector and the
 * template's job-name and controller-uid labels are generated (unless manualSelector),
 * as upstream's Validate does; updates keep the selector, completion mode, pod failure
 * policy and template (see validateJobUpdate).
 */
import { defaultJob, type KubeObject } from '@minik8s/api';
import { generateJobSelector, validateJob, validateJobStatusUpdate, validateJobUpdate } from '@minik8s/api/validation';
import { type Any, ageColumn, containerImages, containerNames, humanDuration, joined, nameColumn } from '../printers.ts';
import { defineStrategy } from '../strategy.ts';

const hasCondition = (o: Any, type: string) => (o.status?.conditions ?? []).some((c: Any) => c.type === type && c.status === 'True');

/** The Status column of kubectl 1.32's Job printer. */
function jobStatus(o: Any): string {
  for (const t of ['Complete', 'Failed', 'FailureTarget', 'SuccessCriteriaMet', 'Suspended']) if (hasCondition(o, t)) return t;
  return o.metadata?.deletionTimestamp ? 'Terminating' : 'Running';
}

function duration(o: Any, now: Date): string {
  const start = o.status?.startTime;
  if (!start) return '';
  const end = o.status?.completionTime ? Date.parse(o.status.completionTime) : now.getTime();
  return humanDuration(end - Date.parse(start));
}

export const jobStrategy = defineStrategy('batch', 'Job', {
  defaults: defaultJob,
  validate: (o: KubeObject) => {
    // Upstream generates the selector here (it needs the uid create has just given).
    if (!o.metadata.resourceVersion) generateJobSelector(o);
    return validateJob(o);
  },
  validateUpdate: validateJobUpdate,
  validateStatusUpdate: validateJobStatusUpdate,
  columns: [
    nameColumn,
    { name: 'Status', cell: jobStatus },
    { name: 'Completions', cell: (o: Any) => `${o.status?.succeeded ?? 0}/${o.spec?.completions ?? 1}` },
    { name: 'Duration', cell: duration },
    ageColumn,
    { name: 'Containers', priority: 1, cell: containerNames },
    { name: 'Images', priority: 1, cell: containerImages },
    { name: 'Selector', priority: 1, cell: (o: Any) => joined(Object.entries(o.spec?.selector?.matchLabels ?? {}).map(([k, v]) => `${k}=${v}`)) },
  ],
});
