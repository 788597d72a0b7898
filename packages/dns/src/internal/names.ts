/**
 * Name and address helpers: canonical IP text, dashed IPs (`10-244-1-5`, `fd00--5`),
 * and reverse-lookup names (`5.1.244.10.in-addr.arpa`, nibble `ip6.arpa`).
 */
import { isIPv4, isIPv6 } from 'node:net';

/** Lower case, without the trailing dot (the root is ''). */
export function normalizeName(name: string): string {
  const n = name.toLowerCase();
  return n === '.' ? '' : n.replace(/\.$/, '');
}

/** True if `name` is `zone` or below it (both normalized). */
export function isInZone(name: string, zone: string): boolean {
  return name === zone || name.endsWith(`.${zone}`);
}

/** The labels of `name` left of `zone` (`a.b.cluster.local`, `cluster.local` → ['a', 'b']). */
export function labelsBelow(name: string, zone: string): string[] {
  if (name === zone) return [];
  return name.slice(0, name.length - zone.length - 1).split('.');
}

/** One spelling per address: IPv4 as is, IPv6 expanded to eight lower-case groups of four. */
export function canonicalIp(ip: string): string | undefined {
  if (isIPv4(ip)) return ip;
  if (!isIPv6(ip)) return undefined;
  return expandIPv6(ip).join(':');
}

/** 4 or 6; undefined if not an IP. */
export function ipFamily(ip: string): 4 | 6 | undefined {
  if (isIPv4(ip)) return 4;
  if (isIPv6(ip)) return 6;
  return undefined;
}

function expandIPv6(ip: string): string[] {
  let s = ip.toLowerCase();
  const zone = s.indexOf('%');
  if (zone >= 0) s = s.slice(0, zone);
  // A trailing embedded IPv4 (::ffff:1.2.3.4) becomes two groups.
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(s);
  if (v4) {
    const o = v4[1]!.split('.').map(Number);
    s = `${s.slice(0, v4.index)}${((o[0]! << 8) | o[1]!).toString(16)}:${((o[2]! << 8) | o[3]!).toString(16)}`;
  }
  const [head = '', tail] = s.split('::');
  const h = head ? head.split(':') : [];
  const t = tail !== undefined && tail ? tail.split(':') : [];
  const fill = tail !== undefined ? new Array(8 - h.length - t.length).fill('0') : [];
  return [...h, ...fill, ...t].map((g) => g.padStart(4, '0'));
}

/** `10.244.1.5` → `10-244-1-5`; `fd00::5` → `fd00--5` (CoreDNS's endpoint hostname for an address). */
export function dashedIp(ip: string): string {
  return ip.includes('.') ? ip.replaceAll('.', '-') : ip.replaceAll(':', '-');
}

/** The inverse of `dashedIp`: the address a pod-record label names, or undefined. */
export function undashIp(label: string): string | undefined {
  if ((label.match(/-/g) ?? []).length === 3 && !label.includes('--')) {
    const ip = label.replaceAll('-', '.');
    return isIPv4(ip) ? ip : undefined;
  }
  const ip = label.replaceAll('-', ':');
  return isIPv6(ip) ? ip : undefined;
}

/** `4.3.2.1.in-addr.arpa` → `1.2.3.4`; a full nibble `ip6.arpa` name → canonical IPv6; else undefined. */
export function ipFromReverseName(name: string): string | undefined {
  if (name.endsWith('.in-addr.arpa')) {
    const parts = name.slice(0, -'.in-addr.arpa'.length).split('.');
    if (parts.length !== 4 || !parts.every((p) => /^(0|[1-9]\d{0,2})$/.test(p) && Number(p) <= 255)) return undefined;
    return parts.reverse().join('.');
  }
  if (name.endsWith('.ip6.arpa')) {
    const nibbles = name.slice(0, -'.ip6.arpa'.length).split('.');
    if (nibbles.length !== 32 || !nibbles.every((n) => /^[0-9a-f]$/.test(n))) return undefined;
    const hex = nibbles.reverse().join('');
    const groups: string[] = [];
    for (let i = 0; i < 32; i += 4) groups.push(hex.slice(i, i + 4));
    return groups.join(':');
  }
  return undefined;
}

/** True for names under the reverse-lookup trees. */
export function isReverseName(name: string): boolean {
  return isInZone(name, 'in-addr.arpa') || isInZone(name, 'ip6.arpa');
}
