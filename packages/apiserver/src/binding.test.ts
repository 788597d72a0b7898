import * as k8s from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApiServer, type TestApiServer } from './testing/cluster.ts';

describe('pods/binding', () => {
  let s: TestApiServer;
  let core: k8s.CoreV1Api;
  beforeAll(async () => {
    s = await startTestApiServer();
    const kc = new k8s.KubeConfig();
    kc.loadFromFile(s.kubeconfigPath);
    core = kc.makeApiClient(k8s.CoreV1Api);
  });
  afterAll(async () => {
    await s?.close();
  });

  it('assigns a pod to a node once, marking it scheduled', async () => {
    await core.createNamespacedPod({ namespace: 'default', body: { metadata: { name: 'b' }, spec: { containers: [{ name: 'c', image: 'busybox' }] } } });
    const body = { metadata: { name: 'b' }, target: { apiVersion: 'v1', kind: 'Node', name: 'node-1' } };
    await core.createNamespacedPodBinding({ namespace: 'default', name: 'b', body });
    const pod = await core.readNamespacedPod({ namespace: 'default', name: 'b' });
    expect(pod.spec?.nodeName).toBe('node-1');
    expect(pod.status?.conditions).toEqual([expect.objectContaining({ type: 'PodScheduled', status: 'True' })]);
    const again = await core
      .createNamespacedPodBinding({ namespace: 'default', name: 'b', body: { ...body, target: { ...body.target, name: 'node-2' } } })
      .catch((e: unknown) => e);
    expect((again as { code?: number }).code).toBe(409);
    expect((await core.readNamespacedPod({ namespace: 'default', name: 'b' })).spec?.nodeName).toBe('node-1');
  });
});
