/**
 * The Job and TTL-after-finished controllers against a real API server, with a stand-in
 * kubelet whose containers exit with the codes each test chooses.
 */
import type { Job, KubeObject, Pod } from '@minik8s/api';
import type { CoreEvent } from '@minik8s/client/kube';
import { eventually } from '@minik8s/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JOBS, PODS, refTo } from '../internal/resources.ts';
import { createNamespace, type Harness, jobKubelet, type PodOutcome, startHarness } from '../testing/harness.ts';

const NS = 'job-test';
const BACKOFF_MS = 300;

type JobSpec = NonNullable<Job['spec']>;

function job(name: string, spec: Partial<JobSpec> = {}, container: Record<string, unknown> = {}): Job {
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name, namespace: NS },
    spec: {
      ...spec,
      template: {
        metadata: { labels: { app: name } },
        spec: { restartPolicy: 'Never', containers: [{ name: 'main', image: 'busybox', ...container }], ...(spec.template?.spec ?? {}) },
      },
    } as JobSpec,
  };
}

/** The stand-in kubelet runs each Pod as its job's label `outcome` (set per test) says. */
/** Waits until the assertions in `fn` hold. */
const until = (fn: () => unknown, o: { timeoutMs?: number; intervalMs?: number } = {}) =>
  eventually(async () => {
    await fn();
    return true;
  }, o);

const outcomes = new Map<string, (p: Pod) => PodOutcome>();

