/**
 * The StatefulSet controller against a real API server, with a stand-in kubelet that
 * makes Pods Running and Ready (unless labelled stuck=true), and the garbage collector
 * for the claims the retention policy hands to it. Every test has its own set.
 */
import type { ControllerRevision, PersistentVolumeClaim, Pod, StatefulSet } from '@minik8s/api';
import type { CoreEvent, KubeList } from '@minik8s/client/kube';
import { eventually } from '@minik8s/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONTROLLER_REVISION_HASH } from '../internal/history.ts';
import { CONTROLLER_REVISIONS, PERSISTENT_VOLUME_CLAIMS, PODS, refTo, STATEFUL_SETS } from '../internal/resources.ts';
import { createNamespace, fakeKubelet, type Harness, listPods, makeReady, startHarness } from '../testing/harness.ts';
import { isRunningAndReady } from './util.ts';

const NS = 'sts-test';

type Spec = Partial<NonNullable<StatefulSet['spec']>>;

function statefulSet(name: string, spec: Spec = {}, labels: Record<string, string> = {}): StatefulSet {
  return {
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: { name, namespace: NS },
    spec: {
      serviceName: `${name}-svc`,
      replicas: 3,
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name, ...labels } }, spec: { containers: [{ name: 'c', image: 'busybox:1' }] } },
      ...spec,
    },
  } as StatefulSet;
}

const claimTemplate = {
  metadata: { name: 'data', labels: { tier: 'db' } },
  spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } },
};

