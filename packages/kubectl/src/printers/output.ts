/**
 * Object output (`-o yaml|json|name|jsonpath=...`) as kubectl prints unstructured
 * objects: keys sorted, JSON indented by four spaces, YAML in go-yaml's style, several
 * objects wrapped in a `List`.
 */
import type { KubeObject } from '@minik8s/client/kube';
import { Document, isScalar, parse as parseYaml, visit } from 'yaml';
import { CliError } from '../context.ts';
import { compileJsonPath, escapeHtml, goJson, JsonPathError, sortKeys } from './jsonpath.ts';

export type OutputFormat = { kind: 'table'; wide: boolean } | { kind: 'yaml' } | { kind: 'json' } | { kind: 'name' } | { kind: 'jsonpath'; template: string };

export function parseOutput(o: string | undefined): OutputFormat {
  if (!o) return { kind: 'table', wide: false };
  if (o === 'wide') return { kind: 'table', wide: true };
  if (o === 'yaml' || o === 'json' || o === 'name') return { kind: o };
  const m = /^jsonpath(?:-as-json)?=(.*)$/s.exec(o);
  if (m) return { kind: 'jsonpath', template: m[1]! };
  throw new CliError(`error: unable to match a printer suitable for the output format "${o}", allowed formats are: json,jsonpath,name,wide,yaml`);
}

/** `deployment.apps` / `configmap`: how kubectl names a kind in messages. */
export function kindName(kind: string, group: string): string {
  return group ? `${kind.toLowerCase()}.${group}` : kind.toLowerCase();
}

export function groupOf(apiVersion: string | undefined): string {
  return apiVersion?.includes('/') ? apiVersion.split('/')[0]! : '';
}

/**
 * YAML as kubectl writes it (via JSON, so keys always sorted, and no anchors). go-yaml
 * quotes a string that would read back as another type (`"8"`, `"y"`, a timestamp) with
 * double quotes, and one that only cannot be plain (`'* * * * *'`) with single quotes.
 */
export function toYamlText(v: unknown): string {
  const doc = new Document(sortKeys(v), { version: '1.1', aliasDuplicateObjects: false });
  visit(doc, {
    Scalar(_key, node) {
      if (isScalar(node) && typeof node.value === 'string' && readsAsOtherType(node.value)) node.type = 'QUOTE_DOUBLE';
    },
  });
  return doc.toString({ indentSeq: false, lineWidth: 0, singleQuote: true });
}

/** A one-line string go-yaml's resolver reads as null, a bool, a number or a timestamp (flow collections do not count). */
function readsAsOtherType(s: string): boolean {
  if (s.includes('\n')) return false;
  try {
    const v: unknown = parseYaml(s, { version: '1.1' });
    return v === null || typeof v === 'number' || typeof v === 'boolean' || v instanceof Date;
  } catch {
    return false;
  }
}

/** JSON as kubectl prints it: four-space indent, keys sorted for unstructured objects. */
export function toJsonText(v: unknown, sort = true): string {
  return sort ? `${goJson(v, '    ')}\n` : `${escapeHtml(JSON.stringify(v, null, 4))}\n`;
}

/** A `kind: List` holding objects, as kubectl wraps several results. */
export function asList(items: KubeObject[]): Record<string, unknown> {
  return { apiVersion: 'v1', items, kind: 'List', metadata: { resourceVersion: '' } };
}

/** kubectl hides `metadata.managedFields` unless --show-managed-fields. */
function withoutManagedFields(o: KubeObject): KubeObject {
  if (!o.metadata || !('managedFields' in o.metadata)) return o;
  const { managedFields: _m, ...metadata } = o.metadata as Record<string, unknown>;
  return { ...o, metadata } as KubeObject;
}

/** Prints objects in a non-table format; `single` prints the object itself rather than a List. */
export function printObjects(items: KubeObject[], format: OutputFormat, single: boolean, sort = true, showManagedFields = false): string {
  if (!showManagedFields) items = items.map(withoutManagedFields);
  const data = single && items.length === 1 ? items[0] : asList(items);
  switch (format.kind) {
    case 'yaml':
      return toYamlText(data);
    case 'json':
      return toJsonText(data, sort);
    case 'name':
      return items.map((o) => `${kindName(o.kind ?? '', groupOf(o.apiVersion))}/${o.metadata?.name ?? ''}\n`).join('');
    case 'jsonpath':
      try {
        return compileJsonPath(format.template)(data);
      } catch (e) {
        if (e instanceof JsonPathError) throw new CliError(`error: error parsing jsonpath ${format.template}, ${e.message}`);
        throw e;
      }
    default:
      throw new Error('tables are printed elsewhere');
  }
}
