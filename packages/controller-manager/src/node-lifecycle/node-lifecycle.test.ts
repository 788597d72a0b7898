import type { Event, KubeObject, Node, Pod, ReplicaSet, Taint, Toleration } from '@minik8s/api';
import { resourcePath } from '@minik8s/client/kube';
import { eventually } from '@minik8s/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { NODES, PODS, REPLICA_SETS, refTo } from '../internal/resources.ts';
import { createNamespace, type Harness, listPods, makeReady, startHarness } from '../testing/harness.ts';
import { heartbeat, keepAlive } from './testing.ts';

const GRACE_MS = 1500;
let h: Harness;
let ns: string;
let n = 0;
let alive: Array<{ stop(): Promise<void> }>;

const getNode = (name: string) => h.client.get<Node & KubeObject>(refTo(NODES, undefined, name));
const ready = (node: Node) => node.status?.conditions?.find((c) => c.type === 'Ready');
const taintsOf = async (name: string) => ((await getNode(name)).spec?.taints ?? []).map((t: Taint) => `${t.key}:${t.effect}`).sort();

async function makePod(name: string, node: string, tolerations?: Toleration[]) {
  const pod = await h.client.create<Pod & KubeObject>({ ...PODS, namespace: ns }, {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, labels: { app: 'x' } },
    spec: { nodeName: node, containers: [{ name: 'c', image: 'busybox' }], ...(tolerations ? { tolerations } : {}) },
  } as never);
  await makeReady(h.client, pod);
  return pod;
}

async function podEvents(name: string): Promise<string[]> {
  const list = await h.client.list<Event & KubeObject>({ version: 'v1', plural: 'events', namespace: ns });
  return list.items.filter((e) => e.involvedObject.name === name).map((e) => `${e.reason} ${e.message}`);
}

beforeEach(async () => {
  h = await startHarness(['nodelifecycle', 'tainteviction', 'replicaset'], { nodeLifecycle: { monitorPeriodMs: 100, gracePeriodMs: GRACE_MS } });
  ns = `nl-${++n}`;
  await createNamespace(h.client, ns);
  await heartbeat(h.client, 'node-a');
  await heartbeat(h.client, 'node-b');
  alive = [keepAlive(h.client, 'node-b')];
}, 60_000);
afterEach(async () => {
  for (const a of alive) await a.stop();
  await h?.close();
});

