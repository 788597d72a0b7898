/** The list/watch filter from `labelSelector`, `fieldSelector` and the path's namespace. */
import { apiErrors, type KubeObject, type ResourceInfo } from '@minik8s/api';
import { parseLabelSelector, SelectorError } from '@minik8s/api/selectors';
import { strategyFor } from '../registry/index.ts';
import type { ResourcePath } from './paths.ts';

export function makeFilter(r: ResourceInfo, p: ResourcePath, labelSelector: string | null, fieldSelector: string | null): (o: KubeObject) => boolean {
  const ns = r.namespaced ? p.namespace : undefined;
  try {
    const labels = labelSelector ? parseLabelSelector(labelSelector) : undefined;
    const kindFields = strategyFor(r).fieldLabels;
    const fields = fieldSelector ? kindFields.parseSelector(fieldSelector) : undefined;
    return (o) =>
      (ns === undefined || o.metadata.namespace === ns) && (!labels || labels.matches(o.metadata.labels)) && (!fields || kindFields.matches(fields, o));
  } catch (e) {
    if (e instanceof SelectorError) throw apiErrors.badRequest(e.message);
    throw e;
  }
}
