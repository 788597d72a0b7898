/**
 * The EndpointSlice controller against a real API server: what `kubectl get
 * endpointslices` shows as Pods come, turn ready or not, go, and as Services change.
 * No kubelet runs: the tests write Pod status themselves.
 */
import type { KubeObject } from '@minik8s/api';
import type { CoreEvent, KubeList } from '@minik8s/client/kube';
import { eventually } from '@minik8s/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PODS, refTo } from '../internal/resources.ts';
import { createNamespace, type Harness, startHarness } from '../testing/harness.ts';
import { createNode, createPod, createService, dropFinalizers, setPodStatus } from './testing.ts';
import { ENDPOINT_SLICES, type EndpointSlice, SERVICES } from './types.ts';

const NS = 'eps-test';
const MANAGED_BY = 'endpointslice-controller.k8s.io';

describe('EndpointSlice controller', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness(['endpointslice', 'garbagecollector']);
    await createNamespace(h.client, NS);
    await createNode(h.client, 'node-a', 'zone-a');
    await createNode(h.client, 'node-b', 'zone-b');
  });
  afterAll(async () => {
    await h?.close();
  });

  const slices = async (svc: string) =>
    (await h.client.list<EndpointSlice>({ ...ENDPOINT_SLICES, namespace: NS }, { labelSelector: `kubernetes.io/service-name=${svc}` })).items.sort(
      (a, b) => (a.ports?.[0]?.port ?? 0) - (b.ports?.[0]?.port ?? 0),
    );
  /** Every endpoint of the Service's slices, by Pod name. */
  const endpoints = async (svc: string) => {
    const all = (await slices(svc)).flatMap((s) => s.endpoints ?? []);
    return Object.fromEntries(all.map((e) => [e.targetRef!.name!, e]));
  };

  it('lists a ready Pod as a ready endpoint, in a slice owned by the Service', async () => {
    const svc = await createService(h.client, NS, 'web', { selector: { app: 'web' }, labels: { team: 'blue' } });
    const pod = await createPod(h.client, NS, 'web-1', { labels: { app: 'web' }, node: 'node-a' });
    await createPod(h.client, NS, 'web-no-ip', { labels: { app: 'web' }, node: 'node-a' });
    await createPod(h.client, NS, 'other', { labels: { app: 'other' }, node: 'node-a' });
    await setPodStatus(h.client, NS, 'other', '10.244.1.9', true);
    await setPodStatus(h.client, NS, 'web-1', '10.244.1.5', true);

    const [s] = await eventually(
      async () => {
        const l = await slices('web');
        return l.length === 1 && l[0]!.endpoints?.length === 1 && l;
      },
      { message: 'an endpoint for web-1' },
    );
    expect(s!.metadata.name).toMatch(/^web-[a-z0-9]{5}$/);
    expect(s!.metadata.generateName).toBe('web-');
    expect(s!.metadata.labels).toEqual({ team: 'blue', 'kubernetes.io/service-name': 'web', 'endpointslice.kubernetes.io/managed-by': MANAGED_BY });
    expect(s!.metadata.ownerReferences).toEqual([
      { apiVersion: 'v1', kind: 'Service', name: 'web', uid: svc.metadata.uid, controller: true, blockOwnerDeletion: true },
    ]);
    expect(s!.addressType).toBe('IPv4');
    expect(s!.ports).toEqual([{ name: 'http', port: 8080, protocol: 'TCP' }]);
    expect(s!.endpoints).toEqual([
      {
        addresses: ['10.244.1.5'],
        conditions: { ready: true, serving: true, terminating: false },
        nodeName: 'node-a',
        zone: 'zone-a',
        targetRef: { kind: 'Pod', namespace: NS, name: 'web-1', uid: pod.metadata.uid },
      },
    ]);
  });

  it('flips ready and serving to false when the Pod stops being ready, updating the slice in place', async () => {
    const before = (await slices('web'))[0]!;
    await setPodStatus(h.client, NS, 'web-1', '10.244.1.5', false);
    const eps = await eventually(
      async () => {
        const e = await endpoints('web');
        return e['web-1']?.conditions?.ready === false && e;
      },
      { message: 'web-1 not ready' },
    );
    expect(eps['web-1']!.conditions).toEqual({ ready: false, serving: false, terminating: false });
    expect((await slices('web')).map((s) => s.metadata.name)).toEqual([before.metadata.name]);
    await setPodStatus(h.client, NS, 'web-1', '10.244.1.5', true);
    await eventually(async () => (await endpoints('web'))['web-1']?.conditions?.ready === true, { message: 'web-1 ready again' });
  });

  it('shows a Pod being deleted as terminating (serving while still Ready), then drops it', async () => {
    await createPod(h.client, NS, 'web-2', { labels: { app: 'web' }, node: 'node-b', finalizers: ['example.com/hold'], hostname: 'two', subdomain: 'web' });
    await setPodStatus(h.client, NS, 'web-2', '10.244.2.7', true);
    const ready = await eventually(async () => (await endpoints('web'))['web-2'], { message: 'web-2 listed' });
    expect(ready).toMatchObject({
      addresses: ['10.244.2.7'],
      hostname: 'two',
      nodeName: 'node-b',
      zone: 'zone-b',
      conditions: { ready: true, serving: true, terminating: false },
    });

    await h.client.delete(refTo(PODS, NS, 'web-2'), { gracePeriodSeconds: 0 });
    const terminating = await eventually(
      async () => {
        const e = (await endpoints('web'))['web-2'];
        return e?.conditions?.terminating === true && e;
      },
      { message: 'web-2 terminating' },
    );
    expect(terminating.conditions).toEqual({ ready: false, serving: true, terminating: true });

    await dropFinalizers(h.client, NS, 'web-2');
    await eventually(async () => !(await endpoints('web'))['web-2'], { message: 'web-2 gone from the slices' });
    expect(Object.keys(await endpoints('web'))).toEqual(['web-1']);
  });

  it('resolves a named targetPort per Pod: Pods with different port numbers go to different slices', async () => {
    await createService(h.client, NS, 'named', { selector: { app: 'named' }, targetPort: 'web' });
    await createPod(h.client, NS, 'named-a', { labels: { app: 'named' }, node: 'node-a', ports: { web: 8080 } });
    await createPod(h.client, NS, 'named-b', { labels: { app: 'named' }, node: 'node-b', ports: { web: 9090 } });
    await setPodStatus(h.client, NS, 'named-a', '10.244.1.20', true);
    await setPodStatus(h.client, NS, 'named-b', '10.244.2.20', true);
    const l = await eventually(
      async () => {
        const l = await slices('named');
        return l.length === 2 && l.every((s) => s.endpoints?.length === 1) && l;
      },
      { message: 'two slices for named' },
    );
    expect(l.map((s) => [s.ports, s.endpoints.map((e) => e.targetRef?.name)])).toEqual([
      [[{ name: 'http', port: 8080, protocol: 'TCP' }], ['named-a']],
      [[{ name: 'http', port: 9090, protocol: 'TCP' }], ['named-b']],
    ]);

    // Only the slice whose endpoint changed is written again.
    await setPodStatus(h.client, NS, 'named-b', '10.244.2.20', false);
    const after = await eventually(
      async () => {
        const l = await slices('named');
        return l[1]?.endpoints?.[0]?.conditions?.ready === false && l;
      },
      { message: 'named-b not ready' },
    );
    expect(after[0]!.metadata.resourceVersion).toBe(l[0]!.metadata.resourceVersion);
    expect(after[1]!.metadata.name).toBe(l[1]!.metadata.name);
  });

  it('splits more than 100 endpoints into slices of at most 100', async () => {
    await createService(h.client, NS, 'many', { selector: { app: 'many' } });
    const names = Array.from({ length: 120 }, (_, i) => `many-${i}`);
    await Promise.all(names.map((n) => createPod(h.client, NS, n, { labels: { app: 'many' }, node: 'node-a' })));
    await Promise.all(names.map((n, i) => setPodStatus(h.client, NS, n, `10.244.3.${i + 1}`, true)));
    const l = await eventually(
      async () => {
        const l = await slices('many');
        return l.reduce((n, s) => n + (s.endpoints?.length ?? 0), 0) === 120 && l;
      },
      { message: '120 endpoints' },
    );
    expect(l.length).toBe(2);
    for (const s of l) expect(s.endpoints.length).toBeLessThanOrEqual(100);
    const listed = l.flatMap((s) => s.endpoints.map((e) => e.targetRef!.name!)).sort();
    expect(listed).toEqual([...names].sort());
  });

  it('leaves the hand-made EndpointSlice of a Service without a selector alone', async () => {
    await createService(h.client, NS, 'manual');
    const mine = await h.client.create<EndpointSlice>(
      { ...ENDPOINT_SLICES, namespace: NS },
      {
        apiVersion: 'discovery.k8s.io/v1',
        kind: 'EndpointSlice',
        metadata: { name: 'manual-1', namespace: NS, labels: { 'kubernetes.io/service-name': 'manual', 'endpointslice.kubernetes.io/managed-by': 'staff' } },
        addressType: 'IPv4',
        ports: [{ name: 'http', port: 7000, protocol: 'TCP' }],
        endpoints: [{ addresses: ['192.168.0.10'], conditions: { ready: true } }],
      },
    );
    // A Service with a selector and no Pods still gets its (empty) slice; once that shows,
    // the controller has been through the Services made before it.
    await createService(h.client, NS, 'marker', { selector: { app: 'nothing' } });
    const [placeholder] = await eventually(
      async () => {
        const l = await slices('marker');
        return l.length === 1 && l;
      },
      { message: 'the marker slice' },
    );
    expect(placeholder!.endpoints).toEqual([]);
    expect(placeholder!.ports).toBeUndefined();
    const l = await slices('manual');
    expect(l.map((s) => [s.metadata.name, s.metadata.resourceVersion])).toEqual([['manual-1', mine.metadata.resourceVersion]]);
  });

  it('puts back a slice someone deletes', async () => {
    const [old] = await slices('web');
    await h.client.delete(refTo(ENDPOINT_SLICES, NS, old!.metadata.name!));
    const [s] = await eventually(
      async () => {
        const l = await slices('web');
        return l.length === 1 && l[0]!.metadata.uid !== old!.metadata.uid && l;
      },
      { message: 'a new slice for web' },
    );
    expect(s!.endpoints.map((e) => e.targetRef?.name)).toEqual(['web-1']);
  });

  it('removes the slices of a deleted Service', async () => {
    expect((await slices('named')).length).toBe(2);
    await h.client.delete(refTo(SERVICES, NS, 'named'));
    await eventually(async () => (await slices('named')).length === 0, { message: 'no slices for named' });
  });

  it('says why when a Pod cannot be listed (its Node does not exist)', async () => {
    await createService(h.client, NS, 'lost', { selector: { app: 'lost' } });
    await createPod(h.client, NS, 'lost-1', { labels: { app: 'lost' }, node: 'no-such-node' });
    await setPodStatus(h.client, NS, 'lost-1', '10.244.9.9', true);
    const ev = await eventually(
      async () => {
        const l = (await h.client.list<CoreEvent & KubeObject>(
          { version: 'v1', plural: 'events', namespace: NS },
          { fieldSelector: 'involvedObject.name=lost' },
        )) as KubeList<CoreEvent>;
        return l.items.find((e) => e.reason === 'FailedToUpdateEndpointSlices');
      },
      { message: 'a FailedToUpdateEndpointSlices event' },
    );
    expect(ev.type).toBe('Warning');
    expect(ev.message).toBe(
      'Error updating Endpoint Slices for Service eps-test/lost: skipping Pod lost-1 for Service eps-test/lost: Node no-such-node Not Found',
    );
    expect(ev.source.component).toBe('endpointslice-controller');
    expect((await slices('lost')).map((s) => s.endpoints)).toEqual([[]]);
  });
});
