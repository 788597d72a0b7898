/**
 * Server-side printing (meta.k8s.io/v1 Table): each kind's columns (its strategy's, as
 * upstream's printers.go words them) computed here, so that kubectl prints them as it
 * would from a real cluster.
 */
import type { KubeObject, ResourceInfo } from '@minik8s/api';
import { strategyFor } from '../registry/index.ts';

export interface ColumnDefinition {
  name: string;
  type: string;
  format: string;
  description: string;
  priority: number;
}

export function columnDefinitions(r: Pick<ResourceInfo, 'group' | 'kind'>): ColumnDefinition[] {
  return strategyFor(r).columns.map((c) => ({
    name: c.name,
    type: c.type ?? 'string',
    format: c.format ?? '',
    description: '',
    priority: c.priority ?? 0,
  }));
}

export interface TableOptions {
  /** includeObject: None | Metadata (default) | Object */
  includeObject?: string;
  /** Leave columnDefinitions out (watch events after the first). */
  noHeaders?: boolean;
  now?: Date;
}

export function toTable(r: Pick<ResourceInfo, 'group' | 'kind'>, objects: KubeObject[], listMeta: Record<string, unknown>, o: TableOptions = {}) {
  const now = o.now ?? new Date();
  const cols = strategyFor(r).columns;
  return {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata: listMeta,
    columnDefinitions: o.noHeaders ? null : columnDefinitions(r),
    rows: objects.map((obj) => ({
      cells: cols.map((c) => cell(c, obj, now)),
      object: rowObject(obj, o.includeObject),
    })),
  };
}

/**
 * One cell. Stored objects may hold what upstream's typed printers never meet (a `null`
 * where a struct belongs): a cell that cannot be computed is `<unknown>`, where a throw
 * would fail the whole list with a 500.
 */
function cell(c: { cell(obj: KubeObject, now: Date): unknown }, obj: KubeObject, now: Date): unknown {
  try {
    return c.cell(obj, now);
  } catch {
    return '<unknown>';
  }
}

function rowObject(obj: KubeObject, include = 'Metadata'): unknown {
  if (include === 'None') return undefined;
  if (include === 'Object') return obj;
  return { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: obj.metadata };
}
