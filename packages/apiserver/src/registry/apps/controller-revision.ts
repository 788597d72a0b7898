/** ControllerRevisions (upstream's pkg/registry/apps/controllerrevision/strategy.go): data set once, revision not negative. */
import { validateControllerRevision, validateControllerRevisionUpdate } from '@minik8s/api/validation';
import { type Any, ageColumn, nameColumn } from '../printers.ts';
import { defineStrategy } from '../strategy.ts';

/** `daemonset.apps/web` for the controller reference (upstream's formatResourceName with the kind), `<none>` without one. */
function controllerCell(o: Any): string {
  const ref = (o.metadata?.ownerReferences ?? []).find((r: Any) => r.controller);
  if (!ref) return '<none>';
  const group = String(ref.apiVersion ?? '').includes('/') ? String(ref.apiVersion).split('/')[0] : '';
  return `${String(ref.kind).toLowerCase()}${group ? `.${group}` : ''}/${ref.name}`;
}

export const controllerRevisionStrategy = defineStrategy('apps', 'ControllerRevision', {
  validate: (o) => validateControllerRevision(o),
  validateUpdate: (o, old) => validateControllerRevisionUpdate(o, old),
  columns: [nameColumn, { name: 'Controller', cell: controllerCell }, { name: 'Revision', type: 'integer', cell: (o: Any) => o.revision ?? 0 }, ageColumn],
});
