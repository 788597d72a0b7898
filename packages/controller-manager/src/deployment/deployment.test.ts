/** The Deployment controller (with the ReplicaSet controller) against a real API server and a stand-in kubelet. */
import type { Deployment, KubeObject, Pod, ReplicaSet } from '@minik8s/api';
import { type CoreEvent, Informer, type KubeList } from '@minik8s/client/kube';
import { eventually } from '@minik8s/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEPLOYMENTS, REPLICA_SETS, refTo } from '../internal/resources.ts';
import { createNamespace, fakeKubelet, type Harness, listPods, startHarness } from '../testing/harness.ts';

const NS = 'deploy-test';
type D = Deployment & KubeObject;
type RS = ReplicaSet & KubeObject;

function deployment(name: string, replicas: number, extra: Partial<NonNullable<Deployment['spec']>> = {}, labels: Record<string, string> = {}): D {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: NS },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name, ...labels } }, spec: { containers: [{ name: 'c', image: 'busybox:1' }] } },
      ...extra,
    },
  };
}

describe('Deployment controller', () => {
  let h: Harness;
  let kubelet: { stop(): Promise<void> };
  const podWatchers = new Set<(type: string, p: Pod) => void>();
  beforeAll(async () => {
    h = await startHarness(['replicaset', 'deployment']);
    await createNamespace(h.client, NS);
    kubelet = fakeKubelet(h.client, NS, 30, (type, p) => {
      for (const w of podWatchers) w(type, p);
    });
  });
  afterAll(async () => {
    await kubelet?.stop();
    await h?.close();
  });

  const getD = (name: string) => h.client.get<D>(refTo(DEPLOYMENTS, NS, name));
  const rsOf = async (name: string) =>
    (await h.client.list<RS>({ ...REPLICA_SETS, namespace: NS })).items
      .filter((rs) => rs.metadata.ownerReferences?.[0]?.name === name)
      .sort(
        (a, b) => Number(a.metadata.annotations?.['deployment.kubernetes.io/revision']) - Number(b.metadata.annotations?.['deployment.kubernetes.io/revision']),
      );
  const change = async (name: string, f: (d: D) => void) => {
    for (;;) {
      const d = await getD(name);
      f(d);
      try {
        return await h.client.update<D>(refTo(DEPLOYMENTS, NS, name), d);
      } catch (e) {
        if ((e as { status?: { code?: number } }).status?.code !== 409) throw e;
      }
    }
  };
  const complete = (name: string) =>
    eventually(
      async () => {
        const d = await getD(name);
        const s = d.status;
        const n = d.spec!.replicas!;
        const progressing = s?.conditions?.find((c) => c.type === 'Progressing');
        return (
          s?.observedGeneration === d.metadata.generation &&
          s?.updatedReplicas === n &&
          s?.replicas === n &&
          s?.availableReplicas === n &&
          progressing?.reason === 'NewReplicaSetAvailable' &&
          d
        );
      },
      { message: `${name} to complete its rollout` },
    );
  const events = async (name: string) =>
    (
      (await h.client.list<CoreEvent>(
        { version: 'v1', plural: 'events', namespace: NS },
        { fieldSelector: `involvedObject.name=${name}` },
      )) as KubeList<CoreEvent>
    ).items;

  it('creates a ReplicaSet named by the template hash and reports a complete rollout', async () => {
    await h.client.create(DEPLOYMENTS, deployment('web', 3));
    const d = await complete('web');
    const [rs] = await rsOf('web');
    const hash = rs!.metadata.labels!['pod-template-hash']!;
    expect(hash).toMatch(/^[4-9bcdf]{6,10}$/);
    expect(rs!.metadata.name).toBe(`web-${hash}`);
    expect(rs!.spec!.selector.matchLabels).toEqual({ app: 'web', 'pod-template-hash': hash });
    expect(rs!.spec!.template!.metadata!.labels).toEqual({ app: 'web', 'pod-template-hash': hash });
    expect(rs!.metadata.annotations).toEqual({
      'deployment.kubernetes.io/revision': '1',
      'deployment.kubernetes.io/desired-replicas': '3',
      'deployment.kubernetes.io/max-replicas': '4',
    });
    expect(rs!.metadata.ownerReferences).toEqual([
      { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web', uid: d.metadata.uid, controller: true, blockOwnerDeletion: true },
    ]);
    expect(d.metadata.annotations?.['deployment.kubernetes.io/revision']).toBe('1');
    expect(d.status).toMatchObject({ replicas: 3, updatedReplicas: 3, readyReplicas: 3, availableReplicas: 3, observedGeneration: 1 });
    expect(d.status!.unavailableReplicas).toBeUndefined();
    const conds = Object.fromEntries(d.status!.conditions!.map((c) => [c.type, c]));
    expect(conds.Available).toMatchObject({ status: 'True', reason: 'MinimumReplicasAvailable', message: 'Deployment has minimum availability.' });
    expect(conds.Progressing).toMatchObject({
      status: 'True',
      reason: 'NewReplicaSetAvailable',
      message: `ReplicaSet "web-${hash}" has successfully progressed.`,
    });
    expect((await events('web')).map((e) => [e.reason, e.message, e.source.component])).toContainEqual([
      'ScalingReplicaSet',
      `Scaled up replica set web-${hash} from 0 to 3`,
      'deployment-controller',
    ]);
  });

  it('rolls a template change out without dropping below replicas - maxUnavailable ready Pods or above replicas + maxSurge', async () => {
    await change('web', (d) => {
      d.spec!.replicas = 4;
    });
    await complete('web');
    // Watch what a user would: ready Pods of the Deployment, and the ReplicaSets' sizes.
    const readyPods = new Map<string, boolean>();
    for (const p of await listPods(h.client, NS, 'app=web')) readyPods.set(p.metadata!.name!, isReady(p));
    let minReady = Number.POSITIVE_INFINITY;
    const watcher = (type: string, p: Pod) => {
      if (p.metadata?.labels?.app !== 'web') return;
      if (type === 'delete' || p.metadata?.deletionTimestamp) readyPods.delete(p.metadata!.name!);
      else readyPods.set(p.metadata!.name!, isReady(p));
      minReady = Math.min(minReady, [...readyPods.values()].filter(Boolean).length);
    };
    podWatchers.add(watcher);
    const rsInformer = new Informer<RS>(h.client, { ...REPLICA_SETS, namespace: NS });
    let maxTotal = 0;
    const sizes = new Map<string, number>();
    rsInformer.addEventHandler({
      onAdd: (rs) => sizes.set(rs.metadata.name!, rs.spec!.replicas!),
      onUpdate: (_o, rs) => sizes.set(rs.metadata.name!, rs.spec!.replicas!),
      onDelete: (rs) => sizes.delete(rs.metadata.name!),
    });
    rsInformer.onUpdate(() => {
      maxTotal = Math.max(
        maxTotal,
        [...sizes.entries()].filter(([n]) => n.startsWith('web-')).reduce((a, [, v]) => a + v, 0),
      );
    });
    rsInformer.start();
    try {
      await change('web', (d) => {
        d.spec!.strategy = { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 1 } };
        d.spec!.template.spec!.containers[0]!.image = 'busybox:2';
      });
      const d = await complete('web');
      expect(d.metadata.annotations?.['deployment.kubernetes.io/revision']).toBe('2');
    } finally {
      podWatchers.delete(watcher);
      await rsInformer.stop();
    }
    expect(minReady).toBeGreaterThanOrEqual(3);
    expect(minReady).toBeLessThanOrEqual(4);
    expect(maxTotal).toBe(5);
    const [old, cur] = await rsOf('web');
    expect(old!.spec!.replicas).toBe(0);
    expect(cur!.spec!.replicas).toBe(4);
    expect(cur!.metadata.annotations?.['deployment.kubernetes.io/revision']).toBe('2');
    const pods = await listPods(h.client, NS, 'app=web');
    expect(pods.map((p) => p.spec!.containers[0]!.image)).toEqual(['busybox:2', 'busybox:2', 'busybox:2', 'busybox:2']);
    const msgs = (await events('web')).map((e) => e.message);
    expect(msgs).toContainEqual(expect.stringMatching(new RegExp(`^Scaled down replica set ${old!.metadata.name} from \\d to \\d$`)));
  });

  it('rolls back by re-using the old ReplicaSet whose template matches, with a new revision', async () => {
    const [old] = await rsOf('web');
    await change('web', (d) => {
      const t = structuredClone(old!.spec!.template!);
      delete t.metadata!.labels!['pod-template-hash'];
      d.spec!.template = t;
    });
    const d = await complete('web');
    const rss = await rsOf('web');
    expect(rss).toHaveLength(2);
    const back = rss.find((rs) => rs.metadata.uid === old!.metadata.uid)!;
    expect(back.spec!.replicas).toBe(4);
    expect(back.metadata.annotations?.['deployment.kubernetes.io/revision']).toBe('3');
    expect(back.metadata.annotations?.['deployment.kubernetes.io/revision-history']).toBe('1');
    expect(d.metadata.annotations?.['deployment.kubernetes.io/revision']).toBe('3');
  });

  it('Recreate: the new Pods start only once every old Pod is gone', async () => {
    await h.client.create(DEPLOYMENTS, deployment('rec', 2, { strategy: { type: 'Recreate' } }));
    await complete('rec');
    const live = new Map<string, string>();
    for (const p of await listPods(h.client, NS, 'app=rec')) live.set(p.metadata!.name!, p.spec!.containers[0]!.image!);
    const overlaps: string[] = [];
    const watcher = (type: string, p: Pod) => {
      if (p.metadata?.labels?.app !== 'rec') return;
      if (type === 'delete') live.delete(p.metadata!.name!);
      else if (type === 'add') {
        if ([...live.values()].some((img) => img !== p.spec!.containers[0]!.image)) overlaps.push(p.metadata!.name!);
        live.set(p.metadata!.name!, p.spec!.containers[0]!.image!);
      }
    };
    podWatchers.add(watcher);
    try {
      await change('rec', (d) => {
        d.spec!.template.spec!.containers[0]!.image = 'busybox:2';
      });
      await complete('rec');
    } finally {
      podWatchers.delete(watcher);
    }
    expect(overlaps).toEqual([]);
    expect((await listPods(h.client, NS, 'app=rec')).map((p) => p.spec!.containers[0]!.image)).toEqual(['busybox:2', 'busybox:2']);
  });

  it('pause holds a template change back; resume rolls it out', async () => {
    await h.client.create(DEPLOYMENTS, deployment('paused', 2));
    await complete('paused');
    await change('paused', (d) => {
      d.spec!.paused = true;
    });
    await eventually(async () => (await getD('paused')).status?.conditions?.find((c) => c.type === 'Progressing')?.reason === 'DeploymentPaused', {
      message: 'DeploymentPaused',
    });
    const cond = (await getD('paused')).status!.conditions!.find((c) => c.type === 'Progressing')!;
    expect(cond).toMatchObject({ status: 'Unknown', message: 'Deployment is paused' });
    await change('paused', (d) => {
      d.spec!.template.metadata!.annotations = { 'kubectl.kubernetes.io/restartedAt': '2026-01-01T00:00:00Z' };
    });
    await eventually(async () => (await getD('paused')).status?.observedGeneration === 3, { message: 'observedGeneration 3' });
    expect(await rsOf('paused')).toHaveLength(1);
    await change('paused', (d) => {
      d.spec!.paused = false;
    });
    const d = await complete('paused');
    expect(await rsOf('paused')).toHaveLength(2);
    expect(d.metadata.annotations?.['deployment.kubernetes.io/revision']).toBe('2');
    const pods = await listPods(h.client, NS, 'app=paused');
    expect(pods.every((p) => p.metadata!.annotations?.['kubectl.kubernetes.io/restartedAt'] === '2026-01-01T00:00:00Z')).toBe(true);
    expect((await events('paused')).some((e) => e.reason === 'ScalingReplicaSet')).toBe(true);
  });

  it('keeps only revisionHistoryLimit old ReplicaSets', async () => {
    await h.client.create(DEPLOYMENTS, deployment('hist', 1, { revisionHistoryLimit: 1 }));
    await complete('hist');
    for (const v of ['2', '3', '4']) {
      await change('hist', (d) => {
        d.spec!.template.spec!.containers[0]!.image = `busybox:${v}`;
      });
      await complete('hist');
    }
    const rss = await eventually(
      async () => {
        const l = await rsOf('hist');
        return l.length === 2 && l;
      },
      { message: 'two ReplicaSets left' },
    );
    expect(rss.map((rs) => rs.metadata.annotations?.['deployment.kubernetes.io/revision'])).toEqual(['3', '4']);
  });

  it('reports ProgressDeadlineExceeded when Pods never become ready', async () => {
    await h.client.create(DEPLOYMENTS, deployment('stuck', 1, { progressDeadlineSeconds: 1 }, { stuck: 'true' }));
    const d = await eventually(
      async () => {
        const d = await getD('stuck');
        return d.status?.conditions?.find((c) => c.type === 'Progressing')?.reason === 'ProgressDeadlineExceeded' && d;
      },
      { message: 'ProgressDeadlineExceeded', timeoutMs: 10_000 },
    );
    const [rs] = await rsOf('stuck');
    const conds = Object.fromEntries(d.status!.conditions!.map((c) => [c.type, c]));
    expect(conds.Progressing).toMatchObject({ status: 'False', message: `ReplicaSet "${rs!.metadata.name}" has timed out progressing.` });
    expect(conds.Available).toMatchObject({ status: 'False', reason: 'MinimumReplicasUnavailable' });
    expect(d.status).toMatchObject({ replicas: 1, updatedReplicas: 1, unavailableReplicas: 1 });
  });
});

const isReady = (p: Pod) => p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
