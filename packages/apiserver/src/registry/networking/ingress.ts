/** Ingresses: CLASS, HOSTS, ADDRESS and PORTS as upstream's printer words them. */
import { type Any, ageColumn, loadBalancerAddresses, nameColumn } from '../printers.ts';
import { defineStrategy } from '../strategy.ts';

export const ingressStrategy = defineStrategy('networking.k8s.io', 'Ingress', {
  columns: [
    nameColumn,
    { name: 'Class', cell: (o: Any) => o.spec?.ingressClassName ?? '<none>' },
    { name: 'Hosts', cell: (o: Any) => ingressHosts(o.spec?.rules ?? []) },
    { name: 'Address', cell: (o: Any) => loadBalancerAddresses(o.status?.loadBalancer) },
    { name: 'Ports', cell: (o: Any) => (o.spec?.tls?.length ? '80, 443' : '80') },
    ageColumn,
  ],
});

/** An Ingress's hosts: the first three non-empty, ` + N more...` counting every rule, `*` when none. */
function ingressHosts(rules: Any[]): string {
  const list: string[] = [];
  let more = false;
  for (const r of rules) {
    if (list.length === 3) more = true;
    // A null rule is stored as sent (upstream decodes it to an empty one): no host.
    if (!more && r?.host) list.push(r.host);
  }
  if (!list.length) return '*';
  return more ? `${list.join(',')} + ${rules.length - 3} more...` : list.join(',');
}
