/** Events: upstream's columns (LAST SEEN first, no NAME). */
import { type Any, humanDuration } from '../printers.ts';
import { defineStrategy } from '../strategy.ts';

export const eventStrategy = defineStrategy('', 'Event', {
  columns: [
    { name: 'Last Seen', cell: (o: Any, now) => (o.lastTimestamp ? humanDuration(now.getTime() - Date.parse(o.lastTimestamp)) : '<unknown>') },
    { name: 'Type', cell: (o: Any) => o.type ?? '' },
    { name: 'Reason', cell: (o: Any) => o.reason ?? '' },
    { name: 'Object', cell: (o: Any) => `${(o.involvedObject?.kind ?? '').toLowerCase()}/${o.involvedObject?.name ?? ''}` },
    { name: 'Message', cell: (o: Any) => o.message ?? '' },
  ],
});
