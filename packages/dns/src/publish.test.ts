import type { Service } from '@minik8s/api';
import { startTestApiServer, type TestApiServer } from '@minik8s/apiserver/testing';
import type { KubeClient } from '@minik8s/client/kube';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { publishService } from './publish.ts';

let api: TestApiServer;
let client: KubeClient;
beforeAll(async () => {
  api = await startTestApiServer();
  client = api.client;
}, 60_000);
afterAll(async () => {
  await api?.close();
});

describe('publishService', () => {
  it('keeps a selector-less kube-dns Service at the fixed IP and an EndpointSlice naming this server', async () => {
    const o = { service: 'kube-system/kube-dns', clusterIP: '10.96.0.10', address: '10.244.0.6', port: 53 };
    await publishService(client, o);
    await publishService(client, { ...o, address: '10.244.0.7' }); // a restart on another address
    const svc = await client.get<Service>({ version: 'v1', plural: 'services', namespace: 'kube-system', name: 'kube-dns' });
    expect(svc.spec?.clusterIP).toBe('10.96.0.10');
    expect(svc.spec?.selector).toBeUndefined();
    expect(svc.spec?.ports?.map((p) => `${p.name} ${p.protocol} ${p.port}`)).toEqual(['dns UDP 53', 'dns-tcp TCP 53']);
    const slices = await client.list<{ metadata: { name: string }; endpoints?: Array<{ addresses: string[] }> }>(
      { group: 'discovery.k8s.io', version: 'v1', plural: 'endpointslices', namespace: 'kube-system' },
      { labelSelector: 'kubernetes.io/service-name=kube-dns' },
    );
    expect(slices.items).toHaveLength(1);
    expect(slices.items[0]?.endpoints?.map((e) => e.addresses[0])).toEqual(['10.244.0.7']);
  });
});