describe('StatefulSet controller', () => {
  let h: Harness;
  let kubelet: { stop(): Promise<void> };
  /** Every Pod event the stand-in kubelet saw, in order. */
  const seen: Array<{ type: string; name: string; ready: boolean; image?: string }> = [];
  beforeAll(async () => {
    h = await startHarness(['statefulset', 'garbagecollector']);
    await createNamespace(h.client, NS);
    kubelet = fakeKubelet(h.client, NS, 80, (type, p) =>
      seen.push({ type, name: p.metadata.name!, ready: isRunningAndReady(p), image: p.spec?.containers[0]?.image }),
    );
  });
  afterAll(async () => {
    await kubelet?.stop();
    await h?.close();
  });

  const pods = async (app: string) => (await listPods(h.client, NS, `app=${app}`)).sort((a, b) => (a.metadata.name! < b.metadata.name! ? -1 : 1));
  const names = async (app: string) => (await pods(app)).map((p) => p.metadata.name);
  const get = (name: string) => h.client.get<StatefulSet>(refTo(STATEFUL_SETS, NS, name));
  const update = (name: string, change: (s: StatefulSet) => void) =>
    eventually(
      async () => {
        const s = await get(name);
        change(s);
        return h.client.update(refTo(STATEFUL_SETS, NS, name), s).then(
          () => true,
          () => false,
        );
      },
      { message: `update ${name}` },
    );
  const claims = async () => (await h.client.list<PersistentVolumeClaim>({ ...PERSISTENT_VOLUME_CLAIMS, namespace: NS })).items;
  const revisions = async (name: string) =>
    (await h.client.list<ControllerRevision>({ ...CONTROLLER_REVISIONS, namespace: NS })).items.filter((r) => r.metadata.ownerReferences?.[0]?.name === name);
  const events = async (name: string) =>
    (
      (await h.client.list<CoreEvent>(
        { version: 'v1', plural: 'events', namespace: NS },
        { fieldSelector: `involvedObject.name=${name}` },
      )) as KubeList<CoreEvent>
    ).items;
  const readyStatus = (name: string, replicas: number) =>
    eventually(
      async () => {
        const s = await get(name);
        return s.status?.readyReplicas === replicas && s.status.replicas === replicas && s.status.currentRevision === s.status.updateRevision && s;
      },
      { message: `${name} ready`, timeoutMs: 15_000 },
    );
  const images = async (app: string) => Object.fromEntries((await pods(app)).map((p) => [p.metadata.name, p.spec!.containers[0]!.image]));

  it('creates web-0..2 in order, each after the previous is Running and Ready, with identity, claims and revision', async () => {
    const created = await h.client.create<StatefulSet>(STATEFUL_SETS, statefulSet('web', { volumeClaimTemplates: [claimTemplate] as never }));
    const set = await readyStatus('web', 3);
    expect(await names('web')).toEqual(['web-0', 'web-1', 'web-2']);
    // Ordered: a Pod appears only once the one before it was seen Ready.
    for (const n of [1, 2]) {
      const add = seen.findIndex((e) => e.type === 'add' && e.name === `web-${n}`);
      const prevReady = seen.findIndex((e) => e.name === `web-${n - 1}` && e.ready);
      expect(prevReady).toBeGreaterThanOrEqual(0);
      expect(prevReady).toBeLessThan(add);
    }
    const [rev] = await revisions('web');
    expect(rev!.metadata.name).toBe(`web-${rev!.metadata.labels![CONTROLLER_REVISION_HASH]}`);
    expect(rev!.revision).toBe(1);
    expect(rev!.data).toEqual({
      spec: { template: { ...created.spec!.template, metadata: { creationTimestamp: null, ...created.spec!.template.metadata }, $patch: 'replace' } },
    });
    expect(set.status).toEqual({
      observedGeneration: 1,
      replicas: 3,
      readyReplicas: 3,
      currentReplicas: 3,
      updatedReplicas: 3,
      currentRevision: rev!.metadata.name,
      updateRevision: rev!.metadata.name,
      collisionCount: 0,
      availableReplicas: 3,
    });
    for (const [i, p] of (await pods('web')).entries()) {
      const name = `web-${i}`;
      expect(p.metadata.generateName).toBe('web-');
      expect(p.metadata.labels).toEqual({
        app: 'web',
        [CONTROLLER_REVISION_HASH]: rev!.metadata.name,
        'statefulset.kubernetes.io/pod-name': name,
        'apps.kubernetes.io/pod-index': String(i),
      });
      expect(p.metadata.ownerReferences).toEqual([
        { apiVersion: 'apps/v1', kind: 'StatefulSet', name: 'web', uid: created.metadata.uid, controller: true, blockOwnerDeletion: true },
      ]);
      expect(p.spec!.hostname).toBe(name);
      expect(p.spec!.subdomain).toBe('web-svc');
      expect(p.spec!.volumes?.[0]).toEqual({ name: 'data', persistentVolumeClaim: { claimName: `data-web-${i}` } });
    }
    const pvcs = await claims();
    expect(pvcs.map((c) => c.metadata.name).sort()).toEqual(['data-web-0', 'data-web-1', 'data-web-2']);
    for (const c of pvcs) {
      expect(c.metadata.labels).toEqual({ tier: 'db', app: 'web' });
      expect(c.metadata.ownerReferences).toBeUndefined(); // Retain, Retain
      expect(c.spec!.resources!.requests).toEqual({ storage: '1Gi' });
    }
    const evs = (await events('web')).map((e) => `${e.reason} ${e.message}`);
    expect(evs).toContain('SuccessfulCreate create Pod web-0 in StatefulSet web successful');
    expect(evs).toContain('SuccessfulCreate create Claim data-web-2 Pod web-2 in StatefulSet web success');
  });

  it('scales down highest ordinal first, keeping the claims; scales up again onto them', async () => {
    const from = seen.length;
    await update('web', (s) => {
      s.spec!.replicas = 1;
    });
    await eventually(async () => JSON.stringify(await names('web')) === '["web-0"]', { message: 'web-0 only', timeoutMs: 15_000 });
    const deletes = seen.slice(from).filter((e) => e.type === 'delete');
    expect(deletes.map((e) => e.name)).toEqual(['web-2', 'web-1']);
    expect((await claims()).map((c) => c.metadata.name).sort()).toEqual(['data-web-0', 'data-web-1', 'data-web-2']);
    expect((await events('web')).some((e) => e.reason === 'SuccessfulDelete' && e.message === 'delete Pod web-2 in StatefulSet web successful')).toBe(true);
    await update('web', (s) => {
      s.spec!.replicas = 3;
    });
    await readyStatus('web', 3);
    expect((await claims()).length).toBe(3);
  });

  it('rolls an update in reverse ordinal order, honouring the partition, then completes it', async () => {
    await update('web', (s) => {
      s.spec!.updateStrategy = { type: 'RollingUpdate', rollingUpdate: { partition: 1 } };
      s.spec!.template.spec!.containers[0]!.image = 'busybox:2';
    });
    const from = seen.length;
    await eventually(
      async () => {
        const i = await images('web');
        return i['web-0'] === 'busybox:1' && i['web-1'] === 'busybox:2' && i['web-2'] === 'busybox:2';
      },
      { message: 'web-1 and web-2 updated', timeoutMs: 15_000 },
    );
    const s = await eventually(
      async () => {
        const x = await get('web');
        return x.status?.updatedReplicas === 2 && x.status.readyReplicas === 3 && x;
      },
      { message: 'status of the partitioned rollout' },
    );
    expect(s.status!.currentReplicas).toBe(1);
    expect(s.status!.currentRevision).not.toBe(s.status!.updateRevision);
    const deletes = seen.slice(from).filter((e) => e.type === 'delete');
    expect(deletes.map((e) => e.name)).toEqual(['web-2', 'web-1']);
    // web-0 stays at the old revision; a replacement below the partition gets the old template too.
    await h.client.delete(refTo(PODS, NS, 'web-0'));
    await eventually(async () => (await pods('web')).find((p) => p.metadata.name === 'web-0' && isRunningAndReady(p)), { message: 'web-0 back' });
    expect((await images('web'))['web-0']).toBe('busybox:1');

    await update('web', (x) => {
      x.spec!.updateStrategy = { type: 'RollingUpdate', rollingUpdate: { partition: 0 } };
    });
    const done = await readyStatus('web', 3);
    await eventually(async () => (await images('web'))['web-0'] === 'busybox:2', { message: 'web-0 updated' });
    expect(done.status!.currentRevision).toBe(done.status!.updateRevision);
    expect((await revisions('web')).map((r) => r.revision).sort()).toEqual([1, 2]);
  });

  it('OnDelete: a template change touches nothing until a Pod is deleted', async () => {
    await h.client.create<StatefulSet>(STATEFUL_SETS, statefulSet('ondel', { replicas: 2, updateStrategy: { type: 'OnDelete' } }));
    await readyStatus('ondel', 2);
    await update('ondel', (s) => {
      s.spec!.template.spec!.containers[0]!.image = 'busybox:2';
    });
    await eventually(async () => (await get('ondel')).status?.observedGeneration === 2, { message: 'observed' });
    await new Promise((r) => setTimeout(r, 500));
    expect(await images('ondel')).toEqual({ 'ondel-0': 'busybox:1', 'ondel-1': 'busybox:1' });
    const s = await get('ondel');
    expect(s.status!.currentReplicas).toBe(2);
    expect(s.status!.updatedReplicas).toBeUndefined(); // 0, omitted as upstream serializes it
    await h.client.delete(refTo(PODS, NS, 'ondel-1'));
    await eventually(async () => (await images('ondel'))['ondel-1'] === 'busybox:2', { message: 'ondel-1 replaced' });
    expect((await images('ondel'))['ondel-0']).toBe('busybox:1');
  });

  it('Parallel creates every Pod without waiting for readiness', async () => {
    await h.client.create<StatefulSet>(STATEFUL_SETS, statefulSet('par', { podManagementPolicy: 'Parallel' }, { stuck: 'true' }));
    await eventually(async () => JSON.stringify(await names('par')) === '["par-0","par-1","par-2"]', { message: 'all three' });
    expect((await pods('par')).some(isRunningAndReady)).toBe(false);
    // Ordered would have stopped at par-0.
    await h.client.create<StatefulSet>(STATEFUL_SETS, statefulSet('ord', {}, { stuck: 'true' }));
    await eventually(async () => JSON.stringify(await names('ord')) === '["ord-0"]', { message: 'ord-0' });
    await new Promise((r) => setTimeout(r, 400));
    expect(await names('ord')).toEqual(['ord-0']);
    const p = (await pods('ord'))[0]!;
    await makeReady(h.client, p);
    await eventually(async () => (await names('ord')).includes('ord-1'), { message: 'ord-1 after ord-0 Ready' });
  });

  it('deletes a failed Pod and makes it again', async () => {
    await h.client.create<StatefulSet>(STATEFUL_SETS, statefulSet('fail', { replicas: 1 }));
    await readyStatus('fail', 1);
    const [p] = await pods('fail');
    const fresh = await h.client.get<Pod>(refTo(PODS, NS, p!.metadata.name!));
    await h.client.updateStatus(refTo(PODS, NS, p!.metadata.name!), { ...fresh, status: { ...fresh.status, phase: 'Failed' } });
    await eventually(
      async () => {
        const [q] = await pods('fail');
        return q && q.metadata.uid !== p!.metadata.uid && isRunningAndReady(q);
      },
      { message: 'fail-0 made again' },
    );
    expect((await events('fail')).some((e) => e.reason === 'RecreatingFailedPod')).toBe(true);
  });

  it('retention Delete: claims are owned by the set, and by the Pod once scaled away (the garbage collector removes them)', async () => {
    const set = await h.client.create<StatefulSet>(
      STATEFUL_SETS,
      statefulSet('ret', {
        replicas: 2,
        selector: { matchLabels: { app: 'ret' } },
        volumeClaimTemplates: [{ ...claimTemplate, metadata: { name: 'vol' } }] as never,
        persistentVolumeClaimRetentionPolicy: { whenDeleted: 'Delete', whenScaled: 'Delete' },
      }),
    );
    await readyStatus('ret', 2);
    const retClaims = async () => (await claims()).filter((c) => c.metadata.name!.startsWith('vol-ret-'));
    for (const c of await retClaims()) {
      expect(c.metadata.labels).toEqual({ app: 'ret' });
      expect(c.metadata.ownerReferences).toEqual([
        { apiVersion: 'apps/v1', kind: 'StatefulSet', name: 'ret', uid: set.metadata.uid, controller: true, blockOwnerDeletion: true },
      ]);
    }
    await update('ret', (s) => {
      s.spec!.replicas = 1;
    });
    // The claim of ret-1 passes to the Pod before the Pod goes, and goes with it.
    await eventually(async () => JSON.stringify((await retClaims()).map((c) => c.metadata.name)) === '["vol-ret-0"]', {
      message: 'vol-ret-1 collected',
      timeoutMs: 15_000,
    });
    expect(await names('ret')).toEqual(['ret-0']);
    // whenDeleted=Delete: the set's deletion takes the remaining claim.
    await h.client.delete(refTo(STATEFUL_SETS, NS, 'ret'));
    await eventually(async () => (await retClaims()).length === 0, { message: 'vol-ret-0 collected', timeoutMs: 15_000 });
  });

  it('OrderedReady waits minReadySeconds of availability between Pods; ordinals.start shifts the names', async () => {
    await h.client.create<StatefulSet>(STATEFUL_SETS, statefulSet('slow', { replicas: 2, minReadySeconds: 1, ordinals: { start: 5 } }));
    await readyStatus('slow', 2);
    expect(await names('slow')).toEqual(['slow-5', 'slow-6']);
    const [first, second] = await pods('slow');
    const readySince = Date.parse(first!.status!.conditions!.find((c) => c.type === 'Ready')!.lastTransitionTime!);
    expect(Date.parse(second!.metadata.creationTimestamp!)).toBeGreaterThanOrEqual(readySince + 1000);
    expect(second!.metadata.labels!['apps.kubernetes.io/pod-index']).toBe('6');
    await eventually(async () => (await get('slow')).status?.availableReplicas === 2, { message: 'both available' });
  });

  it('keeps revisionHistoryLimit old revisions', async () => {
    await h.client.create<StatefulSet>(STATEFUL_SETS, statefulSet('hist', { replicas: 1, revisionHistoryLimit: 1 }));
    await readyStatus('hist', 1);
    for (const image of ['busybox:2', 'busybox:3']) {
      await update('hist', (s) => {
        s.spec!.template.spec!.containers[0]!.image = image;
      });
      await eventually(async () => (await images('hist'))['hist-0'] === image, { message: image, timeoutMs: 15_000 });
      await readyStatus('hist', 1);
    }
    await eventually(async () => JSON.stringify((await revisions('hist')).map((r) => r.revision).sort()) === '[2,3]', { message: 'revisions 2 and 3 kept' });
  });
});
