import { describe, expect, it } from 'vitest';
import { canonicalIp, dashedIp, ipFromReverseName, isInZone, labelsBelow, normalizeName, undashIp } from './names.ts';

describe('names', () => {
  it('normalizes names and splits them below a zone', () => {
    expect(normalizeName('Web.Default.SVC.cluster.local.')).toBe('web.default.svc.cluster.local');
    expect(normalizeName('.')).toBe('');
    expect(isInZone('a.cluster.local', 'cluster.local')).toBe(true);
    expect(isInZone('acluster.local', 'cluster.local')).toBe(false);
    expect(labelsBelow('_http._tcp.web.default.svc.cluster.local', 'cluster.local')).toEqual(['_http', '_tcp', 'web', 'default', 'svc']);
    expect(labelsBelow('cluster.local', 'cluster.local')).toEqual([]);
  });

  it('turns dashed labels into addresses and back', () => {
    expect(undashIp('10-244-1-5')).toBe('10.244.1.5');
    expect(undashIp('fd00--5')).toBe('fd00::5');
    expect(undashIp('10-244-1-256')).toBeUndefined();
    expect(undashIp('web')).toBeUndefined();
    expect(dashedIp('10.244.1.5')).toBe('10-244-1-5');
    expect(dashedIp('fd00::5')).toBe('fd00--5');
  });

  it('reads reverse names', () => {
    expect(ipFromReverseName('5.1.244.10.in-addr.arpa')).toBe('10.244.1.5');
    expect(ipFromReverseName('1.244.10.in-addr.arpa')).toBeUndefined();
    expect(ipFromReverseName('300.1.244.10.in-addr.arpa')).toBeUndefined();
    const nibbles = '5.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.d.f.ip6.arpa';
    expect(ipFromReverseName(nibbles)).toBe('fd00:0000:0000:0000:0000:0000:0000:0005');
    expect(canonicalIp('fd00::5')).toBe('fd00:0000:0000:0000:0000:0000:0000:0005');
    expect(canonicalIp('::ffff:1.2.3.4')).toBe('0000:0000:0000:0000:0000:ffff:0102:0304');
    expect(canonicalIp('10.0.0.1')).toBe('10.0.0.1');
    expect(canonicalIp('nope')).toBeUndefined();
  });
});
