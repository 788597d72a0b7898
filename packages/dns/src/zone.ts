/**
 * The cluster zone, as the Kubernetes DNS specification (schema 1.1.0) and CoreDNS's
 * kubernetes plugin (`pods insecure`) define it:
 *
 *   <svc>.<ns>.svc.<zone>                   A/AAAA ClusterIP; headless: every published endpoint;
 *                                           ExternalName: CNAME; SRV for every port
 *   <host>.<svc>.<ns>.svc.<zone>            A/AAAA of the endpoints with that hostname (or dashed IP)
 *   _<port>._<proto>.<svc>.<ns>.svc.<zone>  SRV for a named port (additional section: the targets' A/AAAA)
 *   <a-b-c-d>.<ns>.pod.<zone>               A a.b.c.d
 *   <d.c.b.a>.in-addr.arpa, ip6.arpa        PTR for ClusterIPs and endpoint addresses
 *   dns-version.<zone>                      TXT "1.1.0"
 *
 * Names in the zone that do not exist are NXDOMAIN with the SOA in the authority section;
 * existing names without records of the asked type are NODATA (NOERROR, SOA in authority).
 * Reverse names we know nothing about are not ours (the server forwards them, like
 * CoreDNS's `fallthrough in-addr.arpa ip6.arpa`).
 */
import type { Service } from '@minik8s/api';
import type { Answer } from 'dns-packet';
import { type ClusterData, clusterIPs, type EndpointView, isHeadless } from './cluster-state.ts';
import { canonicalIp, ipFamily, ipFromReverseName, isInZone, isReverseName, labelsBelow, normalizeName, undashIp } from './internal/names.ts';

export const DNS_SCHEMA_VERSION = '1.1.0';
export const DEFAULT_CLUSTER_DOMAIN = 'cluster.local';
/** CoreDNS's kubernetes plugin default. */
export const DEFAULT_TTL = 5;
/** How many CNAMEs inside the zone a lookup follows. */
const MAX_CNAME_CHAIN = 8;

export type Rcode = 'NOERROR' | 'NXDOMAIN' | 'SERVFAIL';

export interface ZoneAnswer {
  rcode: Rcode;
  answers: Answer[];
  authorities: Answer[];
  additionals: Answer[];
  /** The answer ends in a CNAME to a name outside the zone: look `chase` up (same type) upstream and append. */
  chase?: string;
}

/** Everything at one name: undefined records = the name does not exist. */
interface NameNode {
  records?: Answer[];
  /** Glue for SRV answers: the targets' addresses. */
  additionals?: Answer[];
}
const NX: NameNode = {};
const EMPTY: NameNode = { records: [] };

export interface ClusterZoneOptions {
  /** Default cluster.local. */
  domain?: string;
  /** Seconds. Default 5. */
  ttl?: number;
}

export class ClusterZone {
  readonly domain: string;
  readonly ttl: number;

  constructor(
    private readonly data: ClusterData,
    o: ClusterZoneOptions = {},
  ) {
    this.domain = normalizeName(o.domain ?? DEFAULT_CLUSTER_DOMAIN);
    if (!this.domain) throw new Error('the cluster domain must not be the root');
    this.ttl = o.ttl ?? DEFAULT_TTL;
  }

  /** The answer to `name`/`qtype`, or undefined if the name is not ours (forward it). */
  answer(name: string, qtype: string): ZoneAnswer | undefined {
    let owner = name.replace(/\.$/, '');
    let node = this.node(owner);
    if (!node) return undefined;
    const type = qtype.toUpperCase();
    const out: ZoneAnswer = { rcode: 'NOERROR', answers: [], authorities: [], additionals: [] };
    for (let depth = 0; ; depth++) {
      if (!node.records) {
        // Until the caches are filled a missing name proves nothing: SERVFAIL, as CoreDNS does.
        out.rcode = this.data.synced() ? 'NXDOMAIN' : 'SERVFAIL';
        out.authorities.push(this.soa());
        return out;
      }
      const cname = node.records.find((r) => r.type === 'CNAME');
      if (cname && type !== 'CNAME' && type !== 'ANY') {
        out.answers.push(cname);
        const target = normalizeName((cname as { data: string }).data);
        if (!isInZone(target, this.domain)) return { ...out, chase: target };
        if (depth >= MAX_CNAME_CHAIN) return out;
        owner = target;
        node = this.node(owner) ?? NX;
        continue;
      }
      const matching = type === 'ANY' ? node.records : node.records.filter((r) => r.type === type);
      out.answers.push(...matching);
      if (matching.some((r) => r.type === 'SRV')) out.additionals.push(...(node.additionals ?? []));
      if (out.answers.length === 0) out.authorities.push(this.soa());
      return out;
    }
  }

