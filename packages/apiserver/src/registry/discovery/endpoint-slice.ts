/** EndpointSlices: ADDRESSTYPE, PORTS and ENDPOINTS as upstream's printer words them. */
import { defaultEndpointSlice } from '@minik8s/api';
import { type Any, ageColumn, nameColumn } from '../printers.ts';
import { defineStrategy } from '../strategy.ts';

/** The first three of a list then ` + N more...`, `<unset>` when empty (listWithMoreString). */
function firstThree(xs: string[]): string {
  if (xs.length > 3) return `${xs.slice(0, 3).join(',')} + ${xs.length - 3} more...`;
  return xs.length ? xs.join(',') : '<unset>';
}

export const endpointSliceStrategy = defineStrategy('discovery.k8s.io', 'EndpointSlice', {
  defaults: defaultEndpointSlice,
  columns: [
    nameColumn,
    { name: 'AddressType', cell: (o: Any) => o.addressType ?? '' },
    { name: 'Ports', cell: (o: Any) => firstThree((o.ports ?? []).map((p: Any) => (p.port != null ? String(p.port) : (p.name ?? '*')))) },
    { name: 'Endpoints', cell: (o: Any) => firstThree((o.endpoints ?? []).flatMap((e: Any) => e.addresses ?? [])) },
    ageColumn,
  ],
});
