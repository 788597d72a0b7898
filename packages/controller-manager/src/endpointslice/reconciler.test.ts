/** The slice plan on its own: what gets created, updated in place, reused or deleted. */
import type { Node, Pod, Service } from '@minik8s/api';
import { describe, expect, it } from 'vitest';
import { planEndpointSlices } from './reconciler.ts';
import type { EndpointSlice } from './types.ts';

const NS = 'ns';
const MANAGED_BY = 'endpointslice-controller.k8s.io';
const node: Node = { metadata: { name: 'n1', labels: { 'topology.kubernetes.io/zone': 'z1' } } };

function service(o: { targetPort?: number | string; publishNotReady?: boolean; clusterIP?: string } = {}): Service {
  return {
    metadata: { name: 'web', namespace: NS, uid: 'svc-uid', labels: { team: 'a' } },
    spec: {
      selector: { app: 'web' },
      clusterIP: o.clusterIP ?? '10.96.0.20',
      ipFamilies: ['IPv4'],
      ports: [{ name: 'http', port: 80, protocol: 'TCP', targetPort: o.targetPort ?? 8080 }],
      ...(o.publishNotReady ? { publishNotReadyAddresses: true } : {}),
    },
  };
}

function pod(i: number, o: { ready?: boolean; deleting?: boolean; port?: number; phase?: string; nodeName?: string } = {}): Pod {
  return {
    metadata: {
      name: `p${String(i).padStart(3, '0')}`,
      namespace: NS,
      uid: `uid-${i}`,
      labels: { app: 'web' },
      ...(o.deleting ? { deletionTimestamp: '2026-01-01T00:00:00Z' } : {}),
    },
    spec: { nodeName: o.nodeName ?? 'n1', containers: [{ name: 'c', image: 'x', ports: [{ name: 'web', containerPort: o.port ?? 8080, protocol: 'TCP' }] }] },
    status: {
      phase: o.phase ?? 'Running',
      podIP: `10.244.${Math.floor(i / 250)}.${(i % 250) + 1}`,
      conditions: [{ type: 'Ready', status: (o.ready ?? true) ? 'True' : 'False' }],
    },
  };
}

let seq = 0;
/** What the API server would hand back for a planned create. */
function stored(s: EndpointSlice): EndpointSlice {
  const c = structuredClone(s);
  c.metadata.name ??= `${c.metadata.generateName}${String(++seq).padStart(5, '0')}`;
  c.metadata.uid ??= `slice-${seq}`;
  c.metadata.resourceVersion = String(seq);
  return c;
}

const plan = (svc: Service, pods: Pod[], existing: EndpointSlice[] = [], max = 100) =>
  planEndpointSlices({ service: svc, pods, existing, node: (n) => (n === 'n1' ? node : undefined), maxEndpointsPerSlice: max, managedBy: MANAGED_BY });

