/** Endpoints subsets on their own: repacking and the 1000-address cap. */
import { describe, expect, it } from 'vitest';
import { repackSubsets, sameSubsets, truncateSubsets } from './subsets.ts';
import type { EndpointAddress, EndpointSubset } from './types.ts';

const a = (ip: string, uid = ip): EndpointAddress => ({ ip, targetRef: { kind: 'Pod', name: `p-${ip}`, uid } });
const http = { name: 'http', port: 80, protocol: 'TCP' };
const metrics = { name: 'metrics', port: 9100, protocol: 'TCP' };

describe('repackSubsets', () => {
  it('packs addresses offering the same ports into one subset, sorted', () => {
    const flat: EndpointSubset[] = [
      { addresses: [a('10.0.0.2')], ports: [http] },
      { addresses: [a('10.0.0.1')], ports: [http] },
      { notReadyAddresses: [a('10.0.0.3')], ports: [http] },
      { addresses: [a('10.0.0.2')], ports: [metrics] },
      { addresses: [a('10.0.0.1')], ports: [metrics] },
      { notReadyAddresses: [a('10.0.0.3')], ports: [metrics] },
    ];
    expect(repackSubsets(flat)).toEqual([{ addresses: [a('10.0.0.1'), a('10.0.0.2')], notReadyAddresses: [a('10.0.0.3')], ports: [http, metrics] }]);
  });

  it('keeps addresses with different ports apart, and not ready wins over ready', () => {
    const out = repackSubsets([
      { addresses: [a('10.0.0.1')], ports: [http] },
      { addresses: [a('10.0.0.2')], ports: [{ ...http, port: 8080 }] },
      { notReadyAddresses: [a('10.0.0.1')], ports: [http] },
    ]);
    expect(out).toHaveLength(2);
    expect(out).toContainEqual({ notReadyAddresses: [a('10.0.0.1')], ports: [http] });
    expect(out).toContainEqual({ addresses: [a('10.0.0.2')], ports: [{ ...http, port: 8080 }] });
  });

  it('keeps port-less addresses (a headless Service without ports)', () => {
    expect(repackSubsets([{ addresses: [a('10.0.0.1')], ports: [] }])).toEqual([{ addresses: [a('10.0.0.1')] }]);
  });

  it('compares subsets without the targetRef resourceVersion', () => {
    const x = [{ addresses: [{ ...a('10.0.0.1'), targetRef: { kind: 'Pod', uid: 'u', resourceVersion: '7' } }], ports: [http] }];
    const y = [{ ports: [http], addresses: [{ targetRef: { uid: 'u', kind: 'Pod' }, ip: '10.0.0.1' }] }];
    expect(sameSubsets(x, y)).toBe(true);
    expect(sameSubsets(x, [{ ...y[0]!, ports: [metrics] }])).toBe(false);
  });
});

describe('truncateSubsets', () => {
  const many = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => a(`${prefix}.${i}`));

  it('leaves 1000 addresses as they are', () => {
    const s = [{ addresses: many('10.0.0', 600), notReadyAddresses: many('10.0.1', 400), ports: [http] }];
    expect(truncateSubsets(s)).toEqual({ subsets: s, truncated: false });
  });

  it('cuts not-ready addresses first, in proportion across subsets', () => {
    const s = [
      { addresses: many('10.0.0', 800), notReadyAddresses: many('10.0.1', 300), ports: [http] },
      { notReadyAddresses: many('10.0.2', 100), ports: [metrics] },
    ];
    const { subsets, truncated } = truncateSubsets(s);
    expect(truncated).toBe(true);
    expect(subsets.map((x) => [x.addresses?.length ?? 0, x.notReadyAddresses?.length ?? 0])).toEqual([
      [800, 150],
      [0, 50],
    ]);
  });

  it('drops every not-ready address when the ready ones alone are too many', () => {
    const { subsets } = truncateSubsets([{ addresses: many('10.0.0', 1200), notReadyAddresses: many('10.0.1', 5), ports: [http] }]);
    expect(subsets.map((x) => [x.addresses?.length, x.notReadyAddresses])).toEqual([[1000, undefined]]);
  });
});
