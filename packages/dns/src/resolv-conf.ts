/**
 * The default upstreams: the `nameserver` lines of the process's /etc/resolv.conf, as
 * CoreDNS's `forward . /etc/resolv.conf` reads them.
 */
import { readFileSync } from 'node:fs';
import { parseResolvConf } from '@minik8s/api';
import { ipFamily } from './internal/names.ts';

export const RESOLV_CONF = '/etc/resolv.conf';

/** The nameserver addresses in resolv.conf text, in order, as upstreams (comments and bad lines skipped). */
export function upstreamsFromResolvConf(text: string): string[] {
  return parseResolvConf(text)
    .nameservers.filter((addr) => ipFamily(addr.replace(/%.*$/, '')))
    .map((addr) => (addr.includes(':') ? `[${addr}]:53` : addr));
}

/** Nameservers from a resolv.conf file; none if it cannot be read. */
export function nameserversFromResolvConf(path = RESOLV_CONF): string[] {
  try {
    return upstreamsFromResolvConf(readFileSync(path, 'utf8'));
  } catch {
    return [];
  }
}
