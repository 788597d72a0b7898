/**
 * The DaemonSet controller against a real API server, with Node objects made here and a
 * stand-in kubelet that makes Pods Ready (no scheduler: a Pod's node is the one its
 * required node affinity names). Every DaemonSet selects its own pool of nodes.
 */
import type { ControllerRevision, DaemonSet, Node, Pod } from '@minik8s/api';
import type { CoreEvent, KubeList } from '@minik8s/client/kube';
import { eventually } from '@minik8s/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONTROLLER_REVISION_HASH } from '../internal/history.ts';
import { CONTROLLER_REVISIONS, DAEMON_SETS, NODES, PODS, refTo } from '../internal/resources.ts';
import { createNamespace, fakeKubelet, type Harness, listPods, startHarness } from '../testing/harness.ts';
import { targetNodeName } from './util.ts';

const NS = 'ds-test';

function daemonSet(
  name: string,
  pool: string,
  extra: { spec?: Partial<NonNullable<DaemonSet['spec']>>; podSpec?: Partial<NonNullable<Pod['spec']>> } = {},
): DaemonSet {
  return {
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: { name, namespace: NS },
    spec: {
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: { nodeSelector: { pool }, containers: [{ name: 'c', image: 'busybox:1' }], ...extra.podSpec },
      },
      ...extra.spec,
    },
  } as DaemonSet;
}

