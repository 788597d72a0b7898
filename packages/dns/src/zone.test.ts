/** The zone's edge cases with plain objects for data: IPv6, apex, CNAME chains, an unsynced cache. */
import type { Service } from '@minik8s/api';
import { describe, expect, it } from 'vitest';
import { type ClusterData, clusterIPs, type EndpointSlice, publishedEndpoints } from './cluster-state.ts';
import { canonicalIp } from './internal/names.ts';
import { ClusterZone } from './zone.ts';

const svc = (name: string, spec: Service['spec'], namespace = 'default'): Service => ({ metadata: { name, namespace }, spec });

function data(services: Service[], slices: Record<string, EndpointSlice[]> = {}, o: { synced?: boolean; namespaces?: string[] } = {}): ClusterData {
  const find = (ns: string, name: string) => services.find((s) => s.metadata.namespace === ns && s.metadata.name === name);
  const endpoints = (s: Service) => publishedEndpoints(s, slices[`${s.metadata.namespace}/${s.metadata.name}`] ?? []);
  return {
    synced: () => o.synced ?? true,
    namespaceExists: (ns) => (o.namespaces ?? ['default', 'kube-system']).includes(ns),
    service: find,
    endpoints,
    servicesByClusterIP: (ip) => services.filter((s) => clusterIPs(s).some((c) => canonicalIp(c) === ip)),
    endpointsByIP: (ip) =>
      services.flatMap((service) =>
        endpoints(service)
          .filter((e) => canonicalIp(e.ip) === ip)
          .map((endpoint) => ({ service, endpoint })),
      ),
    serial: () => 42,
  };
}

let sliceCount = 0;
const slice = (
  endpoints: EndpointSlice['endpoints'],
  addressType: EndpointSlice['addressType'] = 'IPv4',
  ports: EndpointSlice['ports'] = [],
): EndpointSlice => ({
  metadata: { name: `s-${sliceCount++}` },
  addressType,
  endpoints,
  ports,
});

describe('ClusterZone', () => {
  it('answers AAAA for a dual-stack Service and A/AAAA for IPv6 endpoints and pods', () => {
    const zone = new ClusterZone(
      data([svc('dual', { clusterIP: '10.96.0.20', clusterIPs: ['10.96.0.20', 'fd00:96::20'], ports: [{ port: 80 }] }), svc('h6', { clusterIP: 'None' })], {
        'default/h6': [slice([{ addresses: ['fd00:244::5'] }], 'IPv6')],
      }),
    );
    expect(zone.answer('dual.default.svc.cluster.local', 'A')?.answers.map((a) => (a as { data: string }).data)).toEqual(['10.96.0.20']);
    expect(zone.answer('dual.default.svc.cluster.local', 'AAAA')?.answers.map((a) => (a as { data: string }).data)).toEqual(['fd00:96::20']);
    expect(zone.answer('h6.default.svc.cluster.local', 'AAAA')?.answers).toEqual([expect.objectContaining({ type: 'AAAA', data: 'fd00:244::5' })]);
    expect(zone.answer('fd00-244--5.h6.default.svc.cluster.local', 'AAAA')?.answers).toHaveLength(1);
    expect(zone.answer('fd00--7.default.pod.cluster.local', 'AAAA')?.answers).toEqual([expect.objectContaining({ type: 'AAAA', data: 'fd00::7' })]);
    const a = zone.answer('fd00--7.default.pod.cluster.local', 'A')!;
    expect([a.rcode, a.answers.length]).toEqual(['NOERROR', 0]);
    const ptr = zone.answer('0.2.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.6.9.0.0.0.0.d.f.ip6.arpa', 'PTR');
    expect(ptr?.answers).toEqual([expect.objectContaining({ type: 'PTR', data: 'dual.default.svc.cluster.local' })]);
  });

  it('answers SOA and NS at the apex, and leaves unknown reverse names and other zones alone', () => {
    const zone = new ClusterZone(data([]), { domain: 'example.internal', ttl: 30 });
    const soa = zone.answer('Example.Internal', 'SOA')!;
    expect(soa.answers).toEqual([
      expect.objectContaining({ name: 'Example.Internal', type: 'SOA', ttl: 30, data: expect.objectContaining({ serial: 42, minimum: 30 }) }),
    ]);
    expect(zone.answer('example.internal', 'NS')?.answers).toEqual([expect.objectContaining({ type: 'NS', data: 'ns.dns.example.internal' })]);
    expect(zone.answer('web.default.svc.cluster.local', 'A')).toBeUndefined();
    expect(zone.answer('4.3.2.1.in-addr.arpa', 'PTR')).toBeUndefined();
    expect(zone.answer('example.com', 'A')).toBeUndefined();
  });

  it('follows an ExternalName that points back into the cluster', () => {
    const zone = new ClusterZone(
      data([
        svc('alias', { type: 'ExternalName', externalName: 'web.default.svc.cluster.local.' }),
        svc('web', { clusterIP: '10.96.0.30', ports: [{ port: 80 }] }),
      ]),
    );
    const r = zone.answer('alias.default.svc.cluster.local', 'A')!;
    expect(r.chase).toBeUndefined();
    expect(r.answers.map((a) => a.type)).toEqual(['CNAME', 'A']);
    expect(zone.answer('alias.default.svc.cluster.local', 'CNAME')?.answers.map((a) => a.type)).toEqual(['CNAME']);
    const loop = new ClusterZone(
      data([
        svc('a', { type: 'ExternalName', externalName: 'b.default.svc.cluster.local' }),
        svc('b', { type: 'ExternalName', externalName: 'a.default.svc.cluster.local' }),
      ]),
    );
    expect(loop.answer('a.default.svc.cluster.local', 'A')?.answers.length).toBeLessThan(12);
  });

  it('answers SRV at the Service name for every port, and SERVFAIL instead of NXDOMAIN before the caches sync', () => {
    const services = [svc('web', { clusterIP: '10.96.0.30', ports: [{ port: 80 }, { name: 'https', port: 443 }] })];
    const zone = new ClusterZone(data(services));
    const srv = zone.answer('web.default.svc.cluster.local', 'SRV')!.answers.map((a) => (a as { data: { port: number; weight: number } }).data);
    expect(srv).toEqual([expect.objectContaining({ port: 80, weight: 50 }), expect.objectContaining({ port: 443, weight: 50 })]);
    expect(new ClusterZone(data(services, {}, { synced: false })).answer('nope.default.svc.cluster.local', 'A')?.rcode).toBe('SERVFAIL');
  });

  it('skips FQDN slices and merges the ports of an address that appears in several slices', () => {
    const headless = svc('h', { clusterIP: 'None' });
    const eps = publishedEndpoints(headless, [
      slice([{ addresses: ['10.0.0.1'] }], 'IPv4', [{ name: 'a', port: 1, protocol: 'TCP' }]),
      slice([{ addresses: ['10.0.0.1'] }], 'IPv4', [{ name: 'b', port: 2, protocol: 'UDP' }]),
      slice([{ addresses: ['example.com'] }], 'FQDN'),
    ]);
    expect(eps).toEqual([
      { ip: '10.0.0.1', hostname: '10-0-0-1', ports: [expect.objectContaining({ name: 'a' }), expect.objectContaining({ name: 'b', protocol: 'udp' })] },
    ]);
  });
});
