/** The ReplicaSet controller against a real API server (no kubelet: the test makes Pods Ready). */
import type { KubeObject, Pod, ReplicaSet } from '@minik8s/api';
import type { CoreEvent, KubeList } from '@minik8s/client/kube';
import { eventually } from '@minik8s/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PODS, REPLICA_SETS, refTo } from '../internal/resources.ts';
import { createNamespace, type Harness, listPods, makeReady, startHarness } from '../testing/harness.ts';

const NS = 'rs-test';
type RS = ReplicaSet & KubeObject;

function replicaSet(name: string, replicas: number, app = name): RS {
  return {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: { name, namespace: NS },
    spec: {
      replicas,
      selector: { matchLabels: { app } },
      template: { metadata: { labels: { app, tier: 'web' } }, spec: { containers: [{ name: 'c', image: 'busybox' }] } },
    },
  };
}

describe('ReplicaSet controller', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness(['replicaset']);
    await createNamespace(h.client, NS);
  });
  afterAll(async () => {
    await h?.close();
  });

  const pods = (app: string) => listPods(h.client, NS, `app=${app}`);
  const getRS = (name: string) => h.client.get<RS>(refTo(REPLICA_SETS, NS, name));
  const scale = async (name: string, replicas: number) => {
    const rs = await getRS(name);
    rs.spec!.replicas = replicas;
    await h.client.update(refTo(REPLICA_SETS, NS, name), rs);
  };
  const count = (app: string, n: number) => eventually(async () => (await pods(app)).length === n && (await pods(app)), { message: `${n} pods of ${app}` });

  it('creates spec.replicas Pods owned by the ReplicaSet, and says so in events', async () => {
    const rs = await h.client.create<RS>(REPLICA_SETS, replicaSet('web', 3));
    const ps = await count('web', 3);
    for (const p of ps) {
      expect(p.metadata!.name).toMatch(/^web-[a-z0-9]{5}$/);
      expect(p.metadata!.labels).toEqual({ app: 'web', tier: 'web' });
      expect(p.metadata!.ownerReferences).toEqual([
        { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web', uid: rs.metadata.uid, controller: true, blockOwnerDeletion: true },
      ]);
    }
    const events = await eventually(
      async () => {
        const l = (await h.client.list<CoreEvent>(
          { version: 'v1', plural: 'events', namespace: NS },
          { fieldSelector: 'involvedObject.name=web' },
        )) as KubeList<CoreEvent>;
        return l.items.filter((e) => e.reason === 'SuccessfulCreate').length === 3 && l.items;
      },
      { message: 'three SuccessfulCreate events' },
    );
    expect(events.map((e) => e.message).sort()).toEqual(ps.map((p) => `Created pod: ${p.metadata!.name}`).sort());
    expect(events[0]!.source.component).toBe('replicaset-controller');
    const status = await eventually(
      async () => {
        const s = (await getRS('web')).status;
        return s?.replicas === 3 && s.observedGeneration === 1 && s;
      },
      { message: 'status' },
    );
    expect(status).toEqual({ replicas: 3, fullyLabeledReplicas: 3, observedGeneration: 1 });
  });

  it('counts ready and available Pods in its status', async () => {
    const ps = await pods('web');
    await makeReady(h.client, ps[0]!);
    await makeReady(h.client, ps[1]!);
    await eventually(async () => (await getRS('web')).status?.readyReplicas === 2, { message: 'readyReplicas 2' });
    expect((await getRS('web')).status).toMatchObject({ replicas: 3, readyReplicas: 2, availableReplicas: 2 });
  });

  it('scales up to 5, then down to 1 keeping a ready Pod', async () => {
    await scale('web', 5);
    await count('web', 5);
    const ready = (await pods('web')).filter((p) => p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'));
    await scale('web', 1);
    const left = await count('web', 1);
    expect(ready.map((p) => p.metadata!.name)).toContain(left[0]!.metadata!.name);
    await eventually(
      async () => {
        const s = (await getRS('web')).status;
        return s?.replicas === 1 && s.observedGeneration === 3;
      },
      { message: 'status after scale down' },
    );
    const l = (await h.client.list<CoreEvent>(
      { version: 'v1', plural: 'events', namespace: NS },
      { fieldSelector: 'involvedObject.name=web' },
    )) as KubeList<CoreEvent>;
    expect(l.items.some((e) => e.reason === 'SuccessfulDelete' && /^Deleted pod: web-/.test(e.message))).toBe(true);
  });

  it('replaces a deleted Pod', async () => {
    const [p] = await pods('web');
    await h.client.delete(refTo(PODS, NS, p!.metadata!.name!));
    const [q] = await eventually(
      async () => {
        const ps = await pods('web');
        return ps.length === 1 && ps[0]!.metadata!.name !== p!.metadata!.name && ps;
      },
      { message: 'a replacement' },
    );
    expect(q!.metadata!.ownerReferences?.[0]?.name).toBe('web');
  });

  it('adopts a matching orphan instead of creating a Pod, and releases a relabeled one', async () => {
    await h.client.create<Pod & KubeObject>(PODS, {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'orphan', namespace: NS, labels: { app: 'adopt' } },
      spec: { containers: [{ name: 'c', image: 'busybox' }] },
    });
    const rs = await h.client.create<RS>(REPLICA_SETS, replicaSet('adopt', 2));
    const ps = await count('adopt', 2);
    const orphan = await eventually(
      async () => {
        const o = await h.client.get<Pod & KubeObject>(refTo(PODS, NS, 'orphan'));
        return o.metadata.ownerReferences?.[0]?.uid === rs.metadata.uid && o;
      },
      { message: 'orphan adopted' },
    );
    expect(orphan.metadata.ownerReferences).toEqual([
      { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'adopt', uid: rs.metadata.uid, controller: true, blockOwnerDeletion: true },
    ]);
    expect(ps.map((p) => p.metadata!.name)).toContain('orphan');
    // fullyLabeledReplicas: the orphan lacks the template's tier label.
    await eventually(async () => (await getRS('adopt')).status?.fullyLabeledReplicas === 1, { message: 'fullyLabeledReplicas 1' });

    // Relabel: the ReplicaSet lets go of it and makes another.
    const cur = await h.client.get<Pod & KubeObject>(refTo(PODS, NS, 'orphan'));
    cur.metadata.labels = { app: 'elsewhere' };
    await h.client.update(refTo(PODS, NS, 'orphan'), cur);
    await eventually(async () => !(await h.client.get<Pod & KubeObject>(refTo(PODS, NS, 'orphan'))).metadata.ownerReferences, { message: 'orphan released' });
    await count('adopt', 2);
  });

  it('leaves Pods controlled by someone else alone', async () => {
    await h.client.create<Pod & KubeObject>(PODS, {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        name: 'taken',
        namespace: NS,
        labels: { app: 'adopt' },
        ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'other', uid: '00000000-0000-0000-0000-000000000001', controller: true }],
      },
      spec: { containers: [{ name: 'c', image: 'busybox' }] },
    });
    // The ReplicaSet now needs one more Pod: it makes one rather than take the controlled one.
    await scale('adopt', 3);
    const ours = (ps: Pod[]) => ps.filter((p) => p.metadata!.ownerReferences?.[0]?.name === 'adopt');
    const ps = await eventually(async () => ours(await pods('adopt')).length === 3 && ours(await pods('adopt')), { message: '3 pods of adopt' });
    expect(ps.map((p) => p.metadata!.name)).not.toContain('taken');
    const taken = await h.client.get<Pod & KubeObject>(refTo(PODS, NS, 'taken'));
    expect(taken.metadata.ownerReferences?.map((r) => r.name)).toEqual(['other']);
  });
});
