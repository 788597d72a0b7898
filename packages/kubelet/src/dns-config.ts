/**
 * A Pod's /etc/resolv.conf, as the kubelet's dns configurer writes it from `dnsPolicy`
 * and `dnsConfig`:
 * - ClusterFirst (the default): the cluster DNS, the search path
 *   `<ns>.svc.<domain> svc.<domain> <domain>` then the node's own, and `ndots:5`;
 * - Default: the node's resolver configuration (`--resolv-conf`);
 * - None: only what `dnsConfig` gives.
 * `dnsConfig` adds nameservers and searches and sets options, for every policy.
 * Without a cluster DNS configured, ClusterFirst falls back to Default, as upstream.
 */
import type { Pod, ResolvConf } from '@minik8s/api';

export interface DnsSettings {
  /** `--cluster-dns`: the cluster DNS Service addresses. */
  clusterDNS: string[];
  /** `--cluster-domain`. */
  clusterDomain: string;
  /** The node's resolver configuration (the contents of `--resolv-conf`). */
  host: ResolvConf;
}

/** Upstream's limits: 3 nameservers, 32 search domains. */
const MAX_NAMESERVERS = 3;
const MAX_SEARCHES = 32;

const unique = (xs: string[]) => [...new Set(xs)];

/** Options by name: a later `name` or `name:value` replaces an earlier one. */
function mergeOptions(base: string[], extra: Array<{ name?: string; value?: string }>): string[] {
  const byName = new Map<string, string>();
  for (const o of base) byName.set(o.split(':')[0] ?? o, o);
  for (const o of extra) if (o.name) byName.set(o.name, o.value !== undefined && o.value !== '' ? `${o.name}:${o.value}` : o.name);
  return [...byName.values()];
}

/** The Pod's resolv.conf, or undefined to keep the container runtime's own. */
export function podResolvConf(pod: Pod, s: DnsSettings): ResolvConf | undefined {
  const policy = pod.spec?.dnsPolicy ?? 'ClusterFirst';
  const cfg = pod.spec?.dnsConfig;
  let base: ResolvConf;
  if (policy === 'None') base = { nameservers: [], searches: [], options: [] };
  else if ((policy === 'ClusterFirst' || policy === 'ClusterFirstWithHostNet') && s.clusterDNS.length) {
    const ns = pod.metadata?.namespace ?? 'default';
    const d = s.clusterDomain;
    base = { nameservers: [...s.clusterDNS], searches: [`${ns}.svc.${d}`, `svc.${d}`, d, ...s.host.searches], options: ['ndots:5'] };
  } else {
    if (!cfg) return undefined;
    base = { ...s.host, options: [...s.host.options] };
  }
  return {
    nameservers: unique([...base.nameservers, ...(cfg?.nameservers ?? [])]).slice(0, MAX_NAMESERVERS),
    searches: unique([...base.searches, ...(cfg?.searches ?? [])]).slice(0, MAX_SEARCHES),
    options: mergeOptions(base.options, cfg?.options ?? []),
  };
}
