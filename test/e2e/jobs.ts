/**
 * Jobs with real containers on the compose cluster: parallel completions, an Indexed Job
 * whose Pods see their index, a failing Job that stops at its backoffLimit, and a
 * finished Job removed by its ttlSecondsAfterFinished. The compose cluster's Job back-off
 * starts at 1 s (MINIK8S_JOB_BACKOFF_DELAY). Registered by the suite that owns the cluster.
 */
import type { Job, Pod } from '@minik8s/api';
import { eventually } from '@minik8s/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Cluster, must, ON_CLUSTER } from './harness.ts';

const NS = 'jobs';
const JOBS = { group: 'batch', version: 'v1', plural: 'jobs', namespace: NS };
const PODS = { version: 'v1', plural: 'pods', namespace: NS };

const job = (name: string, spec: string, script: string) => `apiVersion: batch/v1
kind: Job
metadata: {name: ${name}, namespace: ${NS}}
spec:
${spec
  .split('\n')
  .map((l) => `  ${l}`)
  .join('\n')}
  template:
    spec:
      restartPolicy: Never
      terminationGracePeriodSeconds: 1
      containers:
      - name: main
        image: minik8s/busybox:latest
        imagePullPolicy: IfNotPresent
        command: [sh, -c, ${JSON.stringify(script)}]
`;

export function describeJobs(cluster: () => Cluster): void {
  const c = () => cluster();
  const kubectl = async (args: string[], input?: string) => {
    const r = await c().kubectl(args, input);
    if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')}: ${r.stderr}`);
    return r.stdout;
  };
  const apply = (yaml: string) => kubectl(['apply', '-f', '-'], yaml);
  const get = (name: string) => c().client.get<Job>({ ...JOBS, name });
  const podsOf = async (name: string) => (await c().client.list<Pod & { metadata: { name: string } }>(PODS, { labelSelector: `job-name=${name}` })).items;
  const wait = (name: string, condition: string) =>
    c()
      .kubectl(['wait', '-n', NS, `--for=condition=${condition}`, `job/${name}`, '--timeout=150s'])
      .then((r) => {
        if (r.code !== 0) throw new Error(`job/${name} never got ${condition}: ${r.stderr}`);
        return r.stdout;
      });
  describe('jobs', () => {
    beforeAll(async () => {
      await kubectl(['create', 'namespace', NS]);
    });
    afterAll(async () => {
      await c()?.kubectl(['delete', 'jobs', '--all', '-n', NS, '--cascade=foreground', '--timeout=60s']);
    });

    it('runs 3 completions 2 at a time to Complete', async () => {
      await apply(job('par', 'completions: 3\nparallelism: 2', 'echo working; sleep 2'));
      let maxActive = 0;
      const watch = setInterval(async () => {
        const pods = await podsOf('par').catch(() => []);
        maxActive = Math.max(maxActive, pods.filter((p) => p.status?.phase === 'Running' || p.status?.phase === 'Pending').length);
      }, 250);
      try {
        expect(await wait('par', 'complete')).toBe('job.batch/par condition met\n');
      } finally {
        clearInterval(watch);
      }
      const j = await get('par');
      expect(j.status).toMatchObject({ succeeded: 3 });
      expect(j.status?.completionTime).toBeDefined();
      expect(maxActive).toBeLessThanOrEqual(2);
      const pods = await podsOf('par');
      expect(pods.map((p) => p.status?.phase)).toEqual(['Succeeded', 'Succeeded', 'Succeeded']);
      expect(await kubectl(['logs', '-n', NS, pods[0]!.metadata.name])).toBe('working\n');
    });

    it('gives each Pod of an Indexed Job its index (env, hostname) and completes every index', async () => {
      await apply(job('idx', 'completions: 3\nparallelism: 3\ncompletionMode: Indexed', 'echo index=$JOB_COMPLETION_INDEX host=$(hostname)'));
      await wait('idx', 'complete');
      expect((await get('idx')).status).toMatchObject({ succeeded: 3, completedIndexes: '0-2' });
      const pods = await podsOf('idx');
      const seen = new Set<string>();
      for (const p of pods) {
        const ix = p.metadata.annotations?.['batch.kubernetes.io/job-completion-index'];
        expect(await kubectl(['logs', '-n', NS, p.metadata.name])).toBe(`index=${ix} host=idx-${ix}\n`);
        seen.add(ix!);
      }
      expect([...seen].sort()).toEqual(['0', '1', '2']);
    });

    it('stops a failing Job at its backoffLimit with condition Failed', async () => {
      await apply(job('fail', 'backoffLimit: 1', 'echo failing; exit 3'));
      await wait('fail', 'failed');
      const j = await get('fail');
      expect(j.status?.failed).toBe(2);
      expect(j.status?.conditions?.find((x) => x.type === 'Failed')).toMatchObject({ status: 'True', reason: 'BackoffLimitExceeded' });
      const pods = await podsOf('fail');
      expect(pods).toHaveLength(2);
      for (const p of pods) {
        expect(p.status?.phase).toBe('Failed');
        expect(p.status?.containerStatuses?.[0]?.state?.terminated?.exitCode).toBe(3);
      }
    });

    it('deletes a finished Job, its Pods and their containers after ttlSecondsAfterFinished', async () => {
      await apply(job('ttl', 'ttlSecondsAfterFinished: 3', 'true'));
      await wait('ttl', 'complete');
      await eventually(async () => (await c().kubectl(['get', 'job', 'ttl', '-n', NS])).code === 1, { ...ON_CLUSTER, message: 'the Job to go' });
      await eventually(async () => (await podsOf('ttl')).length === 0, { ...ON_CLUSTER, message: 'its Pods to go' });
      await eventually(
        async () => {
          const ids = (await must('docker', ['ps', '-aq', '--filter', 'label=io.kubernetes.pod.name', '--filter', `label=io.kubernetes.pod.namespace=${NS}`]))
            .stdout;
          const names = await Promise.all(
            ids
              .split('\n')
              .filter(Boolean)
              .map(async (id) => (await must('docker', ['inspect', '-f', '{{index .Config.Labels "io.kubernetes.pod.name"}}', id])).stdout.trim()),
          );
          return names.every((n) => !n.startsWith('ttl-'));
        },
        { ...ON_CLUSTER, message: 'its containers to go' },
      );
    });
  });
}
