import { formatResolvConf, type Pod, parseResolvConf } from '@minik8s/api';
import { describe, expect, it } from 'vitest';
import { podResolvConf } from './dns-config.ts';

const host = parseResolvConf('# from the node\nsearch corp.example\nnameserver 127.0.0.11\noptions edns0 ndots:0\n');
const settings = { clusterDNS: ['10.96.0.10'], clusterDomain: 'cluster.local', host };
const pod = (spec: Partial<NonNullable<Pod['spec']>> = {}): Pod => ({ metadata: { name: 'p', namespace: 'shop' }, spec: { containers: [], ...spec } });

describe('podResolvConf', () => {
  it('ClusterFirst: the cluster DNS, the namespace search path then the node one, ndots:5', () => {
    expect(formatResolvConf(podResolvConf(pod(), settings)!)).toBe(
      'search shop.svc.cluster.local svc.cluster.local cluster.local corp.example\nnameserver 10.96.0.10\noptions ndots:5\n',
    );
  });

  it('Default: the node resolver; without dnsConfig the runtime keeps its own file', () => {
    expect(podResolvConf(pod({ dnsPolicy: 'Default' }), settings)).toBeUndefined();
    const r = podResolvConf(pod({ dnsPolicy: 'Default', dnsConfig: { options: [{ name: 'ndots', value: '2' }] } }), settings);
    expect(r).toEqual({ nameservers: ['127.0.0.11'], searches: ['corp.example'], options: ['edns0', 'ndots:2'] });
  });

  it('None: only dnsConfig', () => {
    const r = podResolvConf(
      pod({ dnsPolicy: 'None', dnsConfig: { nameservers: ['1.2.3.4'], searches: ['a.example'], options: [{ name: 'single-request' }] } }),
      settings,
    );
    expect(formatResolvConf(r!)).toBe('search a.example\nnameserver 1.2.3.4\noptions single-request\n');
  });

  it('dnsConfig adds to ClusterFirst; at most 3 nameservers', () => {
    const r = podResolvConf(
      pod({ dnsConfig: { nameservers: ['1.1.1.1', '2.2.2.2', '3.3.3.3'], searches: ['x.example'], options: [{ name: 'ndots', value: '1' }] } }),
      settings,
    );
    expect(r).toEqual({
      nameservers: ['10.96.0.10', '1.1.1.1', '2.2.2.2'],
      searches: ['shop.svc.cluster.local', 'svc.cluster.local', 'cluster.local', 'corp.example', 'x.example'],
      options: ['ndots:1'],
    });
  });

  it('falls back to Default when no cluster DNS is configured', () => {
    expect(podResolvConf(pod(), { ...settings, clusterDNS: [] })).toBeUndefined();
  });
});
