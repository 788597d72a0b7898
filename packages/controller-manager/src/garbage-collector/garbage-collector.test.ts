/** The garbage collector with the workload controllers, against a real API server. */
import type { KubeObject } from '@minik8s/api';
import { eventually } from '@minik8s/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEPLOYMENTS, REPLICA_SETS, refTo } from '../internal/resources.ts';
import { createNamespace, fakeKubelet, type Harness, listPods, startHarness } from '../testing/harness.ts';

const NS = 'gc-test';
const CONFIGMAPS = { version: 'v1', plural: 'configmaps' };

function deployment(name: string, replicas = 2): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: NS },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'c', image: 'busybox' }] } },
    },
  };
}

describe('garbage collector', () => {
  let h: Harness;
  let kubelet: { stop(): Promise<void> };
  beforeAll(async () => {
    h = await startHarness();
    await createNamespace(h.client, NS);
    kubelet = fakeKubelet(h.client, NS, 20);
  });
  afterAll(async () => {
    await kubelet?.stop();
    await h?.close();
  });

  const rsNames = async (app: string) =>
    (await h.client.list({ ...REPLICA_SETS, namespace: NS })).items.filter((r) => r.metadata.labels?.app === app).map((r) => r.metadata.name);
  const gone = (ref: Parameters<typeof h.client.get>[0]) =>
    eventually(
      async () => {
        try {
          await h.client.get(ref);
          return false;
        } catch (e) {
          return (e as { status?: { code?: number } }).status?.code === 404;
        }
      },
      { message: `${ref.plural}/${ref.name} to be gone` },
    );
  const running = (app: string, n: number) =>
    eventually(async () => (await listPods(h.client, NS, `app=${app}`)).length === n, { message: `${n} pods of ${app}` });

  it('background: deleting a Deployment takes its ReplicaSets and their Pods with it', async () => {
    await h.client.create(DEPLOYMENTS, deployment('bg'));
    await running('bg', 2);
    await h.client.delete(refTo(DEPLOYMENTS, NS, 'bg'), { propagationPolicy: 'Background' });
    await eventually(async () => (await rsNames('bg')).length === 0, { message: 'ReplicaSets deleted' });
    await running('bg', 0);
  });

  it('deletes a dependent whose owner disappeared while nobody watched (any kind)', async () => {
    const owner = await h.client.create<KubeObject>(CONFIGMAPS, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'owner', namespace: NS } });
    await h.client.create(CONFIGMAPS, {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'dependent', namespace: NS, ownerReferences: [{ apiVersion: 'v1', kind: 'ConfigMap', name: 'owner', uid: owner.metadata.uid! }] },
    });
    await h.client.create(CONFIGMAPS, {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: {
        name: 'never-had-owner',
        namespace: NS,
        ownerReferences: [{ apiVersion: 'v1', kind: 'ConfigMap', name: 'nobody', uid: '00000000-0000-0000-0000-00000000000a' }],
      },
    });
    await h.client.delete(refTo(CONFIGMAPS, NS, 'owner'));
    await gone(refTo(CONFIGMAPS, NS, 'dependent'));
    await gone(refTo(CONFIGMAPS, NS, 'never-had-owner'));
  });

  it('keeps a dependent that still has another owner, dropping the reference to the gone one', async () => {
    const a = await h.client.create<KubeObject>(CONFIGMAPS, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'a', namespace: NS } });
    const b = await h.client.create<KubeObject>(CONFIGMAPS, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'b', namespace: NS } });
    await h.client.create(CONFIGMAPS, {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: {
        name: 'shared',
        namespace: NS,
        ownerReferences: [
          { apiVersion: 'v1', kind: 'ConfigMap', name: 'a', uid: a.metadata.uid! },
          { apiVersion: 'v1', kind: 'ConfigMap', name: 'b', uid: b.metadata.uid! },
        ],
      },
    });
    await h.client.delete(refTo(CONFIGMAPS, NS, 'a'));
    const shared = await eventually(
      async () => {
        const o = await h.client.get(refTo(CONFIGMAPS, NS, 'shared'));
        return o.metadata.ownerReferences?.length === 1 && o;
      },
      { message: 'the reference to a dropped' },
    );
    expect(shared.metadata.ownerReferences?.[0]?.name).toBe('b');
  });

  it('orphan: deleting a ReplicaSet with propagationPolicy=Orphan leaves its Pods, without the owner reference', async () => {
    await h.client.create(REPLICA_SETS, {
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: { name: 'orph', namespace: NS },
      spec: {
        replicas: 2,
        selector: { matchLabels: { app: 'orph' } },
        template: { metadata: { labels: { app: 'orph' } }, spec: { containers: [{ name: 'c', image: 'busybox' }] } },
      },
    });
    await running('orph', 2);
    const marked = await h.client.delete(refTo(REPLICA_SETS, NS, 'orph'), { propagationPolicy: 'Orphan' });
    expect(marked.metadata.finalizers).toContain('orphan');
    await gone(refTo(REPLICA_SETS, NS, 'orph'));
    const pods = await listPods(h.client, NS, 'app=orph');
    expect(pods).toHaveLength(2);
    expect(pods.map((p) => p.metadata!.ownerReferences)).toEqual([undefined, undefined]);
  });

  it('foreground: the Deployment stays (with its finalizer) until its ReplicaSets and Pods are gone', async () => {
    await h.client.create(DEPLOYMENTS, deployment('fg'));
    await running('fg', 2);
    const marked = await h.client.delete(refTo(DEPLOYMENTS, NS, 'fg'), { propagationPolicy: 'Foreground' });
    expect(marked.metadata.finalizers).toEqual(['foregroundDeletion']);
    expect(marked.metadata.deletionTimestamp).toBeDefined();
    // Poll what a user would see: while the Deployment exists it is marked for deletion; it goes last.
    const seen: string[] = [];
    await eventually(
      async () => {
        const pods = (await listPods(h.client, NS, 'app=fg')).length;
        const rss = (await rsNames('fg')).length;
        let d: KubeObject | undefined;
        try {
          d = await h.client.get(refTo(DEPLOYMENTS, NS, 'fg'));
        } catch (e) {
          if ((e as { status?: { code?: number } }).status?.code !== 404) throw e;
        }
        if (d && !d.metadata.deletionTimestamp) seen.push('deployment not marked');
        if (!d && (pods > 0 || rss > 0)) seen.push(`deployment gone first (${pods} pods, ${rss} replicasets left)`);
        return !d;
      },
      { message: 'foreground deletion to finish' },
    );
    expect(seen).toEqual([]);
    expect(await rsNames('fg')).toEqual([]);
    expect(await listPods(h.client, NS, 'app=fg')).toEqual([]);
  });
});