  /** The SOA of the zone, as CoreDNS builds it. */
  soa(): Answer {
    return {
      name: this.domain,
      type: 'SOA',
      ttl: this.ttl,
      data: {
        mname: `ns.dns.${this.domain}`,
        rname: `hostmaster.${this.domain}`,
        serial: this.data.serial(),
        refresh: 7200,
        retry: 1800,
        expire: 86400,
        minimum: this.ttl,
      },
    };
  }

  // ------------------------------------------------------------------ names

  private node(owner: string): NameNode | undefined {
    const n = normalizeName(owner);
    if (isInZone(n, this.domain)) return this.clusterNode(owner, labelsBelow(n, this.domain));
    if (isReverseName(n)) {
      const ip = ipFromReverseName(n);
      const ptr = ip ? this.reverse(owner, ip) : [];
      return ptr.length ? { records: ptr } : undefined;
    }
    return undefined;
  }

  private clusterNode(owner: string, labels: string[]): NameNode {
    if (labels.length === 0) return { records: [{ ...this.soa(), name: owner }, this.rr(owner, 'NS', `ns.dns.${this.domain}`)] };
    const joined = labels.join('.');
    if (joined === 'dns-version') return { records: [{ name: owner, type: 'TXT', ttl: this.ttl, data: DNS_SCHEMA_VERSION }] };
    // The SOA's and NS's name server: exists, but we do not know our own address.
    if (joined === 'ns.dns' || joined === 'dns') return EMPTY;
    const rest = labels.slice(0, -1);
    switch (labels.at(-1)) {
      case 'svc':
        return this.serviceTree(owner, rest);
      case 'pod':
        return this.podTree(owner, rest);
      default:
        return NX;
    }
  }

  /** Below `svc.<zone>`: `rest` is [..., service, namespace]. */
  private serviceTree(owner: string, rest: string[]): NameNode {
    if (rest.length === 0) return EMPTY;
    const ns = rest.at(-1)!;
    if (!this.data.namespaceExists(ns)) return NX;
    if (rest.length === 1) return EMPTY;
    const svc = this.data.service(ns, rest.at(-2)!);
    if (!svc) return NX;
    if (rest.length === 2) return this.serviceNode(owner, svc);
    if (svc.spec?.type === 'ExternalName') return NX;
    if (rest.length === 3) {
      const label = rest[0]!;
      // `_tcp.<svc>...`: the empty non-terminal above the SRV names.
      if (label.startsWith('_')) return this.namedPorts(svc).some((p) => p.protocol === label.slice(1)) ? EMPTY : NX;
      return this.endpointNode(owner, svc, label);
    }
    if (rest.length === 4 && rest[0]!.startsWith('_') && rest[1]!.startsWith('_')) return this.srvNode(owner, svc, rest[0]!.slice(1), rest[1]!.slice(1));
    return NX;
  }

  private serviceNode(owner: string, svc: Service): NameNode {
    if (svc.spec?.type === 'ExternalName') {
      const target = (svc.spec.externalName ?? '').replace(/\.$/, '');
      return target && !ipFamily(target) ? { records: [this.rr(owner, 'CNAME', target)] } : EMPTY;
    }
    const fqdn = this.serviceFqdn(svc);
    if (isHeadless(svc)) {
      const eps = this.data.endpoints(svc);
      // The spec: a headless Service without ready endpoints is NXDOMAIN.
      if (eps.length === 0) return NX;
      const seen = new Set<string>();
      const records = eps.filter((e) => !seen.has(e.ip) && seen.add(e.ip)).flatMap((e) => this.address(owner, e.ip));
      const srv = eps.flatMap((e) => e.ports.map((p) => ({ port: p.port, target: `${e.hostname}.${fqdn}` })));
      return { records: [...records, ...this.srv(owner, srv)], additionals: this.glue(fqdn, eps) };
    }
    const ips = clusterIPs(svc);
    const srv = (svc.spec?.ports ?? []).map((p) => ({ port: p.port, target: fqdn }));
    return { records: [...ips.flatMap((ip) => this.address(owner, ip)), ...this.srv(owner, srv)], additionals: ips.flatMap((ip) => this.address(fqdn, ip)) };
  }

