import type { KubeObject, Node, Pod } from '@minik8s/api';
import { eventually } from '@minik8s/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { NODES, PODS, refTo } from '../internal/resources.ts';
import { heartbeat } from '../node-lifecycle/testing.ts';
import { createNamespace, type Harness, startHarness } from '../testing/harness.ts';

const QUARANTINE_MS = 1000;
let h: Harness;
let ns: string;
let n = 0;

const exists = (name: string) =>
  h.client.get<Pod & KubeObject>(refTo(PODS, ns, name)).then(
    () => true,
    () => false,
  );

async function makePod(name: string, node?: string, phase?: 'Succeeded' | 'Failed'): Promise<Pod & KubeObject> {
  const pod = await h.client.create<Pod & KubeObject>({ ...PODS, namespace: ns }, {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name },
    spec: { ...(node ? { nodeName: node } : {}), containers: [{ name: 'c', image: 'busybox' }] },
  } as never);
  if (phase) await h.client.updateStatus(refTo(PODS, ns, name, 'status'), { ...pod, status: { ...pod.status, phase } });
  return pod;
}

beforeEach(async () => {
  h = await startHarness(['podgc'], { podGC: { periodMs: 100, quarantineMs: QUARANTINE_MS, terminatedPodThreshold: 2 } });
  ns = `gc-${++n}`;
  await createNamespace(h.client, ns);
  await heartbeat(h.client, 'node-a');
}, 60_000);
afterEach(() => h?.close());

describe('pod garbage collector', () => {
  it('deletes Pods bound to a node that does not exist once the quarantine is over, and keeps those on a node that does', async () => {
    await makePod('on-a', 'node-a');
    const made = Date.now();
    await makePod('orphan', 'gone');
    await new Promise((r) => setTimeout(r, QUARANTINE_MS / 2));
    expect(await exists('orphan')).toBe(true);
    await eventually(async () => !(await exists('orphan')), { timeoutMs: 5000, message: 'orphan deleted' });
    expect(Date.now() - made).toBeGreaterThanOrEqual(QUARANTINE_MS);
    expect(await exists('on-a')).toBe(true);
  });

  it('deletes the oldest terminated Pods beyond --terminated-pod-gc-threshold', async () => {
    await makePod('old-1', 'node-a', 'Succeeded');
    await makePod('old-2', 'node-a', 'Failed');
    await new Promise((r) => setTimeout(r, 1100)); // creationTimestamp has whole seconds
    await makePod('new-1', 'node-a', 'Succeeded');
    await makePod('running', 'node-a');
    await makePod('new-2', 'node-a', 'Failed');
    await eventually(async () => !(await exists('old-1')) && !(await exists('old-2')), { timeoutMs: 5000, message: 'the two oldest deleted' });
    await new Promise((r) => setTimeout(r, 300));
    expect([await exists('new-1'), await exists('new-2'), await exists('running')]).toEqual([true, true, true]);
  });

  it('deletes terminating Pods of a not-Ready node tainted node.kubernetes.io/out-of-service at once', async () => {
    await heartbeat(h.client, 'node-b', 'False');
    await makePod('stuck', 'node-b');
    await h.client.delete(refTo(PODS, ns, 'stuck'));
    // Graceful: a kubelet would finish it, and node-b's will not.
    const p = await h.client.get<Pod & KubeObject>(refTo(PODS, ns, 'stuck'));
    expect(p.metadata.deletionTimestamp).toBeDefined();
    await new Promise((r) => setTimeout(r, 300));
    expect(await exists('stuck')).toBe(true);
    const node = await h.client.get<Node & KubeObject>(refTo(NODES, undefined, 'node-b'));
    await h.client.update(refTo(NODES, undefined, 'node-b'), {
      ...node,
      spec: { ...node.spec, taints: [{ key: 'node.kubernetes.io/out-of-service', value: 'nodeshutdown', effect: 'NoExecute' }] },
    });
    await eventually(async () => !(await exists('stuck')), { timeoutMs: 5000, message: 'terminating Pod removed' });
  });
});