describe('node lifecycle controller', () => {
  it('marks a node whose Lease and status stop Unknown and unreachable after the grace period, and its Pods not Ready; a renewal clears it', async () => {
    const a = keepAlive(h.client, 'node-a');
    alive.push(a);
    await makePod('p', 'node-a', [{ key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute' }]);
    await new Promise((r) => setTimeout(r, GRACE_MS + 500));
    expect(ready(await getNode('node-a'))?.status).toBe('True');
    expect(await taintsOf('node-a')).toEqual([]);

    await a.stop();
    const stoppedAt = Date.now();
    await eventually(async () => ready(await getNode('node-a'))?.status === 'Unknown', { timeoutMs: 10_000, message: 'node-a Ready Unknown' });
    expect(Date.now() - stoppedAt).toBeGreaterThanOrEqual(GRACE_MS - 300);
    const node = await getNode('node-a');
    for (const type of ['Ready', 'MemoryPressure', 'DiskPressure', 'PIDPressure']) {
      expect(node.status?.conditions?.find((c) => c.type === type)).toMatchObject({
        status: 'Unknown',
        reason: 'NodeStatusUnknown',
        message: 'Kubelet stopped posting node status.',
      });
    }
    await eventually(async () => (await taintsOf('node-a')).length === 2, { timeoutMs: 5000, message: 'taints' });
    expect(await taintsOf('node-a')).toEqual(['node.kubernetes.io/unreachable:NoExecute', 'node.kubernetes.io/unreachable:NoSchedule']);
    expect((await getNode('node-a')).spec?.taints?.find((t) => t.effect === 'NoExecute')?.timeAdded).toMatch(/^\d{4}-.*Z$/);
    // The healthy node is left alone.
    expect(ready(await getNode('node-b'))?.status).toBe('True');
    expect(await taintsOf('node-b')).toEqual([]);
    // Its Pod (tolerating the taint for ever) stays, but not Ready, so Services drop it.
    await eventually(
      async () => {
        const p = await h.client.get<Pod & KubeObject>(refTo(PODS, ns, 'p'));
        return p.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'False';
      },
      { timeoutMs: 5000, message: 'Pod p not Ready' },
    );
    expect(await podEvents('p')).toContain('NodeNotReady Node is not ready');

    alive.push(keepAlive(h.client, 'node-a'));
    await eventually(async () => (await taintsOf('node-a')).length === 0, { timeoutMs: 5000, message: 'taints gone' });
    expect(ready(await getNode('node-a'))?.status).toBe('True');
  });

  it('taints a node that reports Ready False not-ready', async () => {
    await heartbeat(h.client, 'node-a', 'False');
    await eventually(async () => (await taintsOf('node-a')).length === 2, { timeoutMs: 5000, message: 'not-ready taints' });
    expect(await taintsOf('node-a')).toEqual(['node.kubernetes.io/not-ready:NoExecute', 'node.kubernetes.io/not-ready:NoSchedule']);
  });

  it('adds no NoExecute taint when every node is down', async () => {
    await alive[0]!.stop();
    alive = [];
    await eventually(async () => ready(await getNode('node-a'))?.status === 'Unknown' && ready(await getNode('node-b'))?.status === 'Unknown', {
      timeoutMs: 10_000,
      message: 'both Unknown',
    });
    await new Promise((r) => setTimeout(r, 500));
    expect(await taintsOf('node-a')).toEqual(['node.kubernetes.io/unreachable:NoSchedule']);
    expect(await taintsOf('node-b')).toEqual(['node.kubernetes.io/unreachable:NoSchedule']);
  });
});

describe('taint-eviction controller', () => {
  const taint = async (name: string, taints: Taint[]) => {
    const node = await getNode(name);
    await h.client.update(refTo(NODES, undefined, name), { ...node, spec: { ...node.spec, taints } });
  };

  it('deletes a Pod that does not tolerate a NoExecute taint at once, one with tolerationSeconds that long after, and keeps one that tolerates it', async () => {
    alive.push(keepAlive(h.client, 'node-a'));
    await makePod('intolerant', 'node-a');
    await makePod('for-2s', 'node-a', [{ key: 'dedicated', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 2 }]);
    await makePod('forever', 'node-a', [{ key: 'dedicated', operator: 'Exists', effect: 'NoExecute' }]);
    const at = Date.now();
    await taint('node-a', [{ key: 'dedicated', value: 'x', effect: 'NoExecute', timeAdded: new Date(at).toISOString().replace(/\.\d+Z$/, 'Z') }]);
    const deleted = async (name: string) => !!(await h.client.get<Pod & KubeObject>(refTo(PODS, ns, name)).catch(() => undefined))?.metadata.deletionTimestamp;
    await eventually(() => deleted('intolerant'), { timeoutMs: 3000, message: 'intolerant Pod deleted' });
    expect(Date.now() - at).toBeLessThan(1500);
    expect(await deleted('for-2s')).toBe(false);
    const p = await h.client.get<Pod & KubeObject>(refTo(PODS, ns, 'intolerant'));
    expect(p.status?.conditions?.find((c) => c.type === 'DisruptionTarget')).toMatchObject({
      status: 'True',
      reason: 'DeletionByTaintManager',
      message: 'Taint manager: deleting due to NoExecute taint',
    });
    await eventually(async () => (await podEvents('intolerant')).includes(`TaintManagerEviction Marking for deletion Pod ${ns}/intolerant`), {
      message: 'TaintManagerEviction event',
    });
    await eventually(() => deleted('for-2s'), { timeoutMs: 5000, message: 'for-2s deleted' });
    expect(Date.now() - at).toBeGreaterThanOrEqual(1000); // timeAdded is in whole seconds
    await new Promise((r) => setTimeout(r, 500));
    expect(await deleted('forever')).toBe(false);
  });

  it('cancels a scheduled deletion when the taint goes', async () => {
    alive.push(keepAlive(h.client, 'node-a'));
    await makePod('spared', 'node-a', [{ key: 'dedicated', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 3 }]);
    await taint('node-a', [{ key: 'dedicated', effect: 'NoExecute' }]);
    await new Promise((r) => setTimeout(r, 500));
    await taint('node-a', []);
    await eventually(async () => (await podEvents('spared')).includes(`TaintManagerEviction Cancelling deletion of Pod ${ns}/spared`), {
      message: 'cancel event',
    });
    await new Promise((r) => setTimeout(r, 3000));
    expect((await h.client.get<Pod & KubeObject>(refTo(PODS, ns, 'spared'))).metadata.deletionTimestamp).toBeUndefined();
  });

  it('a lost node’s ReplicaSet Pods are deleted after their unreachable tolerationSeconds and replaced', async () => {
    const a = keepAlive(h.client, 'node-a');
    alive.push(a);
    const tolerations = [{ key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 1 }];
    await h.client.create<ReplicaSet & KubeObject>({ ...REPLICA_SETS, namespace: ns }, {
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: { name: 'rs' },
      spec: {
        replicas: 3,
        selector: { matchLabels: { app: 'rs' } },
        template: { metadata: { labels: { app: 'rs' } }, spec: { tolerations, containers: [{ name: 'c', image: 'busybox' }] } },
      },
    } as never);
    await eventually(async () => (await listPods(h.client, ns, 'app=rs')).length === 3, { message: '3 Pods' });
    // Bind them to node-a, as the scheduler would, and make them Ready.
    const first = await listPods(h.client, ns, 'app=rs');
    for (const p of first) {
      await h.client.request({
        method: 'POST',
        path: resourcePath({ ...PODS, namespace: ns, name: p.metadata!.name!, subresource: 'binding' }),
        body: { apiVersion: 'v1', kind: 'Binding', metadata: { name: p.metadata!.name }, target: { apiVersion: 'v1', kind: 'Node', name: 'node-a' } },
      });
      await makeReady(h.client, p);
    }
    await a.stop();
    const lost = Date.now();
    const firstUids = new Set(first.map((p) => p.metadata!.uid));
    await eventually(
      async () => {
        const live = await listPods(h.client, ns, 'app=rs');
        return live.length === 3 && live.every((p) => !firstUids.has(p.metadata!.uid));
      },
      { timeoutMs: 15_000, message: 'three new Pods' },
    );
    // Not before the grace period (the toleration's second counts from the taint's
    // timeAdded, which has whole seconds, so it may be cut short; the test above times it).
    expect(Date.now() - lost).toBeGreaterThanOrEqual(GRACE_MS - 300);
  });
});