  /** `<hostname>.<svc>.<ns>.svc.<zone>`: endpoints whose hostname (or dashed address) is `label`. */
  private endpointNode(owner: string, svc: Service, label: string): NameNode {
    const eps = this.data.endpoints(svc).filter((e) => e.hostname === label);
    if (eps.length === 0) return NX;
    const target = `${label}.${this.serviceFqdn(svc)}`;
    const srv = eps.flatMap((e) => e.ports.map((p) => ({ port: p.port, target })));
    return {
      records: [...eps.flatMap((e) => this.address(owner, e.ip)), ...this.srv(owner, srv)],
      additionals: eps.flatMap((e) => this.address(target, e.ip)),
    };
  }

  /** `_<port>._<proto>.<svc>.<ns>.svc.<zone>`: NXDOMAIN unless a named port matches. */
  private srvNode(owner: string, svc: Service, port: string, proto: string): NameNode {
    const fqdn = this.serviceFqdn(svc);
    const match = (p: { name?: string; protocol?: string }) => !!p.name && p.name.toLowerCase() === port && (p.protocol ?? 'TCP').toLowerCase() === proto;
    if (isHeadless(svc)) {
      const eps = this.data.endpoints(svc).filter((e) => e.ports.some(match));
      const srv = eps.flatMap((e) => e.ports.filter(match).map((p) => ({ port: p.port, target: `${e.hostname}.${fqdn}` })));
      return srv.length ? { records: this.srv(owner, srv), additionals: this.glue(fqdn, eps) } : NX;
    }
    const srv = (svc.spec?.ports ?? []).filter(match).map((p) => ({ port: p.port, target: fqdn }));
    return srv.length ? { records: this.srv(owner, srv), additionals: clusterIPs(svc).flatMap((ip) => this.address(fqdn, ip)) } : NX;
  }

  /** Below `pod.<zone>`: `rest` is [dashed-ip, namespace] (`pods insecure`: any address is answered). */
  private podTree(owner: string, rest: string[]): NameNode {
    if (rest.length === 0) return EMPTY;
    if (!this.data.namespaceExists(rest.at(-1)!)) return NX;
    if (rest.length === 1) return EMPTY;
    if (rest.length !== 2) return NX;
    const ip = undashIp(rest[0]!);
    return ip ? { records: this.address(owner, ip) } : NX;
  }

  /** PTR records for a ClusterIP (the Service) or else for endpoint addresses (`<hostname>.<svc>...`). */
  private reverse(owner: string, ip: string): Answer[] {
    const canonical = canonicalIp(ip)!;
    const targets = this.data.servicesByClusterIP(canonical).map((s) => this.serviceFqdn(s));
    if (targets.length === 0)
      for (const { service, endpoint } of this.data.endpointsByIP(canonical)) targets.push(`${endpoint.hostname}.${this.serviceFqdn(service)}`);
    return [...new Set(targets)].map((t) => this.rr(owner, 'PTR', t));
  }

  // ------------------------------------------------------------------ records

  private serviceFqdn(svc: Service): string {
    return `${svc.metadata.name}.${svc.metadata.namespace}.svc.${this.domain}`;
  }

  private namedPorts(svc: Service): Array<{ name: string; protocol: string }> {
    const ports = isHeadless(svc) ? this.data.endpoints(svc).flatMap((e) => e.ports) : (svc.spec?.ports ?? []);
    return ports.filter((p) => p.name).map((p) => ({ name: p.name!.toLowerCase(), protocol: (p.protocol ?? 'TCP').toLowerCase() }));
  }

  private rr(name: string, type: 'A' | 'AAAA' | 'CNAME' | 'PTR' | 'NS', data: string): Answer {
    return { name, type, ttl: this.ttl, data };
  }

  private address(name: string, ip: string): Answer[] {
    const family = ipFamily(ip);
    return family ? [this.rr(name, family === 4 ? 'A' : 'AAAA', ip)] : [];
  }

  /** SRV records, deduplicated, priority 0 and the weight shared out as CoreDNS does (100 / count). */
  private srv(owner: string, entries: Array<{ port: number; target: string }>): Answer[] {
    const seen = new Set<string>();
    const unique = entries.filter((e) => {
      const k = `${e.port}/${e.target}`;
      return !seen.has(k) && !!seen.add(k);
    });
    const weight = unique.length ? Math.floor(100 / unique.length) : 0;
    return unique.map((e) => ({ name: owner, type: 'SRV', ttl: this.ttl, data: { priority: 0, weight, port: e.port, target: e.target } }));
  }

  /** Additional-section A/AAAA records for SRV targets of endpoints. */
  private glue(fqdn: string, eps: EndpointView[]): Answer[] {
    const seen = new Set<string>();
    return eps.flatMap((e) => {
      const k = `${e.hostname}/${e.ip}`;
      if (seen.has(k)) return [];
      seen.add(k);
      return this.address(`${e.hostname}.${fqdn}`, e.ip);
    });
  }
}
