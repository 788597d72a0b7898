/**
 * Field manager names and the `fieldManager` / `force` options, as the apiserver's
 * handlers (`endpoints/handlers/create.go: managerOrUserAgent, prefixFromUserAgent`) and
 * `apis/meta/v1/validation` (`ValidatePatchOptions`, `ValidateFieldManager`) treat them.
 */
import { apiErrors, type StatusCause, type StatusError } from '@minik8s/api';

/** `validation.FieldManagerMaxLength`, in bytes. */
export const FIELD_MANAGER_MAX_LENGTH = 128;

/** Go's `unicode.IsPrint`: letters, marks, numbers, punctuation, symbols and the ASCII space. */
const PRINTABLE = /^[\p{L}\p{M}\p{N}\p{P}\p{S} ]$/u;

/**
 * The manager name upstream derives from a User-Agent when a create, update or non-apply
 * patch has no `fieldManager`: the text before the first `/`, without non-printable
 * characters, cut to 128 bytes. `kubectl/v1.32.0 (linux/amd64) kubernetes/abc` → `kubectl`;
 * client-go's default agent `kube-controller-manager/v1.32.0 (…)` → `kube-controller-manager`.
 * (kubectl itself always sends a `fieldManager`: `kubectl-client-side-apply`,
 * `kubectl-create`, `kubectl-edit`, `kubectl-label`, `kubectl` for `apply --server-side`…)
 */
export function managerFromUserAgent(userAgent: string | undefined): string {
  const prefix = (userAgent ?? '').split('/')[0] ?? '';
  let out = '';
  let bytes = 0;
  for (const ch of prefix) {
    if (!PRINTABLE.test(ch)) continue;
    const n = Buffer.byteLength(ch);
    if (bytes + n > FIELD_MANAGER_MAX_LENGTH) break;
    out += ch;
    bytes += n;
  }
  return out;
}

/** `managerOrUserAgent`: the `fieldManager` query parameter, else the User-Agent prefix. */
export function fieldManagerFor(fieldManager: string | undefined, userAgent: string | undefined): string {
  return fieldManager ? fieldManager : managerFromUserAgent(userAgent);
}

export type WriteKind = 'create' | 'update' | 'patch' | 'apply';

/**
 * The field errors upstream's option validation gives (`fieldManager` required for apply,
 * `force` forbidden outside apply, manager too long or not printable), as causes.
 */
export function fieldManagerCauses(o: { kind: WriteKind; fieldManager?: string; force?: string | boolean }): StatusCause[] {
  const causes: StatusCause[] = [];
  const fm = o.fieldManager ?? '';
  if (o.kind === 'patch' && o.force !== undefined) {
    causes.push({ reason: 'FieldValueForbidden', message: 'Forbidden: may not be specified for non-apply patch', field: 'force' });
  }
  if (o.kind === 'apply' && fm === '') {
    causes.push({ reason: 'FieldValueRequired', message: 'Required value: is required for apply patch', field: 'fieldManager' });
  }
  if (Buffer.byteLength(fm) > FIELD_MANAGER_MAX_LENGTH) {
    causes.push({
      reason: 'FieldValueTooLong',
      message: `Too long: may not be more than ${FIELD_MANAGER_MAX_LENGTH} bytes`,
      field: 'fieldManager',
    });
  }
  for (const ch of fm) {
    if (PRINTABLE.test(ch)) continue;
    const code = `U+${ch.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`;
    causes.push({
      reason: 'FieldValueInvalid',
      message: `Invalid value: ${JSON.stringify(fm)}: invalid character ${code}`,
      field: 'fieldManager',
    });
    break;
  }
  return causes;
}

const OPTIONS_KIND: Record<WriteKind, string> = {
  create: 'CreateOptions',
  update: 'UpdateOptions',
  patch: 'PatchOptions',
  apply: 'PatchOptions',
};

/**
 * The 422 for bad options, e.g. `PatchOptions.meta.k8s.io "" is invalid: fieldManager:
 * Required value: is required for apply patch`; undefined when the options are fine.
 * Check before looking the object up, as upstream does.
 */
export function checkFieldManager(o: { kind: WriteKind; fieldManager?: string; force?: string | boolean }): StatusError | undefined {
  const causes = fieldManagerCauses(o);
  if (causes.length === 0) return undefined;
  return apiErrors.invalid({ group: 'meta.k8s.io', kind: OPTIONS_KIND[o.kind] }, '', causes);
}

/**
 * `?force=` as upstream converts a bool query parameter: absent, `0` or `false` (any case)
 * is false; anything else, even an empty value, is true.
 */
export function parseForce(force: string | undefined): boolean {
  return force !== undefined && force !== '0' && force.toLowerCase() !== 'false';
}
