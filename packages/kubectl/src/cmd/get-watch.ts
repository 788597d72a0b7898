/**
 * `get -w`: after the listing, a watch from its resourceVersion (or, for one named
 * object, from "0" skipping the synthetic first event), printing each change as a
 * table row aligned with the rows already printed, or as an object.
 */
import { apiError, isStatus, type KubeObject } from '@minik8s/client/kube';
import type { Ctx } from '../context.ts';
import { type ListQuery, pathOf, type Target } from '../internal/resources.ts';
import { streamLines } from '../internal/stream.ts';
import { kindName, type OutputFormat, printObjects } from '../printers/output.ts';
import { headerCells, isTable, rowCells, TABLE_ACCEPT, type TableColumn } from '../printers/table.ts';
import type { GetFlags } from './get.ts';

export interface WatchOptions {
  namespace: string | undefined;
  query: ListQuery;
  format: OutputFormat;
  resourceVersion?: string;
  flags: GetFlags;
  /** The lines already printed (to keep the columns aligned). */
  printedLines: string[][];
}

export async function watchTargets(ctx: Ctx, target: Target, o: WatchOptions): Promise<void> {
  const { resource } = target;
  const table = o.format.kind === 'table';
  const names = target.names ?? [];
  if (names.length > 1) throw new Error('watch is only supported on individual resources and resource collections, but 2 resources were found');
  const fieldSelector = [o.query.fieldSelector, names[0] ? `metadata.name=${names[0]}` : undefined].filter(Boolean).join(',');
  const q = new URLSearchParams({ watch: 'true' });
  q.set('resourceVersion', names[0] ? '0' : (o.resourceVersion ?? '0'));
  if (o.query.labelSelector) q.set('labelSelector', o.query.labelSelector);
  if (fieldSelector) q.set('fieldSelector', fieldSelector);
  const path = `${pathOf(resource, o.namespace ?? (names[0] ? ctx.namespace : undefined))}?${q}`;

  const widths: number[] = [];
  const track = (cells: string[]) => {
    for (let i = 0; i < cells.length - 1; i++) widths[i] = Math.max(widths[i] ?? 0, [...cells[i]!].length + 3, 6);
  };
  for (const l of o.printedLines) if (l.length > 1) track(l);
  let headerPrinted = o.printedLines.length > 0;
  const printRow = (cells: string[]) => {
    track(cells);
    ctx.io.out(`${cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0))).join('')}\n`);
  };
  let columns: TableColumn[] | undefined;
  let skipFirst = names.length === 1;
  const tableOpts = {
    wide: (o.format as { wide?: boolean }).wide,
    noHeaders: o.flags.noHeaders,
    withNamespace: !!o.flags.allNamespaces && resource.namespaced,
    showLabels: o.flags.showLabels,
  };
  for await (const raw of streamLines(ctx, path, table ? TABLE_ACCEPT : 'application/json', ctx.io.signal)) {
    const ev = raw as { type?: string; object?: unknown };
    if (ev.type === 'ERROR')
      throw apiError(isStatus(ev.object) ? ev.object : { kind: 'Status', apiVersion: 'v1', code: 500, message: JSON.stringify(ev.object) });
    if (ev.type === 'BOOKMARK') continue;
    if (skipFirst) {
      skipFirst = false;
      if (ev.type === 'ADDED') continue;
    }
    if (table && isTable(ev.object)) {
      if (ev.object.columnDefinitions?.length) columns = ev.object.columnDefinitions;
      if (!columns) continue;
      if (!headerPrinted && !o.flags.noHeaders) {
        printRow(headerCells(columns, tableOpts));
        headerPrinted = true;
      }
      for (const row of ev.object.rows ?? []) printRow(rowCells(columns, row, tableOpts));
    } else if (!table) {
      const obj = ev.object as KubeObject;
      ctx.io.out(printObjects([obj], o.format, true));
      if (o.format.kind === 'json' || o.format.kind === 'yaml') continue;
    } else {
      // The server answered with plain objects: print their names.
      const obj = ev.object as KubeObject;
      printRow([`${kindName(resource.kind, resource.group)}/${obj.metadata?.name ?? ''}`]);
    }
  }
}
