/**
 * Services as iptables rules, the way kube-proxy's iptables mode writes them: the whole
 * desired state of our chains is rendered as one iptables-restore input per table and
 * loaded atomically; chains of Services that are gone are deleted in the same load.
 *
 * nat:    PREROUTING/OUTPUT -> KUBE-SERVICES -> KUBE-SVC-<hash> (one per Service port)
 *         -> KUBE-SEP-<hash> (one per endpoint: DNAT); NodePorts and LoadBalancer ports on
 *         this node's address go through KUBE-NODEPORTS / KUBE-SERVICES to the same
 *         KUBE-SVC chain. POSTROUTING -> KUBE-POSTROUTING masquerades marked packets.
 * filter: a Service port with no usable endpoint is REJECTed at once (KUBE-SERVICES from
 *         FORWARD/OUTPUT, KUBE-EXTERNAL-SERVICES from INPUT for NodePorts).
 */
import { createHash } from 'node:crypto';

/** What the rules are computed from: one entry per Service port. */
export interface ServicePortInfo {
  /** `namespace/name:portName` (upstream's ServicePortName). */
  name: string;
  protocol: 'TCP' | 'UDP' | 'SCTP';
  clusterIP?: string;
  port: number;
  nodePort?: number;
  /** LoadBalancer: served on this node's address at `port`. */
  loadBalancer: boolean;
  /** ClientIP affinity timeout in seconds, or undefined for none. */
  affinitySeconds?: number;
  /** Endpoints to balance over, as `ip:port`. Empty: connections are rejected. */
  endpoints: string[];
}

export interface RuleOptions {
  /** This node's address (NodePorts and LoadBalancer ports are served on it). */
  nodeIP?: string;
  /**
   * Masquerade every Service connection. Pods reach Services through their node, but a
   * Pod's answer goes straight back over the shared bridge: without SNAT to the node, the
   * client would see the reply come from the Pod, not the Service. Default true.
   */
  masqueradeAll?: boolean;
  /** Per-Service chains now in the nat table: those not wanted any more are deleted. */
  existingChains?: Iterable<string>;
}

export interface RenderedRules {
  nat: string;
  filter: string;
  /** Every per-Service chain in the nat table (to find stale ones later). */
  natChains: Set<string>;
}

/** The chains and jumps kube-proxy owns in the built-in chains. */
export const JUMPS: Array<{ table: 'nat' | 'filter'; chain: string; target: string; comment: string }> = [
  { table: 'nat', chain: 'PREROUTING', target: 'KUBE-SERVICES', comment: 'kubernetes service portals' },
  { table: 'nat', chain: 'OUTPUT', target: 'KUBE-SERVICES', comment: 'kubernetes service portals' },
  { table: 'nat', chain: 'POSTROUTING', target: 'KUBE-POSTROUTING', comment: 'kubernetes postrouting rules' },
  { table: 'filter', chain: 'FORWARD', target: 'KUBE-SERVICES', comment: 'kubernetes service portals' },
  { table: 'filter', chain: 'OUTPUT', target: 'KUBE-SERVICES', comment: 'kubernetes service portals' },
  { table: 'filter', chain: 'INPUT', target: 'KUBE-EXTERNAL-SERVICES', comment: 'kubernetes externally-visible service portals' },
];

const MASQ_MARK = '0x4000/0x4000';

/** Upstream's chain naming: a prefix and 16 base32 characters of a SHA-256. */
export function chainName(prefix: 'KUBE-SVC-' | 'KUBE-SEP-' | 'KUBE-EXT-', key: string): string {
  const digest = createHash('sha256').update(key).digest();
  return prefix + base32(digest).slice(0, 16);
}

function base32(buf: Buffer): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = 0;
  let value = 0;
  let out = '';
  for (const byte of buf) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += alphabet[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  return out;
}

const quote = (s: string) => `"${s.replace(/"/g, '')}"`;

