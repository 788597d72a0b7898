/**
 * Services (upstream's pkg/registry/core/service): names are DNS-1035 labels; admission
 * allocates cluster IPs and node ports (service-ips.ts), so creates run one at a time.
 */
import { defaultService } from '@minik8s/api';
import { type Any, ageColumn, formatLabels, joined, loadBalancerAddresses, nameColumn } from '../printers.ts';
import { defineStrategy } from '../strategy.ts';
import { ServiceAllocator } from './service-ips.ts';

export const serviceStrategy = defineStrategy('', 'Service', {
  nameRule: 'dns1035',
  serializeCreates: true,
  defaults: defaultService,
  prepareForCreate: (_r, obj) => {
    obj.status = { loadBalancer: {} };
  },
  admit: (obj, old, ctx) => new ServiceAllocator(ctx.cache).admit(obj, old),
  columns: [
    nameColumn,
    { name: 'Type', cell: (o: Any) => o.spec?.type ?? '' },
    { name: 'Cluster-IP', cell: (o: Any) => o.spec?.clusterIPs?.[0] ?? '<none>' },
    { name: 'External-IP', cell: (o: Any) => serviceExternalIP(o) },
    {
      name: 'Port(s)',
      cell: (o: Any) => joined((o.spec?.ports ?? []).map((p: Any) => `${p.port}${p.nodePort ? `:${p.nodePort}` : ''}/${p.protocol ?? ''}`)),
    },
    ageColumn,
    { name: 'Selector', priority: 1, cell: (o: Any) => formatLabels(o.spec?.selector) },
  ],
});

function serviceExternalIP(o: Any): string {
  const ext: string[] = o.spec?.externalIPs ?? [];
  switch (o.spec?.type) {
    case 'ClusterIP':
    case 'NodePort':
      return ext.length ? ext.join(',') : '<none>';
    case 'LoadBalancer': {
      const lb = loadBalancerAddresses(o.status?.loadBalancer);
      if (ext.length) return [...(lb ? lb.split(',') : []), ...ext].join(',');
      return lb || '<pending>';
    }
    case 'ExternalName':
      return o.spec?.externalName ?? '';
    default:
      return '<unknown>';
  }
}