describe('Job controller', () => {
  let h: Harness;
  let kubelet: { stop(): Promise<void> };
  const podEvents: Array<{ type: string; pod: Pod }> = [];
  beforeAll(async () => {
    h = await startHarness(['job', 'ttl-after-finished', 'garbagecollector'], { job: { podFailureBackoffMs: BACKOFF_MS } });
    await createNamespace(h.client, NS);
    kubelet = jobKubelet(h.client, NS, (p) => {
      podEvents.push({ type: 'add', pod: p });
      return outcomes.get(p.metadata?.labels?.app ?? '')?.(p) ?? { exitCode: 0 };
    });
  });
  afterAll(async () => {
    await kubelet?.stop();
    await h?.close();
  });

  const create = (j: Job) => h.client.create<Job>(JOBS, j);
  const get = (name: string) => h.client.get<Job>(refTo(JOBS, NS, name));
  const pods = async (name: string) => (await h.client.list<Pod & KubeObject>({ ...PODS, namespace: NS }, { labelSelector: `job-name=${name}` })).items;
  const cond = (j: Job, type: string) => j.status?.conditions?.find((c) => c.type === type && c.status === 'True');
  const waitFor = (name: string, type: string, timeoutMs = 10_000) =>
    eventually(
      async () => {
        const j = await get(name);
        expect(cond(j, type), JSON.stringify(j.status)).toBeDefined();
        return j;
      },
      { timeoutMs, intervalMs: 50 },
    );
  const events = async (name: string) =>
    (await h.client.list<CoreEvent & KubeObject>({ version: 'v1', plural: 'events', namespace: NS })).items.filter((e) => e.involvedObject.name === name);

  it('runs completions 3 with parallelism 2: never more than 2 active, then Complete', async () => {
    let running = 0;
    let maxRunning = 0;
    outcomes.set('par', () => {
      running++;
      maxRunning = Math.max(maxRunning, running);
      setTimeout(() => running--, 140);
      return { exitCode: 0, afterMs: 120 };
    });
    const created = await create(job('par', { completions: 3, parallelism: 2 }));
    const done = await waitFor('par', 'Complete');
    expect(maxRunning).toBeLessThanOrEqual(2);
    expect(done.status).toMatchObject({ succeeded: 3, ready: 0 });
    expect(done.status?.active ?? 0).toBe(0); // omitted when 0, as upstream's omitempty
    expect(done.status?.failed ?? 0).toBe(0);
    expect(done.status?.startTime).toBeDefined();
    expect(done.status?.completionTime).toBeDefined();
    expect(cond(done, 'SuccessCriteriaMet')?.reason).toBe('CompletionsReached');
    expect(cond(done, 'Complete')?.reason).toBe('CompletionsReached');
    // The Pods: labels, owner, generateName, and no finalizer left once counted.
    const ps = await pods('par');
    expect(ps).toHaveLength(3);
    for (const p of ps) {
      expect(p.metadata.labels).toMatchObject({
        'job-name': 'par',
        'batch.kubernetes.io/job-name': 'par',
        'controller-uid': created.metadata.uid,
        'batch.kubernetes.io/controller-uid': created.metadata.uid,
      });
      expect(p.metadata.generateName).toBe('par-');
      expect(p.metadata.ownerReferences).toEqual([
        { apiVersion: 'batch/v1', kind: 'Job', name: 'par', uid: created.metadata.uid, controller: true, blockOwnerDeletion: true },
      ]);
      await until(async () => {
        const fresh = await h.client.get<Pod & KubeObject>(refTo(PODS, NS, p.metadata.name!));
        expect(fresh.metadata.finalizers ?? []).not.toContain('batch.kubernetes.io/job-tracking');
      });
    }
    const reasons = (await events('par')).map((e) => e.reason);
    expect(reasons.filter((r) => r === 'SuccessfulCreate')).toHaveLength(3);
    expect(reasons).toContain('Completed');
  });

  it('counts survive the Pods: deleting a finished Pod does not change succeeded', async () => {
    outcomes.set('keep', () => ({ exitCode: 0 }));
    await create(job('keep', { completions: 2, parallelism: 2 }));
    await waitFor('keep', 'Complete');
    for (const p of await pods('keep')) await h.client.delete(refTo(PODS, NS, p.metadata.name!));
    await until(async () => expect(await pods('keep')).toHaveLength(0));
    const j = await get('keep');
    expect(j.status?.succeeded).toBe(2);
    expect(await pods('keep')).toHaveLength(0); // no replacements for a finished Job
  });

  it('runs each index of an Indexed Job once, with its annotation, label, env and hostname', async () => {
    outcomes.set('idx', () => ({ exitCode: 0, afterMs: 50 }));
    await create(job('idx', { completions: 4, parallelism: 2, completionMode: 'Indexed' }));
    const done = await waitFor('idx', 'Complete');
    expect(done.status).toMatchObject({ succeeded: 4, completedIndexes: '0-3' });
    const ps = await pods('idx');
    const indexes = ps.map((p) => p.metadata.annotations?.['batch.kubernetes.io/job-completion-index']).sort();
    expect(indexes).toEqual(['0', '1', '2', '3']);
    for (const p of ps) {
      const ix = p.metadata.annotations!['batch.kubernetes.io/job-completion-index'];
      expect(p.metadata.labels?.['batch.kubernetes.io/job-completion-index']).toBe(ix);
      expect(p.metadata.name).toMatch(new RegExp(`^idx-${ix}-[a-z0-9]{5}$`));
      expect(p.spec?.hostname).toBe(`idx-${ix}`);
      expect(p.spec?.containers[0]?.env).toContainEqual({
        name: 'JOB_COMPLETION_INDEX',
        valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: "metadata.annotations['batch.kubernetes.io/job-completion-index']" } },
      });
    }
  });

  it('retries a failing index of an Indexed Job and reports completedIndexes as intervals', async () => {
    const tries = new Map<string, number>();
    outcomes.set('idx2', (p) => {
      const ix = p.metadata!.annotations!['batch.kubernetes.io/job-completion-index']!;
      const n = (tries.get(ix) ?? 0) + 1;
      tries.set(ix, n);
      return { exitCode: ix === '2' && n === 1 ? 1 : 0 };
    });
    await create(job('idx2', { completions: 5, parallelism: 5, completionMode: 'Indexed' }));
    const done = await waitFor('idx2', 'Complete');
    expect(done.status).toMatchObject({ succeeded: 5, failed: 1, completedIndexes: '0-4' });
    expect(tries.get('2')).toBe(2);
  });

  it('fails the Job at backoffLimit with BackoffLimitExceeded, waiting the back-off between retries', async () => {
    const started: number[] = [];
    outcomes.set('fail', () => {
      started.push(Date.now());
      return { exitCode: 3, afterMs: 10 };
    });
    await create(job('fail', { backoffLimit: 2 }));
    const j = await waitFor('fail', 'Failed', 15_000);
    expect(j.status?.failed).toBe(3);
    expect(cond(j, 'FailureTarget')?.reason).toBe('BackoffLimitExceeded');
    expect(cond(j, 'Failed')).toMatchObject({ reason: 'BackoffLimitExceeded', message: 'Job has reached the specified backoff limit' });
    expect(j.status?.completionTime).toBeUndefined();
    expect(started).toHaveLength(3);
    // base, then twice the base, counted from each failure
    expect(started[1]! - started[0]!).toBeGreaterThanOrEqual(BACKOFF_MS);
    expect(started[2]! - started[1]!).toBeGreaterThanOrEqual(2 * BACKOFF_MS);
    const ev = (await events('fail')).find((e) => e.reason === 'BackoffLimitExceeded');
    expect(ev?.type).toBe('Warning');
  });

  it('restartPolicy OnFailure: container restarts count towards backoffLimit', async () => {
    outcomes.set('restarts', () => 'run');
    const j0 = job('restarts', { backoffLimit: 2 });
    j0.spec!.template.spec!.restartPolicy = 'OnFailure';
    await create(j0);
    await until(async () => expect((await pods('restarts'))[0]?.status?.phase).toBe('Running'));
    const [p] = await pods('restarts');
    expect((await get('restarts')).status?.conditions ?? []).toEqual([]);
    // What a kubelet reports after restarting the crashing container twice.
    const fresh = await h.client.get<Pod & KubeObject>(refTo(PODS, NS, p!.metadata.name!));
    fresh.status!.containerStatuses![0]!.restartCount = 2;
    await h.client.updateStatus(refTo(PODS, NS, p!.metadata.name!), fresh);
    const j = await waitFor('restarts', 'Failed');
    expect(cond(j, 'Failed')?.reason).toBe('BackoffLimitExceeded');
    await until(async () => expect(await pods('restarts')).toHaveLength(0));
  });

  it('stops the Job at activeDeadlineSeconds: DeadlineExceeded, active Pods deleted', async () => {
    outcomes.set('deadline', () => 'run');
    await create(job('deadline', { activeDeadlineSeconds: 1, parallelism: 2, completions: 2 }));
    await until(async () => expect((await get('deadline')).status?.active).toBe(2));
    const j = await waitFor('deadline', 'Failed');
    expect(cond(j, 'Failed')).toMatchObject({ reason: 'DeadlineExceeded', message: 'Job was active longer than specified deadline' });
    expect(j.status).toMatchObject({ failed: 2 });
    expect(j.status?.active ?? 0).toBe(0);
    await until(async () => expect(await pods('deadline')).toHaveLength(0));
    expect((await events('deadline')).map((e) => e.reason)).toContain('DeadlineExceeded');
  });

  it('suspend deletes the active Pods and sets Suspended; resume starts them again', async () => {
    let release = false;
    outcomes.set('susp', () => (release ? { exitCode: 0 } : 'run'));
    await create(job('susp', { parallelism: 2, completions: 2 }));
    await until(async () => expect((await pods('susp')).filter((p) => !p.metadata.deletionTimestamp)).toHaveLength(2));
    await h.client.patch(refTo(JOBS, NS, 'susp'), { spec: { suspend: true } }, { type: 'merge' });
    const suspended = await waitFor('susp', 'Suspended');
    expect(cond(suspended, 'Suspended')?.reason).toBe('JobSuspended');
    await until(async () => expect(await pods('susp')).toHaveLength(0));
    await until(async () => expect((await get('susp')).status?.active ?? 0).toBe(0));
    expect((await get('susp')).status?.failed ?? 0).toBe(0); // suspending is not a failure
    release = true;
    await h.client.patch(refTo(JOBS, NS, 'susp'), { spec: { suspend: false } }, { type: 'merge' });
    const done = await waitFor('susp', 'Complete');
    expect(done.status?.conditions?.find((c) => c.type === 'Suspended')).toMatchObject({ status: 'False', reason: 'JobResumed' });
    expect(done.status?.succeeded).toBe(2);
    const reasons = (await events('susp')).map((e) => e.reason);
    expect(reasons).toEqual(expect.arrayContaining(['Suspended', 'Resumed']));
  });

  it('podFailurePolicy: FailJob fails at once, Ignore does not count, Count counts', async () => {
    // onPodConditions: [] because the served 1.27 schema still requires the field (1.28 made it optional).
    const policy = {
      rules: [
        { action: 'FailJob', onExitCodes: { containerName: 'main', operator: 'In', values: [42] }, onPodConditions: [] },
        { action: 'Ignore', onExitCodes: { operator: 'In', values: [7] }, onPodConditions: [] },
        { action: 'Count', onExitCodes: { operator: 'NotIn', values: [7, 42] }, onPodConditions: [] },
      ],
    };
    outcomes.set('pfp-fail', () => ({ exitCode: 42 }));
    await create(job('pfp-fail', { backoffLimit: 6, podFailurePolicy: policy as JobSpec['podFailurePolicy'] }));
    const failed = await waitFor('pfp-fail', 'Failed');
    expect(cond(failed, 'Failed')?.reason).toBe('PodFailurePolicy');
    expect(cond(failed, 'Failed')?.message).toMatch(
      /^Container main for pod job-test\/pfp-fail-\w+ failed with exit code 42 matching FailJob rule at index 0$/,
    );
    expect(failed.status?.failed).toBe(1);

    let n = 0;
    outcomes.set('pfp-ignore', () => ({ exitCode: n++ < 2 ? 7 : 0 }));
    await create(job('pfp-ignore', { backoffLimit: 0, podFailurePolicy: policy as JobSpec['podFailurePolicy'] }));
    const ok = await waitFor('pfp-ignore', 'Complete');
    expect(ok.status?.failed ?? 0).toBe(0);
    expect(ok.status?.succeeded).toBe(1);

    outcomes.set('pfp-count', () => ({ exitCode: 1 }));
    await create(job('pfp-count', { backoffLimit: 0, podFailurePolicy: policy as JobSpec['podFailurePolicy'] }));
    const counted = await waitFor('pfp-count', 'Failed');
    expect(cond(counted, 'Failed')?.reason).toBe('BackoffLimitExceeded');
    expect(counted.status?.failed).toBe(1);
  });

  it('ttlSecondsAfterFinished deletes the finished Job and its Pods', async () => {
    outcomes.set('ttl', () => ({ exitCode: 0 }));
    // 2 s: completionTime has whole seconds, so the Job lives at least 1 s after Complete.
    await create(job('ttl', { ttlSecondsAfterFinished: 2 }));
    await waitFor('ttl', 'Complete');
    expect(await pods('ttl')).toHaveLength(1);
    await until(
      async () => {
        await expect(get('ttl')).rejects.toMatchObject({ code: 404 });
      },
      { timeoutMs: 10_000, intervalMs: 100 },
    );
    await until(async () => expect(await pods('ttl')).toHaveLength(0));
  });

  it('removes the tracking finalizer of Pods whose Job is deleted', async () => {
    outcomes.set('gone', () => 'run');
    await create(job('gone'));
    await until(async () => expect(await pods('gone')).toHaveLength(1));
    await h.client.delete(refTo(JOBS, NS, 'gone'), { propagationPolicy: 'Background' });
    await until(async () => expect(await pods('gone')).toHaveLength(0), { timeoutMs: 10_000 });
  });
});

