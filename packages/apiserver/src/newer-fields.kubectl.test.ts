/**
 * The stock kubectl 1.32 sends and explains the fields of Kubernetes 1.28–1.32, which the
 * API server's schemas know.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApiServer, type TestApiServer } from './testing/cluster.ts';

const SIDECAR_POD = `apiVersion: v1
kind: Pod
metadata: {name: with-sidecar}
spec:
  initContainers:
  - name: proxy
    image: busybox
    restartPolicy: Always
    startupProbe: {exec: {command: ["true"]}}
  containers:
  - name: app
    image: busybox
`;

const JOB = `apiVersion: batch/v1
kind: Job
metadata: {name: indexed}
spec:
  completionMode: Indexed
  completions: 3
  parallelism: 3
  podReplacementPolicy: Failed
  successPolicy:
    rules: [{succeededIndexes: "0-1", succeededCount: 1}]
  managedBy: example.com/queue
  template:
    spec:
      restartPolicy: Never
      containers: [{name: c, image: busybox}]
`;

describe('Kubernetes 1.32 fields through kubectl', () => {
  let s: TestApiServer;
  beforeAll(async () => {
    s = await startTestApiServer();
  });
  afterAll(async () => {
    await s?.close();
  });

  it('creates a Job from a CronJob (kubectl create job --from)', async () => {
    const cron = await s.kubectl(['create', 'cronjob', 'y', '--image=busybox', '--schedule=*/5 * * * *']);
    expect(cron.stderr).toBe('');
    expect(cron.code).toBe(0);
    const made = await s.kubectl(['create', 'job', 'x', '--from=cronjob/y']);
    expect(made.stderr).toBe('');
    expect(made.stdout.trim()).toBe('job.batch/x created');
    const job = JSON.parse((await s.kubectl(['get', 'job', 'x', '-o', 'json'])).stdout);
    expect(job.metadata.ownerReferences).toMatchObject([{ kind: 'CronJob', name: 'y', controller: true }]);
    expect(job.spec.template.spec.containers).toMatchObject([{ name: 'y', image: 'busybox' }]);
  });

  it('accepts a native sidecar under strict validation and keeps its restartPolicy', async () => {
    const applied = await s.kubectl(['apply', '--validate=strict', '-f', '-'], { input: SIDECAR_POD });
    expect(applied.stderr).toBe('');
    expect(applied.stdout.trim()).toBe('pod/with-sidecar created');
    const pod = JSON.parse((await s.kubectl(['get', 'pod', 'with-sidecar', '-o', 'json'])).stdout);
    expect(pod.spec.initContainers[0]).toMatchObject({ name: 'proxy', restartPolicy: 'Always', startupProbe: { exec: { command: ['true'] } } });
  });

  it('refuses restartPolicy where only a sidecar may have it, with upstream messages', async () => {
    const onApp = SIDECAR_POD.replace('with-sidecar', 'bad-app').replace(
      '  - name: app\n    image: busybox\n',
      '  - name: app\n    image: busybox\n    restartPolicy: Always\n',
    );
    const app = await s.kubectl(['apply', '-f', '-'], { input: onApp });
    expect(app.code).toBe(1);
    expect(app.stderr).toContain('spec.containers[0].restartPolicy: Forbidden: may not be set for non-init containers');
    const never = await s.kubectl(['apply', '-f', '-'], {
      input: SIDECAR_POD.replace('with-sidecar', 'bad-init').replace('restartPolicy: Always', 'restartPolicy: Never'),
    });
    expect(never.code).toBe(1);
    expect(never.stderr).toContain('spec.initContainers[0].restartPolicy: Unsupported value: "Never": supported values: "Always"');
    expect(never.stderr).toContain('spec.initContainers[0].startupProbe: Forbidden: may not be set for init containers without restartPolicy=Always');
  });

  it('accepts the Job fields of 1.28–1.32 under strict validation', async () => {
    const applied = await s.kubectl(['apply', '--validate=strict', '-f', '-'], { input: JOB });
    expect(applied.stderr).toBe('');
    expect(applied.stdout.trim()).toBe('job.batch/indexed created');
    const job = JSON.parse((await s.kubectl(['get', 'job', 'indexed', '-o', 'json'])).stdout);
    expect(job.spec).toMatchObject({
      podReplacementPolicy: 'Failed',
      successPolicy: { rules: [{ succeededIndexes: '0-1', succeededCount: 1 }] },
      managedBy: 'example.com/queue',
    });
  });

  it('re-applies a Deployment with a sidecar and new fields through a strategic merge patch', async () => {
    const deployment = (image: string) => `apiVersion: apps/v1
kind: Deployment
metadata: {name: meshed}
spec:
  selector: {matchLabels: {app: meshed}}
  template:
    metadata: {labels: {app: meshed}}
    spec:
      initContainers:
      - {name: proxy, image: ${image}, restartPolicy: Always}
      containers:
      - name: app
        image: busybox
        lifecycle: {preStop: {sleep: {seconds: 3}}}
      affinity:
        podAntiAffinity:
          preferredDuringSchedulingIgnoredDuringExecution:
          - weight: 1
            podAffinityTerm: {topologyKey: kubernetes.io/hostname, labelSelector: {matchLabels: {app: meshed}}, matchLabelKeys: [pod-template-hash]}
`;
    expect((await s.kubectl(['apply', '-f', '-'], { input: deployment('envoy:1') })).stderr).toBe('');
    const again = await s.kubectl(['apply', '-f', '-'], { input: deployment('envoy:2') });
    expect(again.stderr).toBe('');
    expect(again.stdout.trim()).toBe('deployment.apps/meshed configured');
    const spec = JSON.parse((await s.kubectl(['get', 'deploy', 'meshed', '-o', 'json'])).stdout).spec.template.spec;
    expect(spec.initContainers).toMatchObject([{ name: 'proxy', image: 'envoy:2', restartPolicy: 'Always' }]);
    expect(spec.containers[0].lifecycle).toEqual({ preStop: { sleep: { seconds: 3 } } });
    expect(spec.affinity.podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution[0].podAffinityTerm.matchLabelKeys).toEqual(['pod-template-hash']);
  });

  it('still refuses an unknown field under strict validation', async () => {
    const bogus = SIDECAR_POD.replace('with-sidecar', 'bogus').replace('restartPolicy: Always', 'restartPolicy: Always\n    restartPolicyy: Always');
    const refused = await s.kubectl(['apply', '--validate=strict', '-f', '-'], { input: bogus });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('strict decoding error: unknown field "spec.initContainers[0].restartPolicyy"');
    expect((await s.kubectl(['get', 'pod', 'bogus'])).code).toBe(1);
  });

  it('explains the new fields', async () => {
    const sidecar = await s.kubectl(['explain', 'pod.spec.initContainers.restartPolicy']);
    expect(sidecar.stderr).toBe('');
    expect(sidecar.stdout).toMatch(/FIELD: restartPolicy <string>/);
    expect(sidecar.stdout).toMatch(/"sidecar"/);
    const replacement = await s.kubectl(['explain', 'job.spec.podReplacementPolicy']);
    expect(replacement.stdout).toMatch(/podReplacementPolicy specifies when to create replacement Pods/);
    const rules = await s.kubectl(['explain', 'job.spec.successPolicy.rules']);
    expect(rules.stdout).toMatch(/FIELD: rules <\[\]SuccessPolicyRule>/);
    expect(rules.stdout).toMatch(/succeededIndexes\s+<string>/);
  });
});
