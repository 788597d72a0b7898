import { describe, expect, it } from 'vitest';
import { chainName, renderRules, type ServicePortInfo } from './rules.ts';

const svc = (over: Partial<ServicePortInfo> = {}): ServicePortInfo => ({
  name: 'default/web:http',
  protocol: 'TCP',
  clusterIP: '10.96.0.50',
  port: 80,
  loadBalancer: false,
  endpoints: ['10.244.1.2:8080', '10.244.2.2:8080', '10.244.2.3:8080'],
  ...over,
});

describe('renderRules', () => {
  it('names chains as upstream does: a prefix and 16 base32 characters, stable', () => {
    const c = chainName('KUBE-SVC-', 'default/web:http/tcp');
    expect(c).toMatch(/^KUBE-SVC-[A-Z2-7]{16}$/);
    expect(chainName('KUBE-SVC-', 'default/web:http/tcp')).toBe(c);
    expect(chainName('KUBE-SVC-', 'default/web:other/tcp')).not.toBe(c);
  });

  it('sends a ClusterIP to its endpoints with even random balancing, DNAT and masquerade', () => {
    const r = renderRules([svc()]);
    const svcChain = chainName('KUBE-SVC-', 'default/web:http/tcp');
    expect(r.nat).toContain(`-A KUBE-SERVICES -m comment --comment "default/web:http" -d 10.96.0.50/32 -p tcp -m tcp --dport 80 -j ${svcChain}`);
    const picks = r.nat.split('\n').filter((l) => l.startsWith(`-A ${svcChain}`) && l.includes('KUBE-SEP-'));
    expect(picks.map((l) => /--probability (\S+)/.exec(l)?.[1])).toEqual(['0.3333333333', '0.5000000000', undefined]);
    expect(r.nat).toContain(`-A ${svcChain} -m comment --comment "default/web:http" -j KUBE-MARK-MASQ`);
    expect(r.nat).toMatch(/-A KUBE-SEP-\S+ -m comment --comment "default\/web:http" -p tcp -m tcp -j DNAT --to-destination 10\.244\.2\.3:8080/);
    expect(r.nat).toContain('-A KUBE-POSTROUTING -m comment --comment "kubernetes service traffic requiring SNAT" -j MASQUERADE');
    expect(r.natChains.size).toBe(4);
    expect(r.filter).not.toContain('REJECT');
  });

  it('rejects a Service port with no endpoint at once, and makes no chain for it', () => {
    const r = renderRules([svc({ endpoints: [], nodePort: 30080 }), svc({ name: 'default/dns:dns', protocol: 'UDP', port: 53, endpoints: [] })]);
    expect(r.filter).toContain('-d 10.96.0.50/32 -p tcp -m tcp --dport 80 -j REJECT --reject-with tcp-reset');
    expect(r.filter).toContain(
      '-A KUBE-EXTERNAL-SERVICES -m comment --comment "default/web:http" -m addrtype --dst-type LOCAL -p tcp -m tcp --dport 30080 -j REJECT',
    );
    expect(r.filter).toContain('-p udp -m udp --dport 53 -j REJECT --reject-with icmp-port-unreachable');
    expect(r.natChains.size).toBe(0);
  });

  it('serves NodePorts on any local address and LoadBalancer ports on the node address', () => {
    const r = renderRules([svc({ nodePort: 30080, loadBalancer: true })], { nodeIP: '10.244.0.11' });
    const svcChain = chainName('KUBE-SVC-', 'default/web:http/tcp');
    expect(r.nat).toContain(`-A KUBE-NODEPORTS -m comment --comment "default/web:http" -p tcp -m tcp --dport 30080 -j ${svcChain}`);
    expect(r.nat).toContain(`-d 10.244.0.11/32 -p tcp -m tcp --dport 80 -j ${svcChain}`);
    expect(r.nat).toContain('-m addrtype --dst-type LOCAL -j KUBE-NODEPORTS');
  });

  it('keeps a client on one endpoint with ClientIP affinity', () => {
    const r = renderRules([svc({ affinitySeconds: 10800 })]);
    expect(r.nat).toMatch(/-m recent --name (KUBE-SEP-\S+) --mask 255\.255\.255\.255 --rsource --rcheck --seconds 10800 --reap -j \1/);
    expect(r.nat).toMatch(/-m recent --name (KUBE-SEP-\S+) --mask 255\.255\.255\.255 --rsource --set -j DNAT/);
  });

  it('flushes and deletes chains of Services that are gone', () => {
    const before = renderRules([svc(), svc({ name: 'default/old', clusterIP: '10.96.0.60' })]);
    const after = renderRules([svc()], { existingChains: before.natChains });
    const gone = [...before.natChains].filter((c) => !after.natChains.has(c));
    expect(gone.length).toBe(4);
    for (const c of gone) {
      expect(after.nat).toContain(`:${c} - [0:0]`);
      expect(after.nat).toContain(`-X ${c}`);
    }
    expect(after.nat.indexOf('-X ')).toBeGreaterThan(after.nat.lastIndexOf('-A '));
  });
});
