/**
 * The Pod a Job creates (upstream's manageJob and indexed_job_utils.go): the template,
 * the job-tracking finalizer, a controller reference, and for Indexed Jobs the index as
 * annotation, label, JOB_COMPLETION_INDEX in every container and the hostname `<job>-<index>`.
 */
import type { Container, Job, KubeObject, Pod } from '@minik8s/api';
import { JOB_LABELS } from '@minik8s/api/validation';
import { newControllerRef } from '../internal/controller-ref.ts';

/** Upstream's batch.JobTrackingFinalizer: a finished Pod is counted before it can go. */
export const JOB_TRACKING_FINALIZER = 'batch.kubernetes.io/job-tracking';
export const JOB_KIND = { apiVersion: 'batch/v1', kind: 'Job' };
export const COMPLETION_INDEX_ENV = 'JOB_COMPLETION_INDEX';

export function newJobPod(job: Job, index?: number): Pod & KubeObject {
  const t = job.spec?.template ?? {};
  const name = job.metadata.name!;
  const labels = { ...(t.metadata?.labels ?? {}) };
  const annotations = { ...(t.metadata?.annotations ?? {}) };
  const spec = structuredClone(t.spec ?? { containers: [] });
  if (index !== undefined) {
    annotations[JOB_LABELS.completionIndex] = String(index);
    labels[JOB_LABELS.completionIndex] = String(index);
    for (const c of [...(spec.initContainers ?? []), ...spec.containers]) addIndexEnv(c);
    spec.hostname = `${name}-${index}`;
  }
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      generateName: index === undefined ? `${name}-` : `${name}-${index}-`,
      namespace: job.metadata.namespace,
      ...(Object.keys(labels).length ? { labels } : {}),
      ...(Object.keys(annotations).length ? { annotations } : {}),
      finalizers: [...(t.metadata?.finalizers ?? []).filter((f) => f !== JOB_TRACKING_FINALIZER), JOB_TRACKING_FINALIZER],
      ownerReferences: [newControllerRef(job, JOB_KIND)],
    },
    spec,
  };
}

function addIndexEnv(c: Container): void {
  if (c.env?.some((e) => e.name === COMPLETION_INDEX_ENV)) return;
  c.env = [
    ...(c.env ?? []),
    { name: COMPLETION_INDEX_ENV, valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: `metadata.annotations['${JOB_LABELS.completionIndex}']` } } },
  ];
}

export const hasTrackingFinalizer = (p: Pod) => p.metadata?.finalizers?.includes(JOB_TRACKING_FINALIZER) ?? false;
