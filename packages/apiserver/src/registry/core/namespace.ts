/**
 * Namespaces (upstream's pkg/registry/core/namespace): names are DNS labels; a new one is
 * Active with the `kubernetes` finalizer; DELETE only turns it Terminating, and the
 * namespace lifecycle (namespace-lifecycle.ts) empties it and then removes it.
 */
import { apiErrors, isObject, rfc3339 } from '@minik8s/api';
import { type Any, ageColumn, nameColumn } from '../printers.ts';
import { defineStrategy } from '../strategy.ts';

/** Namespaces every cluster needs; upstream refuses to delete them too. */
export const PROTECTED_NAMESPACES = ['default', 'kube-system', 'kube-public'];

export const namespaceStrategy = defineStrategy('', 'Namespace', {
  nameRule: 'label',
  prepareForCreate: (_r, obj) => {
    const o = obj as Any;
    o.spec = isObject(o.spec) ? o.spec : {};
    o.spec.finalizers ??= ['kubernetes'];
    o.status = { phase: 'Active' };
  },
  markDeleted: (obj, now) => {
    const name = obj.metadata.name!;
    if (PROTECTED_NAMESPACES.includes(name)) throw apiErrors.forbidden(`namespaces "${name}" is forbidden: this namespace may not be deleted`);
    if (obj.metadata.deletionTimestamp) return obj;
    const next = structuredClone(obj) as Any;
    next.metadata.deletionTimestamp = rfc3339(now);
    next.metadata.deletionGracePeriodSeconds = 0;
    next.status = { ...next.status, phase: 'Terminating' };
    return next;
  },
  columns: [nameColumn, { name: 'Status', cell: (o: Any) => o.status?.phase ?? '' }, ageColumn],
});
