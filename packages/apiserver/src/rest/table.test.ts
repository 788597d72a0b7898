/**
 * The Table cells the server prints for network kinds, as upstream's printers.go words
 * them (kubectl shows these cells verbatim; the kubectl package compares whole tables).
 */
import type { KubeObject, ResourceInfo } from '@minik8s/api';
import { describe, expect, it } from 'vitest';
import { formatEndpoints } from '../registry/core/endpoints.ts';
import { formatLabels } from '../registry/printers.ts';
import { toTable } from './table.ts';

const now = new Date('2026-01-01T00:10:00Z');
const created = '2026-01-01T00:00:00Z';
const info = (group: string, kind: string) => ({ group, kind }) as ResourceInfo;

/** The cells of one object's row, under their column names (`-o wide` ones included). */
function row(group: string, kind: string, o: Record<string, unknown>): Record<string, unknown> {
  const obj = { ...o, metadata: { name: 'x', creationTimestamp: created, ...(o.metadata as object) } } as unknown as KubeObject;
  const t = toTable(info(group, kind), [obj], {}, { now });
  return Object.fromEntries(t.columnDefinitions!.map((c, i) => [c.priority ? `${c.name}*` : c.name, t.rows[0]!.cells[i]]));
}

describe('Table cells for network kinds', () => {
  it('Service: cluster IP, external IPs by type, ports with node ports, the wide Selector', () => {
    const svc = (spec: Record<string, unknown>, status?: unknown) => row('', 'Service', { spec, status });
    expect(
      svc({
        type: 'ClusterIP',
        clusterIP: '10.96.0.9',
        clusterIPs: ['10.96.0.9'],
        ports: [{ port: 80, protocol: 'TCP' }],
        selector: { tier: 'a', app: 'web' },
      }),
    ).toEqual({
      Name: 'x',
      Type: 'ClusterIP',
      'Cluster-IP': '10.96.0.9',
      'External-IP': '<none>',
      'Port(s)': '80/TCP',
      Age: '10m',
      'Selector*': 'app=web,tier=a',
    });
    const np = svc({
      type: 'NodePort',
      clusterIPs: ['None'],
      externalIPs: ['1.2.3.4'],
      ports: [
        { port: 80, nodePort: 30080, protocol: 'TCP' },
        { port: 53, protocol: 'UDP' },
      ],
    });
    expect(np).toMatchObject({ 'Cluster-IP': 'None', 'External-IP': '1.2.3.4', 'Port(s)': '80:30080/TCP,53/UDP', 'Selector*': '<none>' });
    expect(svc({ type: 'LoadBalancer' })).toMatchObject({ 'Cluster-IP': '<none>', 'External-IP': '<pending>', 'Port(s)': '<none>' });
    const lb = svc(
      { type: 'LoadBalancer', externalIPs: ['9.9.9.9'] },
      { loadBalancer: { ingress: [{ ip: '5.5.5.5' }, { hostname: 'lb.example.com' }, { ip: '1.1.1.1' }, { ip: '5.5.5.5' }] } },
    );
    expect(lb['External-IP']).toBe('1.1.1.1,5.5.5.5,lb.example.com,9.9.9.9');
    expect(svc({ type: 'ExternalName', externalName: 'db.example.com' })['External-IP']).toBe('db.example.com');
  });

  it('Endpoints: ip:port pairs, the first three then "+ N more...", <none> without subsets', () => {
    expect(row('', 'Endpoints', {})).toEqual({ Name: 'x', Endpoints: '<none>', Age: '10m' });
    const subsets = [
      {
        addresses: [{ ip: '10.0.0.1' }, { ip: 'fd00::1' }],
        ports: [
          { name: 'http', port: 80 },
          { name: 'https', port: 443 },
        ],
      },
      { addresses: [{ ip: '10.0.0.3' }], ports: [{ name: 'http', port: 80 }] },
    ];
    expect(row('', 'Endpoints', { subsets }).Endpoints).toBe('10.0.0.1:80,[fd00::1]:80,10.0.0.1:443 + 2 more...');
    expect(formatEndpoints(subsets, new Set(['http']))).toBe('10.0.0.1:80,[fd00::1]:80,10.0.0.3:80');
    expect(formatEndpoints([{ addresses: [{ ip: '10.0.0.1' }] }])).toBe('10.0.0.1');
    expect(formatEndpoints([{ notReadyAddresses: [{ ip: '10.0.0.1' }], ports: [{ port: 80 }] }])).toBe('');
  });

  it('EndpointSlice: address type, ports and endpoints, three then "+ N more...", <unset> when empty', () => {
    const endpoints = ['10.0.0.1', '10.0.0.2', '10.0.0.3', '10.0.0.4', '10.0.0.5'].map((a) => ({ addresses: [a] }));
    expect(row('discovery.k8s.io', 'EndpointSlice', { addressType: 'IPv4', ports: [{ name: 'http', port: 80 }, { name: 'named' }, {}], endpoints })).toEqual({
      Name: 'x',
      AddressType: 'IPv4',
      Ports: '80,named,*',
      Endpoints: '10.0.0.1,10.0.0.2,10.0.0.3 + 2 more...',
      Age: '10m',
    });
    const ports = [1, 2, 3, 4].map((port) => ({ port }));
    expect(row('discovery.k8s.io', 'EndpointSlice', { addressType: 'IPv6', ports, endpoints: [] })).toMatchObject({
      Ports: '1,2,3 + 1 more...',
      Endpoints: '<unset>',
    });
    expect(row('discovery.k8s.io', 'EndpointSlice', { addressType: 'FQDN' })).toMatchObject({ Ports: '<unset>', Endpoints: '<unset>' });
  });

  it('Ingress: class, hosts (empty ones left out, * when none), sorted addresses, ports by TLS', () => {
    const ing = (spec: Record<string, unknown>, status?: unknown) => row('networking.k8s.io', 'Ingress', { spec, status });
    expect(ing({ rules: [{ http: {} }] })).toEqual({ Name: 'x', Class: '<none>', Hosts: '*', Address: '', Ports: '80', Age: '10m' });
    const rules = ['a', '', 'b', 'c', 'd'].map((host) => (host ? { host } : {}));
    const status = { loadBalancer: { ingress: [{ ip: '10.0.0.9' }, { hostname: 'lb.local' }, { ip: '10.0.0.10' }] } };
    expect(ing({ ingressClassName: 'nginx', rules, tls: [{ hosts: ['a'] }] }, status)).toMatchObject({
      Class: 'nginx',
      Hosts: 'a,b,c + 2 more...',
      Address: '10.0.0.10,10.0.0.9,lb.local',
      Ports: '80, 443',
    });
  });

  it('formatLabels sorts by key and says <none> for nothing', () => {
    expect(formatLabels({ b: '2', a: '1' })).toBe('a=1,b=2');
    expect(formatLabels(undefined)).toBe('<none>');
  });
});
