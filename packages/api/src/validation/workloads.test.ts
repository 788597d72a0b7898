import { describe, expect, it } from 'vitest';
import { validateJob } from './job.ts';
import { validatePod } from './workloads.ts';

const pod = (spec: Record<string, unknown>) => ({ spec: { containers: [{ name: 'app', image: 'busybox' }], ...spec } });

describe('init containers and sidecars (restartPolicy on a container, 1.28+)', () => {
  it('lets an init container restart Always, with probes and hooks', () => {
    const sidecar = { name: 'proxy', image: 'envoy', restartPolicy: 'Always', readinessProbe: { exec: { command: ['true'] } }, lifecycle: {} };
    expect(validatePod(pod({ initContainers: [sidecar] }))).toEqual([]);
  });

  it('allows no other restart policy on an init container, and none on a regular one', () => {
    expect(validatePod(pod({ initContainers: [{ name: 'init', image: 'busybox', restartPolicy: 'OnFailure' }] }))).toEqual([
      {
        reason: 'FieldValueNotSupported',
        field: 'spec.initContainers[0].restartPolicy',
        message: 'Unsupported value: "OnFailure": supported values: "Always"',
      },
    ]);
    const job = { spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox', restartPolicy: 'Always' }] } } } };
    expect(validateJob(job)).toContainEqual({
      reason: 'FieldValueForbidden',
      field: 'spec.template.spec.containers[0].restartPolicy',
      message: 'Forbidden: may not be set for non-init containers',
    });
  });

  it('keeps probes and lifecycle hooks off plain init containers', () => {
    const init = { name: 'init', image: 'busybox', lifecycle: { postStart: { exec: { command: ['true'] } } }, livenessProbe: { exec: { command: ['true'] } } };
    expect(validatePod(pod({ initContainers: [init] })).map((c) => `${c.field}: ${c.message}`)).toEqual([
      'spec.initContainers[0].lifecycle: Forbidden: may not be set for init containers without restartPolicy=Always',
      'spec.initContainers[0].livenessProbe: Forbidden: may not be set for init containers without restartPolicy=Always',
    ]);
  });
});