export function renderRules(services: ServicePortInfo[], o: RuleOptions = {}): RenderedRules {
  const masqueradeAll = o.masqueradeAll ?? true;
  const nat: string[] = ['*nat'];
  const natRules: string[] = [];
  const filter: string[] = ['*filter'];
  const filterRules: string[] = [];
  const natChains = new Set<string>();
  const declare = (chain: string) => nat.push(`:${chain} - [0:0]`);
  for (const c of ['KUBE-SERVICES', 'KUBE-NODEPORTS', 'KUBE-POSTROUTING', 'KUBE-MARK-MASQ']) declare(c);
  for (const c of ['KUBE-SERVICES', 'KUBE-EXTERNAL-SERVICES']) filter.push(`:${c} - [0:0]`);

  natRules.push(`-A KUBE-POSTROUTING -m mark ! --mark ${MASQ_MARK} -j RETURN`);
  natRules.push('-A KUBE-POSTROUTING -j MARK --xor-mark 0x4000');
  natRules.push(`-A KUBE-POSTROUTING -m comment --comment ${quote('kubernetes service traffic requiring SNAT')} -j MASQUERADE`);
  natRules.push('-A KUBE-MARK-MASQ -j MARK --or-mark 0x4000');

  const sorted = [...services].sort((a, b) => a.name.localeCompare(b.name) || a.protocol.localeCompare(b.protocol));
  for (const s of sorted) {
    const proto = s.protocol.toLowerCase();
    const key = `${s.name}/${proto}`;
    const comment = `-m comment --comment ${quote(`${s.name}`)}`;
    const dests: string[] = [];
    if (s.clusterIP && s.clusterIP !== 'None') dests.push(`-d ${s.clusterIP}/32 -p ${proto} -m ${proto} --dport ${s.port}`);
    if (s.loadBalancer && o.nodeIP) dests.push(`-d ${o.nodeIP}/32 -p ${proto} -m ${proto} --dport ${s.port}`);

    if (s.endpoints.length === 0) {
      // TCP gets a reset (refused at once, also for the node's own connections, where an
      // ICMP error from OUTPUT is not always delivered); other protocols port-unreachable.
      const reject = `-j REJECT --reject-with ${proto === 'tcp' ? 'tcp-reset' : 'icmp-port-unreachable'}`;
      for (const d of dests) filterRules.push(`-A KUBE-SERVICES ${comment} ${d} ${reject}`);
      if (s.nodePort)
        filterRules.push(`-A KUBE-EXTERNAL-SERVICES ${comment} -m addrtype --dst-type LOCAL -p ${proto} -m ${proto} --dport ${s.nodePort} ${reject}`);
      continue;
    }

    const svc = chainName('KUBE-SVC-', key);
    declare(svc);
    natChains.add(svc);
    for (const d of dests) natRules.push(`-A KUBE-SERVICES ${comment} ${d} -j ${svc}`);
    if (s.nodePort) natRules.push(`-A KUBE-NODEPORTS ${comment} -p ${proto} -m ${proto} --dport ${s.nodePort} -j ${svc}`);
    if (masqueradeAll) natRules.push(`-A ${svc} ${comment} -j KUBE-MARK-MASQ`);

    const seps = s.endpoints.map((ep) => ({ ep, chain: chainName('KUBE-SEP-', `${key}:${ep}`) }));
    if (s.affinitySeconds) {
      for (const { chain } of seps) {
        natRules.push(
          `-A ${svc} ${comment} -m recent --name ${chain} --mask 255.255.255.255 --rsource --rcheck --seconds ${s.affinitySeconds} --reap -j ${chain}`,
        );
      }
    }
    seps.forEach(({ ep, chain }, i) => {
      const left = seps.length - i;
      const pick = left > 1 ? `-m statistic --mode random --probability ${(1 / left).toFixed(10)} ` : '';
      natRules.push(`-A ${svc} -m comment --comment ${quote(`${s.name} -> ${ep}`)} ${pick}-j ${chain}`);
    });
    for (const { ep, chain } of seps) {
      declare(chain);
      natChains.add(chain);
      const ip = ep.slice(0, ep.lastIndexOf(':'));
      natRules.push(`-A ${chain} ${comment} -s ${ip}/32 -j KUBE-MARK-MASQ`);
      const recent = s.affinitySeconds ? `-m recent --name ${chain} --mask 255.255.255.255 --rsource --set ` : '';
      natRules.push(`-A ${chain} ${comment} -p ${proto} -m ${proto} ${recent}-j DNAT --to-destination ${ep}`);
    }
  }
  // NodePorts: any address of this node.
  natRules.push(`-A KUBE-SERVICES -m comment --comment ${quote('kubernetes service nodeports')} -m addrtype --dst-type LOCAL -j KUBE-NODEPORTS`);

  // Chains of Services that are gone: flushed with the others (nothing jumps to them
  // any more once KUBE-SERVICES is rewritten), then deleted.
  const stale = [...(o.existingChains ?? [])].filter((c) => /^KUBE-(SVC|SEP|EXT)-/.test(c) && !natChains.has(c));
  return {
    nat: [...nat, ...stale.map((c) => `:${c} - [0:0]`), ...natRules, ...stale.map((c) => `-X ${c}`), 'COMMIT', ''].join('\n'),
    filter: [...filter, ...filterRules, 'COMMIT', ''].join('\n'),
    natChains,
  };
}
