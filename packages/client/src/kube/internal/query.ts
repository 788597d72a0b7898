/** Query strings and request bodies of the REST verbs, from their options. */
import { type DeleteOptions, type ListOptions, selectorString, type WriteOptions } from '../rest-options.ts';

export function queryString(q: Record<string, string | number | boolean | undefined>): string {
  const sp = new URLSearchParams();
  for (const [k, v] of Object.entries(q)) if (v !== undefined && v !== '') sp.set(k, String(v));
  const s = sp.toString();
  return s ? `?${s}` : '';
}

export function listQuery(o: ListOptions): Record<string, string | number | boolean | undefined> {
  return {
    labelSelector: selectorString(o.labelSelector),
    fieldSelector: selectorString(o.fieldSelector),
    limit: o.limit,
    continue: o.continue,
    resourceVersion: o.resourceVersion,
    resourceVersionMatch: o.resourceVersionMatch,
    timeoutSeconds: o.timeoutSeconds,
  };
}

export function writeQuery(o: WriteOptions): Record<string, string | boolean | undefined> {
  return { fieldManager: o.fieldManager, dryRun: o.dryRun ? 'All' : undefined };
}

export function deleteBody(o: DeleteOptions): Record<string, unknown> {
  return {
    kind: 'DeleteOptions',
    apiVersion: 'v1',
    ...(o.propagationPolicy ? { propagationPolicy: o.propagationPolicy } : {}),
    ...(o.preconditions ? { preconditions: o.preconditions } : {}),
    ...(o.gracePeriodSeconds !== undefined ? { gracePeriodSeconds: o.gracePeriodSeconds } : {}),
    ...(o.dryRun ? { dryRun: ['All'] } : {}),
  };
}
