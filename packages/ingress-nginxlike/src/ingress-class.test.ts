import { startTestApiServer, type TestApiServer } from '@minik8s/apiserver/testing';
import type { KubeClient, KubeObject } from '@minik8s/client/kube';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_CLASS_ANNOTATION, ensureIngressClass } from './ingress-class.ts';

let api: TestApiServer;
let client: KubeClient;
beforeAll(async () => {
  api = await startTestApiServer();
  client = api.client;
});
afterAll(async () => {
  await api?.close();
});

describe('ensureIngressClass', () => {
  it('creates the class as the default one, once, and leaves an existing one alone', async () => {
    expect(await ensureIngressClass(client, 'nginx', 'k8s.io/ingress-nginx')).toBe('created');
    const ref = { group: 'networking.k8s.io', version: 'v1', plural: 'ingressclasses', name: 'nginx' };
    const cls = await client.get<KubeObject & { spec?: { controller?: string } }>(ref);
    expect(cls.metadata.annotations?.[DEFAULT_CLASS_ANNOTATION]).toBe('true');
    expect(cls.spec?.controller).toBe('k8s.io/ingress-nginx');
    await client.patch(ref, { metadata: { annotations: { [DEFAULT_CLASS_ANNOTATION]: 'false' } } }, { type: 'merge' });
    expect(await ensureIngressClass(client, 'nginx', 'k8s.io/ingress-nginx')).toBe('exists');
    expect((await client.get<KubeObject>(ref)).metadata.annotations?.[DEFAULT_CLASS_ANNOTATION]).toBe('false');
  });
});