describe('Job validation (API server)', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness([]);
    await createNamespace(h.client, NS);
  });
  afterAll(async () => {
    await h?.close();
  });
  const invalid = async (j: Job) => {
    const err = await h.client.create(JOBS, j).then(
      () => undefined,
      (e) => e,
    );
    expect(err?.code).toBe(422);
    await expect(h.client.get(refTo(JOBS, NS, j.metadata.name!))).rejects.toMatchObject({ code: 404 });
    return err.status.details.causes as Array<{ field: string; message: string }>;
  };

  it('refuses restartPolicy Always (and the default) with upstream field paths', async () => {
    const j = job('always');
    j.spec!.template.spec!.restartPolicy = 'Always';
    expect(await invalid(j)).toContainEqual(
      expect.objectContaining({ field: 'spec.template.spec.restartPolicy', message: 'Unsupported value: "Always": supported values: "OnFailure", "Never"' }),
    );
    const d = job('unset');
    delete d.spec!.template.spec!.restartPolicy;
    expect((await invalid(d)).map((c) => c.field)).toContain('spec.template.spec.restartPolicy');
  });

  it('refuses negative counts and an Indexed Job without completions', async () => {
    const causes = await invalid(job('neg', { parallelism: -1, backoffLimit: -2, activeDeadlineSeconds: -1 }));
    expect(causes).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ field: 'spec.parallelism', message: 'Invalid value: -1: must be greater than or equal to 0' }),
        expect.objectContaining({ field: 'spec.backoffLimit' }),
        expect.objectContaining({ field: 'spec.activeDeadlineSeconds' }),
      ]),
    );
    const ix = await invalid(job('ix', { completionMode: 'Indexed', parallelism: 2 }));
    expect(ix).toContainEqual(expect.objectContaining({ field: 'spec.completions', message: 'Required value: when completion mode is Indexed' }));
  });

  it('refuses a podFailurePolicy with restartPolicy OnFailure', async () => {
    const j = job('pfp', { podFailurePolicy: { rules: [{ action: 'FailJob', onExitCodes: { operator: 'In', values: [1] }, onPodConditions: [] }] } });
    j.spec!.template.spec!.restartPolicy = 'OnFailure';
    expect(await invalid(j)).toContainEqual(
      expect.objectContaining({
        field: 'spec.template.spec.restartPolicy',
        message: 'Invalid value: "OnFailure": only "Never" is supported when podFailurePolicy is specified',
      }),
    );
  });

  it('checks status writes as 1.32: counters, and Complete only after SuccessCriteriaMet with a completionTime', async () => {
    const created = await h.client.create<Job>(JOBS, job('status'));
    const ref = refTo(JOBS, NS, 'status');
    const write = (status: Job['status']) => h.client.updateStatus(ref, { ...created, status }).catch((e) => e);
    const t = '2026-01-01T00:00:00Z';
    const bad = await write({ failed: -1, conditions: [{ type: 'Complete', status: 'True', lastTransitionTime: t }] });
    expect(bad.code).toBe(422);
    expect(bad.status.details.causes.map((c: { field: string; message: string }) => `${c.field}: ${c.message}`)).toEqual([
      'status.failed: Invalid value: -1: must be greater than or equal to 0',
      'status.conditions: Invalid value: cannot set Complete=True condition without the SuccessCriteriaMet=true condition',
      'status.completionTime: Required value: completionTime is required for Complete jobs',
    ]);
    const ok = await write({
      startTime: t,
      completionTime: t,
      succeeded: 1,
      conditions: [
        { type: 'SuccessCriteriaMet', status: 'True', lastTransitionTime: t },
        { type: 'Complete', status: 'True', lastTransitionTime: t },
      ],
    });
    expect(ok.status?.succeeded).toBe(1);
  });

  it('defaults the Job, generates its selector and labels, and keeps them immutable', async () => {
    const created = await h.client.create<Job>(JOBS, job('defaults'));
    const uid = created.metadata.uid!;
    expect(created.spec).toMatchObject({
      completions: 1,
      parallelism: 1,
      backoffLimit: 6,
      completionMode: 'NonIndexed',
      suspend: false,
      selector: { matchLabels: { 'batch.kubernetes.io/controller-uid': uid } },
    });
    expect(created.spec?.template.metadata?.labels).toEqual({
      app: 'defaults',
      'batch.kubernetes.io/controller-uid': uid,
      'batch.kubernetes.io/job-name': 'defaults',
      'controller-uid': uid,
      'job-name': 'defaults',
    });
    const changed = structuredClone(created);
    changed.spec!.template.spec!.containers[0]!.image = 'other';
    await expect(h.client.update(refTo(JOBS, NS, 'defaults'), changed)).rejects.toMatchObject({ code: 422 });
    const sel = structuredClone(created);
    sel.spec!.selector = { matchLabels: { app: 'defaults' } };
    const err = await h.client.update(refTo(JOBS, NS, 'defaults'), sel).catch((e) => e);
    expect(err.code).toBe(422);
    expect(err.status.details.causes).toContainEqual(expect.objectContaining({ field: 'spec.selector' }));
    // Changing what may change is fine.
    const ok = structuredClone(created);
    ok.spec!.parallelism = 3;
    expect((await h.client.update<Job>(refTo(JOBS, NS, 'defaults'), ok)).spec?.parallelism).toBe(3);
  });
});
