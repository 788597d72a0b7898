/** Endpoints: the ENDPOINTS column as upstream's printer words it. */
import { type Any, ageColumn, nameColumn } from '../printers.ts';
import { defineStrategy } from '../strategy.ts';

export const endpointsStrategy = defineStrategy('', 'Endpoints', {
  columns: [nameColumn, { name: 'Endpoints', cell: (o: Any) => formatEndpoints(o.subsets) }, ageColumn],
});

/** net.JoinHostPort: IPv6 addresses in brackets. */
const hostPort = (ip: string, port: number | string) => (ip.includes(':') ? `[${ip}]:${port}` : `${ip}:${port}`);

/** formatEndpoints with every port: `ip:port` pairs (bare IPs for a subset without ports), three then ` + N more...`. */
export function formatEndpoints(subsets: Any[] | undefined, portNames?: Set<string>): string {
  if (!subsets?.length) return '<none>';
  const list: string[] = [];
  let count = 0;
  for (const ss of subsets) {
    const addresses: Any[] = ss.addresses ?? [];
    const ports: Any[] = ss.ports ?? [];
    if (!ports.length) {
      count += addresses.length;
      for (const a of addresses) if (list.length < 3) list.push(a.ip);
      continue;
    }
    for (const p of ports) {
      if (portNames && !portNames.has(p.name ?? '')) continue;
      count += addresses.length;
      for (const a of addresses) if (list.length < 3) list.push(hostPort(a.ip, p.port));
    }
  }
  const text = list.join(',');
  return count > 3 ? `${text} + ${count - 3} more...` : text;
}
