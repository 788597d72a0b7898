/**
 * Jobs as the stock kubectl sees them: `kubectl wait --for=condition=complete|failed`
 * returns once the Job controller (in-process, with a stand-in kubelet) sets the condition.
 */
import type { Job } from '@minik8s/api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JOBS, refTo } from '../internal/resources.ts';
import { createNamespace, type Harness, jobKubelet, startHarness } from '../testing/harness.ts';

const NS = 'jobs-kubectl';

const manifest = (name: string, extra = '') => `apiVersion: batch/v1
kind: Job
metadata:
  name: ${name}
  namespace: ${NS}
spec:
  backoffLimit: 0${extra}
  template:
    metadata:
      labels:
        exit: "${name.startsWith('bad') ? 1 : 0}"
    spec:
      restartPolicy: Never
      containers:
      - name: main
        image: busybox
        command: ["true"]
`;

describe('kubectl and Jobs', () => {
  let h: Harness;
  let kubelet: { stop(): Promise<void> };
  beforeAll(async () => {
    h = await startHarness(['job'], { job: { podFailureBackoffMs: 100 } });
    await createNamespace(h.client, NS);
    // Each container runs for a second, so that kubectl is already waiting when it ends.
    kubelet = jobKubelet(h.client, NS, (p) => ({ exitCode: Number(p.metadata?.labels?.exit ?? 0), afterMs: 1000 }));
  });
  afterAll(async () => {
    await kubelet?.stop();
    await h?.close();
  });
  const kubectl = (args: string[], input?: string) => h.server.kubectl(args, { input, timeoutMs: 40_000 });

  it('kubectl wait --for=condition=complete returns when the Job completes', async () => {
    expect((await kubectl(['apply', '-f', '-'], manifest('ok'))).stdout).toBe('job.batch/ok created\n');
    const started = Date.now();
    const r = await kubectl(['wait', '-n', NS, '--for=condition=complete', 'job/ok', '--timeout=30s']);
    expect(r).toMatchObject({ code: 0, stdout: 'job.batch/ok condition met\n' });
    expect(Date.now() - started).toBeLessThan(30_000);
    const job = await h.client.get<Job>(refTo(JOBS, NS, 'ok'));
    expect(job.status?.succeeded).toBe(1);
    const table = await kubectl(['get', 'job', 'ok', '-n', NS]);
    expect(table.stdout).toMatch(/^NAME\s+STATUS\s+COMPLETIONS\s+DURATION\s+AGE\nok\s+Complete\s+1\/1\s+\S+\s+\S+\n$/);
  });

  it('kubectl wait --for=condition=failed returns when the Job fails', async () => {
    await kubectl(['apply', '-f', '-'], manifest('bad'));
    const r = await kubectl(['wait', '-n', NS, '--for=condition=failed', 'job/bad', '--timeout=30s']);
    expect(r).toMatchObject({ code: 0, stdout: 'job.batch/bad condition met\n' });
    const job = await kubectl(['get', 'job', 'bad', '-n', NS, '-o', 'jsonpath={.status.conditions[?(@.type=="Failed")].reason}']);
    expect(job.stdout).toBe('BackoffLimitExceeded');
  });

  it('refuses restartPolicy Always as upstream does', async () => {
    const r = await kubectl(['apply', '-f', '-'], manifest('always').replace('restartPolicy: Never', 'restartPolicy: Always'));
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('spec.template.spec.restartPolicy: Unsupported value: "Always": supported values: "OnFailure", "Never"');
  });
});
