import type { KubeObject, Pod, Toleration } from '@minik8s/api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApiServer, type TestApiServer } from './testing/cluster.ts';

const PODS = { version: 'v1', plural: 'pods', namespace: 'default' } as const;
const pod = (name: string, tolerations?: Toleration[]) => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name },
  spec: { containers: [{ name: 'c', image: 'busybox' }], ...(tolerations ? { tolerations } : {}) },
});

describe('DefaultTolerationSeconds admission', () => {
  let s: TestApiServer;
  let tuned: TestApiServer;
  beforeAll(async () => {
    [s, tuned] = await Promise.all([
      startTestApiServer(),
      startTestApiServer({ admission: { defaultTolerationSeconds: { notReadySeconds: 7, unreachableSeconds: 9 } } }),
    ]);
  });
  afterAll(async () => {
    await Promise.all([s?.close(), tuned?.close()]);
  });

  it('adds not-ready and unreachable NoExecute tolerations for 300 s to a new Pod', async () => {
    const p = await s.client.create<Pod & KubeObject>(PODS, pod('plain') as never);
    expect(p.spec?.tolerations).toEqual([
      { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
      { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
    ]);
  });

  it('keeps the Pod’s own tolerations and adds only what they do not cover', async () => {
    const own = [
      { key: 'gpu', operator: 'Exists', effect: 'NoSchedule' },
      { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 30 },
    ];
    const p = await s.client.create<Pod & KubeObject>(PODS, pod('own', own) as never);
    expect(p.spec?.tolerations).toEqual([...own, { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 }]);
    // Tolerating every taint (empty key, Exists) covers both.
    const all = await s.client.create<Pod & KubeObject>(PODS, pod('all', [{ operator: 'Exists' }]) as never);
    expect(all.spec?.tolerations).toEqual([{ operator: 'Exists' }]);
  });

  it('takes the seconds from --default-not-ready-toleration-seconds and --default-unreachable-toleration-seconds', async () => {
    const p = await tuned.client.create<Pod & KubeObject>(PODS, pod('tuned') as never);
    expect(p.spec?.tolerations?.map((t) => [t.key, t.tolerationSeconds])).toEqual([
      ['node.kubernetes.io/not-ready', 7],
      ['node.kubernetes.io/unreachable', 9],
    ]);
  });
});
