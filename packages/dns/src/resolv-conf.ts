/**
 * The default upstreams: the `nameserver` lines of the process's /etc/resolv.conf, as
 * CoreDNS's `forward . /etc/resolv.conf` reads them.
 */
import { readFileSync } from 'node:fs';
import { ipFamily } from './internal/names.ts';

export const RESOLV_CONF = '/etc/resolv.conf';

/** The nameserver addresses in resolv.conf text, in order (comments and bad lines skipped). */
export function parseResolvConf(text: string): string[] {
  const out: string[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.replace(/[#;].*$/, '').trim();
    const m = /^nameserver\s+(\S+)$/.exec(line);
    if (!m) continue;
    const addr = m[1]!;
    if (ipFamily(addr.replace(/%.*$/, ''))) out.push(addr.includes(':') ? `[${addr}]:53` : addr);
  }
  return out;
}

/** Nameservers from a resolv.conf file; none if it cannot be read. */
export function nameserversFromResolvConf(path = RESOLV_CONF): string[] {
  try {
    return parseResolvConf(readFileSync(path, 'utf8'));
  } catch {
    return [];
  }
}
