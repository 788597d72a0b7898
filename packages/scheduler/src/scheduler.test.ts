/**
 * The scheduler against a real API server (embedded store, TLS): Nodes are created by
 * hand (no kubelet here) with Ready=True and allocatable.
 */
import type { Node, Pod } from '@minik8s/api';
import { startTestApiServer, type TestApiServer } from '@minik8s/apiserver/testing';
import type { KubeClient, KubeList } from '@minik8s/client/kube';
import { eventually } from '@minik8s/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningScheduler, startScheduler } from './scheduler.ts';
import { makeNode, makePod, type NodeBuilder } from './testing/fixtures.ts';

const PODS = { version: 'v1', plural: 'pods', namespace: 'default' } as const;
const NODES = { version: 'v1', plural: 'nodes' } as const;

let server: TestApiServer;
let client: KubeClient;
let scheduler: RunningScheduler;

async function createNode(b: NodeBuilder): Promise<void> {
  const node = b.obj();
  const created = await client.create<Node>(NODES, { ...node, status: undefined } as Node);
  await client.updateStatus<Node>({ ...NODES, name: node.metadata!.name }, { ...created, status: node.status });
}

async function createPod(p: Pod): Promise<void> {
  const { status: _s, metadata, ...rest } = p;
  const { uid: _u, ...meta } = metadata!;
  await client.create<Pod>(PODS, { ...rest, metadata: meta } as Pod);
}

const getPod = (name: string) => client.get<Pod>({ ...PODS, name });
const nodeOf = async (name: string) => (await getPod(name)).spec?.nodeName;
const scheduledCondition = async (name: string) => (await getPod(name)).status?.conditions?.find((c) => c.type === 'PodScheduled');

async function eventsFor(name: string): Promise<Array<{ reason: string; message: string; type: string; source?: { component?: string } }>> {
  const list = await client.list<never>({ version: 'v1', plural: 'events', namespace: 'default' });
  return (list.items as unknown as Array<{ involvedObject: { name: string }; reason: string; message: string; type: string }>).filter(
    (e) => e.involvedObject.name === name,
  );
}

beforeAll(async () => {
  server = await startTestApiServer();
  client = server.client;
  await createNode(makeNode().name('node-a').cpu('4').memory('8Gi'));
  await createNode(makeNode().name('node-b').cpu('4').memory('8Gi'));
  scheduler = await startScheduler({ client, podInitialBackoffMs: 100, podMaxBackoffMs: 500 });
});

afterAll(async () => {
  await scheduler?.stop();
  await server?.close();
});

