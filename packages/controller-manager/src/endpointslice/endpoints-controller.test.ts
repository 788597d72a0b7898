/**
 * The Endpoints controller against a real API server: what `kubectl get endpoints -o yaml`
 * shows for a Service as its Pods turn ready, not ready or terminating.
 */
import { eventually } from '@minik8s/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PODS, refTo } from '../internal/resources.ts';
import { createNamespace, type Harness, startHarness } from '../testing/harness.ts';
import { createNode, createPod, createService, dropFinalizers, setPodStatus } from './testing.ts';
import { ENDPOINTS, type Endpoints, SERVICES } from './types.ts';

const NS = 'ep-test';

describe('Endpoints controller', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness(['endpoint']);
    await createNamespace(h.client, NS);
    await createNode(h.client, 'node-a', 'zone-a');
  });
  afterAll(async () => {
    await h?.close();
  });

  const getEndpoints = (name: string) => h.client.get<Endpoints>(refTo(ENDPOINTS, NS, name));
  const uid = async (pod: string) => (await h.client.get(refTo(PODS, NS, pod))).metadata.uid;
  const address = async (pod: string, ip: string) => ({ ip, nodeName: 'node-a', targetRef: { kind: 'Pod', namespace: NS, name: pod, uid: await uid(pod) } });

  it('mirrors ready Pods into addresses and the others into notReadyAddresses', async () => {
    await createService(h.client, NS, 'web', { selector: { app: 'web' }, labels: { team: 'blue' } });
    await createPod(h.client, NS, 'web-1', { labels: { app: 'web' }, node: 'node-a' });
    await createPod(h.client, NS, 'web-2', { labels: { app: 'web' }, node: 'node-a' });
    await setPodStatus(h.client, NS, 'web-1', '10.244.1.1', true);
    await setPodStatus(h.client, NS, 'web-2', '10.244.1.2', false);
    const ep = await eventually(
      async () => {
        const ep = await getEndpoints('web');
        return ep.subsets?.[0]?.addresses?.length === 1 && ep.subsets[0].notReadyAddresses?.length === 1 && ep;
      },
      { message: 'web endpoints with two addresses' },
    );
    expect(ep.metadata.labels).toEqual({ team: 'blue' });
    expect(ep.subsets).toEqual([
      {
        addresses: [await address('web-1', '10.244.1.1')],
        notReadyAddresses: [await address('web-2', '10.244.1.2')],
        ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
      },
    ]);

    await setPodStatus(h.client, NS, 'web-2', '10.244.1.2', true);
    const both = await eventually(
      async () => {
        const ep = await getEndpoints('web');
        return ep.subsets?.[0]?.addresses?.length === 2 && ep;
      },
      { message: 'both ready' },
    );
    expect(both.subsets).toEqual([
      { addresses: [await address('web-1', '10.244.1.1'), await address('web-2', '10.244.1.2')], ports: [{ name: 'http', port: 8080, protocol: 'TCP' }] },
    ]);
  });

  it('leaves a terminating Pod out, unless the Service publishes not-ready addresses', async () => {
    await createService(h.client, NS, 'all', { selector: { app: 'web' }, publishNotReadyAddresses: true });
    await createPod(h.client, NS, 'web-3', { labels: { app: 'web' }, node: 'node-a', finalizers: ['example.com/hold'] });
    await setPodStatus(h.client, NS, 'web-3', '10.244.1.3', false);
    await eventually(async () => (await getEndpoints('all')).subsets?.[0]?.addresses?.length === 3, { message: 'web-3 ready under publishNotReadyAddresses' });
    await eventually(async () => (await getEndpoints('web')).subsets?.[0]?.notReadyAddresses?.length === 1, { message: 'web-3 not ready in web' });

    await h.client.delete(refTo(PODS, NS, 'web-3'), { gracePeriodSeconds: 0 });
    const ep = await eventually(
      async () => {
        const ep = await getEndpoints('web');
        return !ep.subsets?.[0]?.notReadyAddresses && ep;
      },
      { message: 'web-3 gone from web' },
    );
    expect(ep.subsets?.[0]?.addresses?.map((a) => a.targetRef?.name)).toEqual(['web-1', 'web-2']);
    expect((await getEndpoints('all')).subsets?.[0]?.addresses?.map((a) => a.targetRef?.name)).toEqual(['web-1', 'web-2', 'web-3']);
    await dropFinalizers(h.client, NS, 'web-3');
    await eventually(async () => (await getEndpoints('all')).subsets?.[0]?.addresses?.length === 2, { message: 'web-3 gone from all' });
  });

  it('puts Pods whose named targetPort resolves differently into different subsets', async () => {
    await createService(h.client, NS, 'named', { selector: { app: 'named' }, targetPort: 'web' });
    await createPod(h.client, NS, 'named-a', { labels: { app: 'named' }, node: 'node-a', ports: { web: 8080 } });
    await createPod(h.client, NS, 'named-b', { labels: { app: 'named' }, node: 'node-a', ports: { web: 9090 } });
    await setPodStatus(h.client, NS, 'named-a', '10.244.1.20', true);
    await setPodStatus(h.client, NS, 'named-b', '10.244.1.21', true);
    const ep = await eventually(
      async () => {
        const ep = await getEndpoints('named');
        return ep.subsets?.length === 2 && ep;
      },
      { message: 'two subsets' },
    );
    expect(ep.subsets!.map((s) => [s.addresses?.map((a) => a.ip), s.ports?.map((p) => p.port)]).sort()).toEqual([
      [['10.244.1.20'], [8080]],
      [['10.244.1.21'], [9090]],
    ]);
  });

  it('leaves the Endpoints of a Service without a selector alone, and deletes those of a deleted Service', async () => {
    await createService(h.client, NS, 'manual');
    const mine = await h.client.create<Endpoints>(
      { ...ENDPOINTS, namespace: NS },
      {
        apiVersion: 'v1',
        kind: 'Endpoints',
        metadata: { name: 'manual', namespace: NS },
        subsets: [{ addresses: [{ ip: '192.168.0.10' }], ports: [{ port: 7000 }] }],
      },
    );
    await createService(h.client, NS, 'marker', { selector: { app: 'nothing' } });
    const marker = await eventually(() => getEndpoints('marker').catch(() => undefined), { message: 'the marker Endpoints' });
    expect(marker.subsets).toBeUndefined();
    expect((await getEndpoints('manual')).metadata.resourceVersion).toBe(mine.metadata.resourceVersion);

    await h.client.delete(refTo(SERVICES, NS, 'named'));
    await eventually(
      () =>
        getEndpoints('named').then(
          () => false,
          () => true,
        ),
      { message: 'named Endpoints deleted' },
    );
  });
});
