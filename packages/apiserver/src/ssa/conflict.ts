/**
 * The 409 of a conflicting apply, worded as upstream's
 * `apimachinery/pkg/util/managedfields/internal/conflict.go`.
 */
import { type StatusCause, StatusError } from '@minik8s/api';
import { type ManagerInfo, managerId } from './managed-fields.ts';

/** A field the applier wants to change while another manager owns it. */
export interface Conflict extends ManagerInfo {
  /** The path as upstream prints it: `.spec.replicas`, `.spec.template.spec.containers[name="web"].image`. */
  field: string;
}

/**
 * How upstream names a manager in the message: `"x"` for an applier, `"x" using apps/v1`
 * for an updater, with ` with subresource "status"` after the name for a subresource. (The
 * manager identity never carries a time, so upstream's `at <time>` variant never shows.)
 */
export function printManager(m: ManagerInfo): string {
  let s = JSON.stringify(m.manager);
  if (m.subresource) s += ` with subresource ${JSON.stringify(m.subresource)}`;
  if (m.operation === 'Update') s += ` using ${m.apiVersion}`;
  return s;
}

/**
 * The Status message and causes for a list of conflicts:
 * - one: `Apply failed with 1 conflict: conflict with "x" using apps/v1: .spec.replicas`;
 * - several: `Apply failed with 2 conflicts: conflicts with "x" using apps/v1:\n- .a\n- .b`,
 *   grouped by manager (sorted by manager identity), one `conflicts with` block each.
 * Each conflict is a cause `{reason: 'FieldManagerConflict', message: 'conflict with "x" …', field}`.
 */
export function conflictStatus(conflicts: readonly Conflict[]): { message: string; causes: StatusCause[] } {
  const causes = conflicts.map((c) => ({
    reason: 'FieldManagerConflict',
    message: `conflict with ${printManager(c)}`,
    field: c.field,
  }));
  if (conflicts.length === 1) {
    const c = conflicts[0]!;
    return { message: `Apply failed with 1 conflict: conflict with ${printManager(c)}: ${c.field}`, causes };
  }
  const byManager = new Map<string, { who: ManagerInfo; fields: string[] }>();
  for (const c of conflicts) {
    const id = managerId(c);
    const group = byManager.get(id) ?? { who: c, fields: [] };
    group.fields.push(c.field);
    byManager.set(id, group);
  }
  const lines: string[] = [];
  for (const id of [...byManager.keys()].sort()) {
    const { who, fields } = byManager.get(id)!;
    lines.push(`conflicts with ${printManager(who)}:`);
    for (const f of fields) lines.push(`- ${f}`);
  }
  return { message: `Apply failed with ${conflicts.length} conflicts: ${lines.join('\n')}`, causes };
}

/** 409 Conflict with the conflicts as `details.causes`, as upstream's `NewApplyConflict`. */
export class ApplyConflictError extends StatusError {
  readonly conflicts: readonly Conflict[];

  constructor(conflicts: readonly Conflict[]) {
    const { message, causes } = conflictStatus(conflicts);
    super(409, 'Conflict', message, { causes });
    this.conflicts = conflicts;
  }
}

export const isApplyConflictError = (e: unknown): e is ApplyConflictError => e instanceof ApplyConflictError;