describe('scheduler', () => {
  it('spreads 3 replicas of one ReplicaSet 2/1 over 2 nodes and records Scheduled', async () => {
    for (const n of ['web-1', 'web-2', 'web-3']) await createPod(makePod().name(n).owner('rs-web-uid', 'ReplicaSet', 'web').labels({ app: 'web' }).obj());
    const nodes = await eventually(
      async () => {
        const ns = await Promise.all(['web-1', 'web-2', 'web-3'].map(nodeOf));
        return ns.every(Boolean) && (ns as string[]);
      },
      { message: '3 pods bound' },
    );
    const counts = [nodes.filter((n) => n === 'node-a').length, nodes.filter((n) => n === 'node-b').length].sort();
    expect(counts).toEqual([1, 2]);
    expect(await scheduledCondition('web-1')).toMatchObject({ status: 'True' });
    const ev = await eventually(async () => (await eventsFor('web-1')).find((e) => e.reason === 'Scheduled'), { message: 'Scheduled event' });
    expect(ev).toMatchObject({ type: 'Normal', message: `Successfully assigned default/web-1 to ${nodes[0]}`, source: { component: 'default-scheduler' } });
  });

  it('marks a Pod too big for every node Unschedulable, then schedules it when a big node joins', async () => {
    await createPod(makePod().name('huge').cpu('8').obj());
    const want = '0/2 nodes are available: 2 Insufficient cpu. preemption: 0/2 nodes are available: 2 No preemption victims found for incoming pod..';
    const cond = await eventually(
      async () => {
        const c = await scheduledCondition('huge');
        return c?.status === 'False' && c;
      },
      { message: 'PodScheduled=False' },
    );
    expect(cond).toMatchObject({ type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message: want });
    const ev = await eventually(async () => (await eventsFor('huge')).find((e) => e.reason === 'FailedScheduling'), { message: 'FailedScheduling event' });
    expect(ev).toMatchObject({ type: 'Warning', message: want });

    await createNode(makeNode().name('node-big').cpu('16').memory('32Gi'));
    expect(await eventually(() => nodeOf('huge'), { message: 'huge bound' })).toBe('node-big');
    expect(await scheduledCondition('huge')).toMatchObject({ status: 'True' });
    await client.delete({ ...NODES, name: 'node-big' });
    await eventually(async () => !scheduler.cache.nodeInfos().some((n) => n.name === 'node-big'), { message: 'node-big gone from the cache' });
  });

  it('follows nodeSelector, waiting for a node to get the label', async () => {
    await createPod(makePod().name('ssd').nodeSelector({ disk: 'ssd' }).obj());
    const c = await eventually(
      async () => {
        const c = await scheduledCondition('ssd');
        return c?.status === 'False' && c;
      },
      { message: 'PodScheduled=False' },
    );
    expect(c.message).toBe(
      "0/2 nodes are available: 2 node(s) didn't match Pod's node affinity/selector. preemption: 0/2 nodes are available: 2 Preemption is not helpful for scheduling..",
    );
    await client.patch({ ...NODES, name: 'node-b' }, { metadata: { labels: { disk: 'ssd' } } }, { type: 'merge' });
    expect(await eventually(() => nodeOf('ssd'), { message: 'ssd bound' })).toBe('node-b');
  });

  it('keeps Pods off tainted nodes unless they tolerate the taint', async () => {
    await client.patch({ ...NODES, name: 'node-a' }, { spec: { taints: [{ key: 'dedicated', value: 'gpu', effect: 'NoSchedule' }] } }, { type: 'merge' });
    await eventually(async () => !!scheduler.cache.nodeInfo('node-a')?.node?.spec?.taints?.length, { message: 'taint seen' });
    for (const n of ['plain-1', 'plain-2', 'plain-3']) await createPod(makePod().name(n).obj());
    await createPod(
      makePod()
        .name('tolerant')
        .nodeSelector({ 'kubernetes.io/hostname': 'node-a' })
        .toleration({ key: 'dedicated', operator: 'Equal', value: 'gpu', effect: 'NoSchedule' })
        .obj(),
    );
    await createPod(makePod().name('intolerant').nodeSelector({ 'kubernetes.io/hostname': 'node-a' }).obj());
    for (const n of ['plain-1', 'plain-2', 'plain-3']) expect(await eventually(() => nodeOf(n), { message: `${n} bound` })).toBe('node-b');
    expect(await eventually(() => nodeOf('tolerant'), { message: 'tolerant bound' })).toBe('node-a');
    const c = await eventually(
      async () => {
        const c = await scheduledCondition('intolerant');
        return c?.status === 'False' && c;
      },
      { message: 'intolerant unschedulable' },
    );
    expect(c.message).toBe(
      "0/2 nodes are available: 1 node(s) didn't match Pod's node affinity/selector, 1 node(s) had untolerated taint {dedicated: gpu}. preemption: 0/2 nodes are available: 2 Preemption is not helpful for scheduling..",
    );
    await client.patch({ ...NODES, name: 'node-a' }, { spec: { taints: null } }, { type: 'merge' });
    expect(await eventually(() => nodeOf('intolerant'), { message: 'intolerant bound once the taint is gone' })).toBe('node-a');
  });

  it('binds a burst of 30 Pods within seconds without overcommitting a node', async () => {
    const started = Date.now();
    await Promise.all(Array.from({ length: 30 }, (_, i) => createPod(makePod().name(`burst-${i}`).labels({ burst: 'yes' }).cpu('300m').obj())));
    // 2 nodes × 4 CPUs hold 13 Pods of 300m each: 26 fit, 4 do not.
    const list = await eventually(
      async () => {
        const l = await client.list<Pod>(PODS, { labelSelector: 'burst=yes' });
        const bound = l.items.filter((p) => p.spec?.nodeName).length;
        const unschedulable = l.items.filter((p) => p.status?.conditions?.some((c) => c.type === 'PodScheduled' && c.status === 'False')).length;
        return bound === 26 && unschedulable === 4 && l;
      },
      { message: '26 bound, 4 unschedulable', timeoutMs: 15_000 },
    );
    expect(Date.now() - started).toBeLessThan(8000);
    const perNode = new Map<string, number>();
    for (const p of (list as KubeList<Pod>).items) if (p.spec?.nodeName) perNode.set(p.spec.nodeName, (perNode.get(p.spec.nodeName) ?? 0) + 1);
    expect(Object.fromEntries(perNode)).toEqual({ 'node-a': 13, 'node-b': 13 });
    const waiting = (list as KubeList<Pod>).items.find((p) => !p.spec?.nodeName)!;
    expect(waiting.status?.conditions?.find((c) => c.type === 'PodScheduled')?.message).toBe(
      '0/2 nodes are available: 2 Insufficient cpu. preemption: 0/2 nodes are available: 2 No preemption victims found for incoming pod..',
    );
    // A finished Pod frees its share: one waiting Pod gets its place.
    const done = (list as KubeList<Pod>).items.find((p) => p.spec?.nodeName === 'node-a')!;
    const cur = await getPod(done.metadata!.name!);
    await client.updateStatus<Pod>({ ...PODS, name: done.metadata!.name! }, { ...cur, status: { ...cur.status, phase: 'Succeeded' } });
    await eventually(
      async () => {
        const l = await client.list<Pod>(PODS, { labelSelector: 'burst=yes' });
        return l.items.filter((p) => p.spec?.nodeName === 'node-a').length === 14;
      },
      { message: 'a waiting Pod takes the freed place' },
    );
  });
});