describe('DaemonSet controller', () => {
  let h: Harness;
  let kubelet: { stop(): Promise<void> };
  /** Every Pod event the stand-in kubelet saw, for invariants during rollouts. */
  const watchers = new Set<(type: string, p: Pod) => void>();
  beforeAll(async () => {
    h = await startHarness(['daemonset']);
    await createNamespace(h.client, NS);
    kubelet = fakeKubelet(h.client, NS, 30, (t, p) => {
      for (const w of watchers) w(t, p);
    });
  });
  afterAll(async () => {
    await kubelet?.stop();
    await h?.close();
  });

  const node = (name: string, pool: string, more: Partial<NonNullable<Node['spec']>> = {}, labels: Record<string, string> = {}) =>
    h.client.create<Node>(NODES, { apiVersion: 'v1', kind: 'Node', metadata: { name, labels: { pool, ...labels } }, spec: more } as Node);
  const patchNode = async (name: string, change: (n: Node) => void) => {
    const n = await h.client.get<Node>(refTo(NODES, undefined, name));
    change(n);
    await h.client.update(refTo(NODES, undefined, name), n);
  };
  const pods = (app: string) => listPods(h.client, NS, `app=${app}`);
  const getDS = (name: string) => h.client.get<DaemonSet>(refTo(DAEMON_SETS, NS, name));
  const updateDS = (name: string, change: (ds: DaemonSet) => void) =>
    eventually(
      async () => {
        const ds = await getDS(name);
        change(ds);
        return h.client.update(refTo(DAEMON_SETS, NS, name), ds).then(
          () => true,
          () => false,
        );
      },
      { message: `update ${name}` },
    );
  const nodesOf = (ps: Pod[]) => ps.map((p) => targetNodeName(p)).sort();
  const podsOn = (app: string, nodes: string[]) =>
    eventually(
      async () => {
        const ps = await pods(app);
        return JSON.stringify(nodesOf(ps)) === JSON.stringify([...nodes].sort()) && ps;
      },
      { message: `${app} on ${nodes.join(',')}`, timeoutMs: 15_000 },
    );
  const revisions = async (name: string) =>
    (await h.client.list<ControllerRevision>({ ...CONTROLLER_REVISIONS, namespace: NS })).items.filter((r) => r.metadata.ownerReferences?.[0]?.name === name);
  const events = async (name: string) =>
    (
      (await h.client.list<CoreEvent>(
        { version: 'v1', plural: 'events', namespace: NS },
        { fieldSelector: `involvedObject.name=${name}` },
      )) as KubeList<CoreEvent>
    ).items;

  it('runs one Pod per node, tied to it by node affinity, with the daemon tolerations, and reports it', async () => {
    await node('a1', 'a');
    await node('a2', 'a');
    await node('a3', 'a', { unschedulable: true }); // cordoned nodes still run daemons
    const ds = await h.client.create<DaemonSet>(DAEMON_SETS, daemonSet('web', 'a'));
    const ps = await podsOn('web', ['a1', 'a2', 'a3']);
    const [rev] = await eventually(async () => (await revisions('web')).length === 1 && revisions('web'), { message: 'a revision' });
    const hash = rev!.metadata.labels![CONTROLLER_REVISION_HASH]!;
    expect(rev!.metadata.name).toBe(`web-${hash}`);
    expect(rev!.revision).toBe(1);
    expect(rev!.metadata.ownerReferences).toEqual([
      { apiVersion: 'apps/v1', kind: 'DaemonSet', name: 'web', uid: ds.metadata.uid, controller: true, blockOwnerDeletion: true },
    ]);
    expect(rev!.data).toEqual({
      spec: { template: { ...ds.spec!.template, metadata: { creationTimestamp: null, ...ds.spec!.template.metadata }, $patch: 'replace' } },
    });
    for (const p of ps) {
      expect(p.metadata.name).toMatch(/^web-[a-z0-9]{5}$/);
      expect(p.metadata.labels).toMatchObject({ app: 'web', [CONTROLLER_REVISION_HASH]: hash });
      expect(p.metadata.ownerReferences?.[0]).toMatchObject({ kind: 'DaemonSet', name: 'web', controller: true });
      expect(p.spec!.affinity!.nodeAffinity!.requiredDuringSchedulingIgnoredDuringExecution).toEqual({
        nodeSelectorTerms: [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: [targetNodeName(p)] }] }],
      });
      expect(p.spec!.tolerations).toEqual([
        { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute' },
        { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute' },
        { key: 'node.kubernetes.io/disk-pressure', operator: 'Exists', effect: 'NoSchedule' },
        { key: 'node.kubernetes.io/memory-pressure', operator: 'Exists', effect: 'NoSchedule' },
        { key: 'node.kubernetes.io/pid-pressure', operator: 'Exists', effect: 'NoSchedule' },
        { key: 'node.kubernetes.io/unschedulable', operator: 'Exists', effect: 'NoSchedule' },
      ]);
    }
    const status = await eventually(
      async () => {
        const s = (await getDS('web')).status;
        return s?.numberAvailable === 3 && s;
      },
      { message: 'status' },
    );
    expect(status).toEqual({
      currentNumberScheduled: 3,
      numberMisscheduled: 0,
      desiredNumberScheduled: 3,
      numberReady: 3,
      observedGeneration: 1,
      updatedNumberScheduled: 3,
      numberAvailable: 3,
    });
    const evs = await events('web');
    expect(evs.filter((e) => e.reason === 'SuccessfulCreate').map((e) => e.message)).toHaveLength(3);
    expect(evs[0]!.source.component).toBe('daemonset-controller');
  });

  it('follows nodes: a new node gets a Pod, a deleted one loses it, one that stops matching too', async () => {
    await node('a4', 'a');
    await podsOn('web', ['a1', 'a2', 'a3', 'a4']);
    await h.client.delete(refTo(NODES, undefined, 'a4'));
    await podsOn('web', ['a1', 'a2', 'a3']);
    await patchNode('a3', (n) => {
      n.metadata.labels!.pool = 'elsewhere';
    });
    await podsOn('web', ['a1', 'a2']);
    await eventually(async () => (await getDS('web')).status?.desiredNumberScheduled === 2, { message: 'desired 2' });
    expect((await events('web')).some((e) => e.reason === 'SuccessfulDelete' && /^Deleted pod: web-/.test(e.message))).toBe(true);
  });

  it('keeps off tainted nodes unless tolerated; a NoSchedule taint leaves a running Pod (misscheduled), NoExecute evicts it', async () => {
    await node('t1', 't');
    await node('t2', 't', { taints: [{ key: 'dedicated', value: 'gpu', effect: 'NoSchedule' }] });
    await h.client.create<DaemonSet>(DAEMON_SETS, daemonSet('plain', 't'));
    await h.client.create<DaemonSet>(
      DAEMON_SETS,
      daemonSet('tolerant', 't', { podSpec: { tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'gpu', effect: 'NoSchedule' }] } }),
    );
    await podsOn('plain', ['t1']);
    await podsOn('tolerant', ['t1', 't2']);
    await patchNode('t1', (n) => {
      n.spec = { taints: [{ key: 'maintenance', effect: 'NoSchedule' }] };
    });
    await eventually(
      async () => {
        const s = (await getDS('plain')).status;
        return s?.desiredNumberScheduled === 0 && s.numberMisscheduled === 1;
      },
      { message: 'plain: misscheduled 1' },
    );
    expect(nodesOf(await pods('plain'))).toEqual(['t1']);
    await patchNode('t1', (n) => {
      n.spec = { taints: [{ key: 'maintenance', effect: 'NoExecute' }] };
    });
    await podsOn('plain', []);
  });

  it('rolls an update one node at a time (maxUnavailable 1), keeping history', async () => {
    await node('r1', 'r');
    await node('r2', 'r');
    await node('r3', 'r');
    await h.client.create<DaemonSet>(DAEMON_SETS, daemonSet('roll', 'r'));
    await podsOn('roll', ['r1', 'r2', 'r3']);
    await eventually(async () => (await getDS('roll')).status?.numberAvailable === 3, { message: 'available' });
    const live = new Map<string, Pod>();
    for (const p of await pods('roll')) live.set(p.metadata.uid!, p);
    let worst = 0;
    const watch = (t: string, p: Pod) => {
      if (p.metadata.labels?.app !== 'roll') return;
      if (t === 'delete' || p.metadata.deletionTimestamp) live.delete(p.metadata.uid!);
      else live.set(p.metadata.uid!, p);
      const ready = new Set([...live.values()].filter((q) => q.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')).map(targetNodeName));
      worst = Math.max(worst, 3 - ready.size);
    };
    watchers.add(watch);
    await updateDS('roll', (ds) => {
      ds.spec!.template.spec!.containers[0]!.image = 'busybox:2';
    });
    await eventually(
      async () => {
        const ps = await pods('roll');
        const s = (await getDS('roll')).status;
        return ps.length === 3 && ps.every((p) => p.spec!.containers[0]!.image === 'busybox:2') && s?.updatedNumberScheduled === 3 && s.numberAvailable === 3;
      },
      { message: 'rolled to busybox:2', timeoutMs: 20_000 },
    );
    watchers.delete(watch);
    expect(worst).toBe(1);
    const revs = await revisions('roll');
    expect(revs.map((r) => r.revision).sort()).toEqual([1, 2]);
    const current = revs.find((r) => r.revision === 2)!;
    for (const p of await pods('roll')) expect(p.metadata.labels![CONTROLLER_REVISION_HASH]).toBe(current.metadata.labels![CONTROLLER_REVISION_HASH]);
  });

  it('surges with maxSurge 1 and maxUnavailable 0: a new Pod beside the old until it is ready', async () => {
    await node('s1', 's');
    await node('s2', 's');
    await h.client.create<DaemonSet>(
      DAEMON_SETS,
      daemonSet('surge', 's', { spec: { updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } } } }),
    );
    await podsOn('surge', ['s1', 's2']);
    await eventually(async () => (await getDS('surge')).status?.numberAvailable === 2, { message: 'available' });
    const live = new Map<string, Pod>();
    for (const p of await pods('surge')) live.set(p.metadata.uid!, p);
    let maxDoubled = 0;
    let minReadyNodes = 2;
    const watch = (t: string, p: Pod) => {
      if (p.metadata.labels?.app !== 'surge') return;
      if (t === 'delete' || p.metadata.deletionTimestamp) live.delete(p.metadata.uid!);
      else live.set(p.metadata.uid!, p);
      const isReady = (q: Pod) => q.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
      const perNode = new Map<string, Pod[]>();
      for (const q of live.values()) perNode.set(targetNodeName(q)!, [...(perNode.get(targetNodeName(q)!) ?? []), q]);
      // Nodes with a surge Pod that is not ready yet beside the old one: at most maxSurge.
      maxDoubled = Math.max(maxDoubled, [...perNode.values()].filter((ps) => ps.length > 1 && !ps.every(isReady)).length);
      const ready = new Set([...live.values()].filter(isReady).map(targetNodeName));
      minReadyNodes = Math.min(minReadyNodes, ready.size);
    };
    watchers.add(watch);
    await updateDS('surge', (ds) => {
      ds.spec!.template.spec!.containers[0]!.image = 'busybox:2';
    });
    await eventually(
      async () => {
        const ps = await pods('surge');
        return ps.length === 2 && ps.every((p) => p.spec!.containers[0]!.image === 'busybox:2') && (await getDS('surge')).status?.numberAvailable === 2;
      },
      { message: 'surged to busybox:2', timeoutMs: 20_000 },
    );
    watchers.delete(watch);
    expect(maxDoubled).toBe(1);
    expect(minReadyNodes).toBe(2);
  });

  it('OnDelete: the template changes nothing until a Pod is deleted', async () => {
    await node('o1', 'o');
    await node('o2', 'o');
    await h.client.create<DaemonSet>(DAEMON_SETS, daemonSet('ondel', 'o', { spec: { updateStrategy: { type: 'OnDelete' } } }));
    await podsOn('ondel', ['o1', 'o2']);
    await updateDS('ondel', (ds) => {
      ds.spec!.template.spec!.containers[0]!.image = 'busybox:2';
    });
    const status = await eventually(
      async () => {
        const s = (await getDS('ondel')).status;
        return s?.observedGeneration === 2 && s;
      },
      { message: 'generation 2 observed' },
    );
    expect(status.updatedNumberScheduled ?? 0).toBe(0);
    expect((await pods('ondel')).map((p) => p.spec!.containers[0]!.image)).toEqual(['busybox:1', 'busybox:1']);
    const victim = (await pods('ondel')).find((p) => targetNodeName(p) === 'o1')!;
    await h.client.delete(refTo(PODS, NS, victim.metadata.name!));
    const ps = await eventually(
      async () => {
        const ps = await pods('ondel');
        return ps.length === 2 && !ps.some((p) => p.metadata.uid === victim.metadata.uid) && ps;
      },
      { message: 'replacement on o1' },
    );
    const byNode = Object.fromEntries(ps.map((p) => [targetNodeName(p), p.spec!.containers[0]!.image]));
    expect(byNode).toEqual({ o1: 'busybox:2', o2: 'busybox:1' });
    await eventually(async () => (await getDS('ondel')).status?.updatedNumberScheduled === 1, { message: 'updated 1' });
  });

  it('keeps at most revisionHistoryLimit old revisions', async () => {
    await node('h1', 'h');
    await h.client.create<DaemonSet>(DAEMON_SETS, daemonSet('hist', 'h', { spec: { revisionHistoryLimit: 1 } }));
    await podsOn('hist', ['h1']);
    for (const image of ['busybox:2', 'busybox:3']) {
      await updateDS('hist', (ds) => {
        ds.spec!.template.spec!.containers[0]!.image = image;
      });
      await eventually(
        async () => {
          const ps = await pods('hist');
          return ps.length === 1 && ps[0]!.spec!.containers[0]!.image === image && (await getDS('hist')).status?.numberAvailable === 1;
        },
        { message: `rolled to ${image}` },
      );
    }
    await eventually(async () => (await revisions('hist')).length === 2, { message: 'two revisions left' });
    expect((await revisions('hist')).map((r) => r.revision).sort()).toEqual([2, 3]);
  });

  it('counts a ready Pod available only after minReadySeconds', async () => {
    await node('m1', 'm');
    await h.client.create<DaemonSet>(DAEMON_SETS, daemonSet('slow', 'm', { spec: { minReadySeconds: 3 } }));
    await podsOn('slow', ['m1']);
    const early = await eventually(
      async () => {
        const s = (await getDS('slow')).status;
        return s?.numberReady === 1 && s;
      },
      { message: 'ready' },
    );
    expect(early).toMatchObject({ desiredNumberScheduled: 1, numberReady: 1, numberUnavailable: 1 });
    expect(early.numberAvailable).toBeUndefined();
    const later = await eventually(
      async () => {
        const s = (await getDS('slow')).status;
        return s?.numberAvailable === 1 && s;
      },
      { message: 'available', timeoutMs: 10_000 },
    );
    expect(later.numberUnavailable).toBeUndefined();
  });

  it('deletes and replaces a failed daemon Pod', async () => {
    await node('f1', 'f');
    await h.client.create<DaemonSet>(DAEMON_SETS, daemonSet('fail', 'f'));
    const [p] = await podsOn('fail', ['f1']);
    await eventually(async () => (await getDS('fail')).status?.numberReady === 1, { message: 'ready' });
    const fresh = await h.client.get<Pod>(refTo(PODS, NS, p!.metadata.name!));
    await h.client.updateStatus(refTo(PODS, NS, p!.metadata.name!), { ...fresh, status: { ...fresh.status, phase: 'Failed' } } as Pod);
    await eventually(
      async () => {
        const ps = await pods('fail');
        return ps.length === 1 && ps[0]!.metadata.uid !== p!.metadata.uid;
      },
      { message: 'replaced' },
    );
    const ev = (await events('fail')).find((e) => e.reason === 'FailedDaemonPod');
    expect(ev?.type).toBe('Warning');
    expect(ev?.message).toBe(`Found failed daemon pod ${NS}/${p!.metadata.name} on node f1, will try to kill it`);
  });
});
