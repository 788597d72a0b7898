/**
 * Server-side Tables (meta.k8s.io/v1 Table) printed as kubectl's TablePrinter does:
 * upper-case headers, priority>0 columns only with `-o wide`, a NAMESPACE column with `-A`,
 * `kind.group/name` in the name column when several kinds are printed.
 */

export interface TableColumn {
  name: string;
  type: string;
  format?: string;
  description?: string;
  priority?: number;
}

export interface TableRow {
  cells: unknown[];
  object?: { metadata?: { name?: string; namespace?: string; labels?: Record<string, string> } };
}

export interface Table {
  kind: 'Table';
  apiVersion: string;
  metadata?: { resourceVersion?: string; continue?: string };
  columnDefinitions?: TableColumn[];
  rows?: TableRow[];
}

export interface TablePrintOptions {
  wide?: boolean;
  noHeaders?: boolean;
  /** `-A`: a NAMESPACE column first. */
  withNamespace?: boolean;
  /** `deployment.apps`: prefixed to the name column. */
  kindPrefix?: string;
  showLabels?: boolean;
}

export const TABLE_ACCEPT = 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json';

export function isTable(v: unknown): v is Table {
  return typeof v === 'object' && v !== null && (v as { kind?: unknown }).kind === 'Table';
}

/** The header cells for a table's columns (empty when it prints no header). */
export function headerCells(columns: TableColumn[], o: TablePrintOptions): string[] {
  const cells = columns.filter((c) => o.wide || !c.priority).map((c) => c.name.toUpperCase());
  if (o.withNamespace) cells.unshift('NAMESPACE');
  if (o.showLabels) cells.push('LABELS');
  return cells;
}

/** The cells of each row, as printed. */
export function rowCells(columns: TableColumn[], row: TableRow, o: TablePrintOptions): string[] {
  const nameIdx = o.kindPrefix ? columns.findIndex((c) => c.format === 'name' && c.type === 'string') : -1;
  const cells: string[] = [];
  columns.forEach((col, i) => {
    if (!o.wide && col.priority) return;
    let text = cellText(row.cells[i]);
    if (i === nameIdx) text = `${o.kindPrefix}/${text}`;
    cells.push(text);
  });
  if (o.withNamespace) cells.unshift(row.object?.metadata?.namespace ?? '');
  if (o.showLabels) {
    const labels = row.object?.metadata?.labels ?? {};
    const s = Object.keys(labels)
      .sort()
      .map((k) => `${k}=${labels[k]}`)
      .join(',');
    cells.push(s || '<none>');
  }
  return cells;
}

function cellText(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'string') {
    const i = v.search(/[\f\n\r]/);
    return i >= 0 ? `${v.slice(0, i)}...` : v;
  }
  if (Array.isArray(v)) return `[${v.map(cellText).join(' ')}]`;
  if (typeof v === 'object')
    return `map[${Object.keys(v as object)
      .sort()
      .map((k) => `${k}:${cellText((v as Record<string, unknown>)[k])}`)
      .join(' ')}]`;
  return String(v);
}

/** The lines (as cells) for one table; no lines at all when it has no rows. */
export function tableLines(t: Table, o: TablePrintOptions): string[][] {
  const columns = t.columnDefinitions ?? [];
  const rows = t.rows ?? [];
  if (rows.length === 0) return [];
  const lines: string[][] = [];
  if (!o.noHeaders) lines.push(headerCells(columns, o));
  for (const r of rows) lines.push(rowCells(columns, r, o));
  return lines;
}
