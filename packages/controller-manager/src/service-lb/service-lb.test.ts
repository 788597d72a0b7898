import type { Service } from '@minik8s/api';
import { eventually } from '@minik8s/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, startHarness } from '../testing/harness.ts';

const SERVICES = { version: 'v1', plural: 'services', namespace: 'default' } as const;
const NODES = { version: 'v1', plural: 'nodes' } as const;
let h: Harness;

async function node(name: string, ip: string, ready: boolean): Promise<void> {
  await h.client.create(NODES, { apiVersion: 'v1', kind: 'Node', metadata: { name } } as never);
  await h.client.patch(
    { ...NODES, name, subresource: 'status' },
    { status: { addresses: [{ type: 'InternalIP', address: ip }], conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }] } },
    { type: 'merge' },
  );
}

const lb = (name: string, port: number) =>
  h.client.create<Service & { metadata: { name: string } }>(SERVICES, {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name },
    spec: { type: 'LoadBalancer', selector: { app: name }, ports: [{ port }] },
  } as never);
const ingressOf = async (name: string) => (await h.client.get<Service & { metadata: { name: string } }>({ ...SERVICES, name })).status?.loadBalancer?.ingress;

beforeAll(async () => {
  h = await startHarness(['servicelb']);
  await node('node-a', '10.244.0.12', true);
  await node('node-b', '10.244.0.11', true);
  await node('node-c', '10.244.0.13', false);
}, 60_000);
afterAll(() => h?.close());

describe('service-lb controller', () => {
  it('gives a LoadBalancer Service the addresses of the Ready nodes, with upstream events', async () => {
    await lb('web', 80);
    const ingress = await eventually(() => ingressOf('web'), { message: 'ingress' });
    expect(ingress).toEqual([{ ip: '10.244.0.11' }, { ip: '10.244.0.12' }]);
    const events = await eventually(
      async () => {
        const list = await h.client.list<{ metadata: { name: string }; reason?: string }>(
          { version: 'v1', plural: 'events', namespace: 'default' },
          { fieldSelector: 'involvedObject.name=web' },
        );
        const reasons = list.items.map((e) => e.reason);
        return reasons.includes('EnsuredLoadBalancer') && reasons;
      },
      { message: 'events' },
    );
    expect(events).toContain('EnsuringLoadBalancer');
  });

  it('follows node readiness', async () => {
    await h.client.patch(
      { ...NODES, name: 'node-c', subresource: 'status' },
      { status: { conditions: [{ type: 'Ready', status: 'True' }] } },
      { type: 'merge' },
    );
    await eventually(async () => (await ingressOf('web'))?.length === 3, { message: 'three addresses' });
  });

  it('keeps a second Service on the same port pending until the port is free', async () => {
    await lb('web2', 80);
    await eventually(
      async () => {
        const list = await h.client.list<{ metadata: { name: string }; reason?: string; message?: string }>(
          { version: 'v1', plural: 'events', namespace: 'default' },
          { fieldSelector: 'involvedObject.name=web2' },
        );
        return list.items.find((e) => e.reason === 'SyncLoadBalancerFailed');
      },
      { message: 'a warning' },
    );
    expect(await ingressOf('web2')).toBeUndefined();
    await h.client.delete({ ...SERVICES, name: 'web' });
    await eventually(async () => (await ingressOf('web2'))?.length === 3, { message: 'web2 served' });
  });

  it('clears the status when the Service stops being a LoadBalancer', async () => {
    await h.client.patch({ ...SERVICES, name: 'web2' }, { spec: { type: 'ClusterIP' } }, { type: 'merge' });
    await eventually(async () => !(await ingressOf('web2'))?.length, { message: 'ingress cleared' });
  });
});
