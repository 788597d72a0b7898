/**
 * A StatefulSet's Pods by name: the StatefulSet and EndpointSlice controllers run against
 * a real in-process API server, a stand-in kubelet gives each Pod an IP and makes it
 * Ready, and the DNS server answers `<pod>.<service>.<ns>.svc.cluster.local` from the
 * endpoint `hostname` the slices carry (the Pods' spec.hostname, published because their
 * spec.subdomain names the headless Service).
 */
import { Resolver } from 'node:dns/promises';
import type { KubeObject, Pod, Service } from '@minik8s/api';
import { startTestApiServer, type TestApiServer } from '@minik8s/apiserver/testing';
import { Informer, resourcePath } from '@minik8s/client/kube';
import { type RunningControllerManager, startControllerManager } from '@minik8s/controller-manager';
import { eventually } from '@minik8s/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningDnsServer, startDnsServer } from './server.ts';

const NS = 'default';
const PODS = { version: 'v1', plural: 'pods', namespace: NS } as const;

describe('DNS names of StatefulSet Pods', () => {
  let api: TestApiServer;
  let cm: RunningControllerManager;
  let dns: RunningDnsServer;
  let kubelet: Informer<Pod & KubeObject>;
  beforeAll(async () => {
    api = await startTestApiServer();
    cm = startControllerManager({ client: api.client, controllers: ['statefulset', 'endpointslice'], workers: 2 });
    await cm.synced;
    await api.client.create({ version: 'v1', plural: 'nodes' }, { apiVersion: 'v1', kind: 'Node', metadata: { name: 'n1' } } as KubeObject);
    // The stand-in scheduler and kubelet: pod `<set>-<n>` is bound to n1 and gets 10.244.0.<10+n>, Running and Ready.
    kubelet = new Informer<Pod & KubeObject>(api.client, PODS);
    const start = async (p: Pod & KubeObject) => {
      const ref = { ...PODS, name: p.metadata.name! };
      await api.client.request({
        method: 'POST',
        path: resourcePath({ ...ref, subresource: 'binding' }),
        body: {
          apiVersion: 'v1',
          kind: 'Binding',
          metadata: { name: p.metadata.name!, namespace: NS },
          target: { apiVersion: 'v1', kind: 'Node', name: 'n1' },
        },
      });
      const n = Number(/-(\d+)$/.exec(p.metadata.name!)?.[1] ?? 0);
      const t = `${new Date().toISOString().slice(0, 19)}Z`;
      const ip = `10.244.0.${10 + n}`;
      const fresh = await api.client.get<Pod & KubeObject>(ref);
      const status = { phase: 'Running', podIP: ip, podIPs: [{ ip }], conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: t }] };
      await api.client.updateStatus(ref, { ...fresh, status } as Pod & KubeObject);
    };
    kubelet.addEventHandler({ onAdd: (p) => void start(p).catch(() => {}) });
    kubelet.start();
    dns = await startDnsServer({ client: api.client, address: '127.0.0.1', port: 0, upstream: [] });
  });
  afterAll(async () => {
    await dns?.stop();
    await kubelet?.stop();
    await cm?.stop();
    await api?.close();
  });

  const resolve = async (name: string): Promise<string[]> => {
    const r = new Resolver({ timeout: 1000, tries: 1 });
    r.setServers([`127.0.0.1:${dns.port}`]);
    return r.resolve4(name).then(
      (ips) => ips.sort(),
      () => [],
    );
  };

  it('answers each Pod by <pod>.<service>.<ns>.svc.cluster.local once it is Ready', async () => {
    await api.client.create<Service>({ version: 'v1', plural: 'services', namespace: NS }, {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'web' },
      spec: { clusterIP: 'None', selector: { app: 'web' }, ports: [{ name: 'http', port: 80 }] },
    } as Service);
    await api.client.create({ group: 'apps', version: 'v1', plural: 'statefulsets', namespace: NS }, {
      apiVersion: 'apps/v1',
      kind: 'StatefulSet',
      metadata: { name: 'web' },
      spec: {
        serviceName: 'web',
        replicas: 2,
        selector: { matchLabels: { app: 'web' } },
        template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: 'minik8s/echo:v1' }] } },
      },
    } as KubeObject);
    for (const [pod, ip] of [
      ['web-0', '10.244.0.10'],
      ['web-1', '10.244.0.11'],
    ]) {
      await eventually(async () => JSON.stringify(await resolve(`${pod}.web.${NS}.svc.cluster.local`)) === JSON.stringify([ip]), {
        message: `${pod} resolves to ${ip}`,
        timeoutMs: 15_000,
      });
    }
    expect(await resolve(`web.${NS}.svc.cluster.local`)).toEqual(['10.244.0.10', '10.244.0.11']);
    expect(await resolve(`web-2.web.${NS}.svc.cluster.local`)).toEqual([]);
  });
});