describe('planEndpointSlices', () => {
  it('makes one slice for a Service and its Pods, with the upstream shape', () => {
    const p = plan(service(), [pod(1), pod(2, { ready: false }), pod(3, { deleting: true })]);
    expect(p.update).toEqual([]);
    expect(p.delete).toEqual([]);
    expect(p.create).toHaveLength(1);
    const s = p.create[0]!;
    expect(s.metadata).toEqual({
      generateName: 'web-',
      namespace: NS,
      labels: { team: 'a', 'kubernetes.io/service-name': 'web', 'endpointslice.kubernetes.io/managed-by': MANAGED_BY },
      ownerReferences: [{ apiVersion: 'v1', kind: 'Service', name: 'web', uid: 'svc-uid', controller: true, blockOwnerDeletion: true }],
    });
    expect(s.addressType).toBe('IPv4');
    expect(s.ports).toEqual([{ name: 'http', port: 8080, protocol: 'TCP' }]);
    expect(s.endpoints.map((e) => [e.targetRef?.name, e.conditions])).toEqual([
      ['p001', { ready: true, serving: true, terminating: false }],
      ['p002', { ready: false, serving: false, terminating: false }],
      ['p003', { ready: false, serving: true, terminating: true }],
    ]);
    expect(s.endpoints[0]).toEqual({
      addresses: ['10.244.0.2'],
      conditions: { ready: true, serving: true, terminating: false },
      nodeName: 'n1',
      zone: 'z1',
      targetRef: { kind: 'Pod', namespace: NS, name: 'p001', uid: 'uid-1' },
    });
  });

  it('leaves out terminal Pods and Pods without an IP; publishNotReadyAddresses makes every endpoint ready', () => {
    const noIP = pod(4);
    delete noIP.status!.podIP;
    const p = plan(service({ publishNotReady: true }), [
      pod(1, { ready: false }),
      pod(2, { phase: 'Succeeded' }),
      pod(3, { deleting: true, ready: false }),
      noIP,
    ]);
    expect(p.create[0]!.endpoints.map((e) => [e.targetRef?.name, e.conditions?.ready])).toEqual([
      ['p001', true],
      ['p003', true],
    ]);
  });

  it('skips (and reports) a Pod whose Node is unknown', () => {
    const p = plan(service(), [pod(1), pod(2, { nodeName: 'gone' })]);
    expect(p.create[0]!.endpoints.map((e) => e.targetRef?.name)).toEqual(['p001']);
    expect(p.errors).toEqual(['skipping Pod p002 for Service ns/web: Node gone Not Found']);
  });

  it('writes nothing when the slices are already right, and updates only the slice that changed', () => {
    const pods = Array.from({ length: 150 }, (_, i) => pod(i));
    const first = plan(service(), pods);
    expect(first.create.map((s) => s.endpoints.length)).toEqual([100, 50]);
    const existing = first.create.map(stored);
    expect(plan(service(), pods, existing)).toEqual({ create: [], update: [], delete: [], errors: [] });

    const changed = pods.map((p, i) => (i === 120 ? pod(i, { ready: false }) : p));
    const p = plan(service(), changed, existing);
    expect(p.create).toEqual([]);
    expect(p.delete).toEqual([]);
    expect(p.update.map((s) => s.metadata.name)).toEqual([existing[1]!.metadata.name]);
    expect(p.update[0]!.metadata.resourceVersion).toBe(existing[1]!.metadata.resourceVersion);
    expect(p.update[0]!.endpoints.find((e) => e.targetRef?.name === 'p120')?.conditions?.ready).toBe(false);
  });

  it('puts new endpoints in the unchanged slice they fill best before making a new one', () => {
    const existing = plan(service(), [pod(1)]).create.map(stored);
    const p = plan(service(), [pod(1), pod(2), pod(3)], existing);
    expect(p.create).toEqual([]);
    expect(p.update).toHaveLength(1);
    expect(p.update[0]!.endpoints.map((e) => e.targetRef?.name)).toEqual(['p001', 'p002', 'p003']);
  });

  it('groups Pods by the port their named targetPort resolves to', () => {
    const p = plan(service({ targetPort: 'web' }), [pod(1, { port: 8080 }), pod(2, { port: 9090 }), pod(3, { port: 8080 })]);
    expect(p.create.map((s) => [s.ports, s.endpoints.map((e) => e.targetRef?.name)])).toEqual([
      [[{ name: 'http', port: 8080, protocol: 'TCP' }], ['p001', 'p003']],
      [[{ name: 'http', port: 9090, protocol: 'TCP' }], ['p002']],
    ]);
  });

  it('reuses a slice it would delete for one it would create, and keeps one empty placeholder', () => {
    const existing = plan(service(), [pod(1, { port: 8080 })]).create.map(stored);
    // The only Pod moves to another port: its old slice becomes the new one.
    const moved = plan(service({ targetPort: 'web' }), [pod(1, { port: 9090 })], existing);
    expect(moved.create).toEqual([]);
    expect(moved.delete).toEqual([]);
    expect(moved.update.map((s) => [s.metadata.name, s.ports])).toEqual([[existing[0]!.metadata.name, [{ name: 'http', port: 9090, protocol: 'TCP' }]]]);

    // No Pods at all: the slice is emptied into the placeholder, which then stays as it is.
    const empty = plan(service(), [], existing);
    expect(empty.update.map((s) => [s.metadata.name, s.endpoints, s.ports])).toEqual([[existing[0]!.metadata.name, [], undefined]]);
    const placeholder = stored(empty.update[0]!);
    expect(plan(service(), [], [placeholder])).toEqual({ create: [], update: [], delete: [], errors: [] });
  });

  it('deletes slices of an earlier Service of the same name, and follows label changes', () => {
    const existing = plan(service(), [pod(1)]).create.map(stored);
    const recreated = { ...service(), metadata: { ...service().metadata, uid: 'svc-uid-2' } };
    const p = plan(recreated, [pod(1)], existing);
    expect(p.delete.map((s) => s.metadata.name)).toEqual([existing[0]!.metadata.name]);
    expect(p.create).toHaveLength(1);
    expect(p.create[0]!.metadata.ownerReferences![0]!.uid).toBe('svc-uid-2');

    const relabelled = { ...service(), metadata: { ...service().metadata, labels: { team: 'b' } } };
    const r = plan(relabelled, [pod(1)], existing);
    expect(r.update.map((s) => s.metadata.labels?.team)).toEqual(['b']);
  });

  it('labels the slices of a headless Service', () => {
    const p = plan(service({ clusterIP: 'None' }), [pod(1)]);
    expect(p.create[0]!.metadata.labels).toMatchObject({ 'service.kubernetes.io/headless': '' });
  });
});
