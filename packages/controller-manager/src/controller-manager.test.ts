/** Selecting controllers, and leader election on the Lease kube-system/kube-controller-manager. */
import type { KubeObject } from '@minik8s/api';
import { startTestApiServer, type TestApiServer } from '@minik8s/apiserver/testing';
import type { KubeClient } from '@minik8s/client/kube';
import { eventually } from '@minik8s/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runControllerManager, selectControllers } from './controller-manager.ts';

describe('selectControllers', () => {
  it('knows upstream names and short aliases, * and -name', () => {
    const all = [
      'replicaset-controller',
      'deployment-controller',
      'garbage-collector-controller',
      'endpointslice-controller',
      'endpoint-controller',
      'service-lb-controller',
      'disruption-controller',
      'cronjob-controller',
      'job-controller',
      'ttl-after-finished-controller',
      'daemonset-controller',
      'statefulset-controller',
      'node-lifecycle-controller',
      'taint-eviction-controller',
      'pod-garbage-collector-controller',
    ];
    expect(selectControllers(['*'])).toEqual(all);
    expect(selectControllers(['*,-garbagecollector'])).toEqual(all.filter((c) => c !== 'garbage-collector-controller'));
    expect(selectControllers(['deployment', 'replicaset-controller'])).toEqual(['replicaset-controller', 'deployment-controller']);
    expect(selectControllers(['job', 'ttl-after-finished'])).toEqual(['job-controller', 'ttl-after-finished-controller']);
    expect(selectControllers(['statefulset'])).toEqual(['statefulset-controller']);
    expect(() => selectControllers(['nope'])).toThrow(/"nope" is not in the list of known controllers/);
  });
});

describe('runControllerManager', () => {
  let server: TestApiServer;
  let client: KubeClient;
  beforeAll(async () => {
    server = await startTestApiServer();
    client = server.client;
  });
  afterAll(async () => {
    await server?.close();
  });

  it('takes the Lease, runs the controllers, and hands the Lease back on stop', async () => {
    const cm = runControllerManager({ client, controllers: ['replicaset'], leaderElection: { identity: 'test-1' } });
    const lease = await eventually(
      () =>
        client.get<KubeObject & { spec?: { holderIdentity?: string } }>({
          group: 'coordination.k8s.io',
          version: 'v1',
          plural: 'leases',
          namespace: 'kube-system',
          name: 'kube-controller-manager',
        }),
      { message: 'the Lease' },
    );
    expect(lease.spec?.holderIdentity).toBe('test-1');
    await client.create(
      { group: 'apps', version: 'v1', plural: 'replicasets', namespace: 'default' },
      {
        apiVersion: 'apps/v1',
        kind: 'ReplicaSet',
        metadata: { name: 'le' },
        spec: {
          replicas: 1,
          selector: { matchLabels: { app: 'le' } },
          template: { metadata: { labels: { app: 'le' } }, spec: { containers: [{ name: 'c', image: 'busybox' }] } },
        },
      },
    );
    await eventually(async () => (await client.list({ version: 'v1', plural: 'pods', namespace: 'default' }, { labelSelector: 'app=le' })).items.length === 1, {
      message: 'a pod',
    });
    await cm.stop();
    const after = await client.get<KubeObject & { spec?: { holderIdentity?: string } }>({
      group: 'coordination.k8s.io',
      version: 'v1',
      plural: 'leases',
      namespace: 'kube-system',
      name: 'kube-controller-manager',
    });
    expect(after.spec?.holderIdentity ?? '').toBe('');
  });
});
