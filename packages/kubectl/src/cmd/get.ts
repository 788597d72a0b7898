/**
 * `mkctl get`: server-side Tables printed like kubectl, or the objects as
 * yaml/json/name/jsonpath; `-w` then streams changes.
 */
import type { KubeList, KubeObject } from '@minik8s/client/kube';
import { CliError, type Ctx } from '../context.ts';
import { formatError } from '../errors.ts';
import { itemsOf, type ListQuery, listAll, pathOf, resolveTargets, type Target } from '../internal/resources.ts';
import { kindName, type OutputFormat, parseOutput, printObjects } from '../printers/output.ts';
import { TABLE_ACCEPT, type Table, type TablePrintOptions, tableLines } from '../printers/table.ts';
import { alignColumns } from '../printers/tabwriter.ts';
import { watchTargets } from './get-watch.ts';

export interface GetFlags {
  output?: string;
  selector?: string;
  fieldSelector?: string;
  allNamespaces?: boolean;
  watch?: boolean;
  watchOnly?: boolean;
  noHeaders?: boolean;
  showLabels?: boolean;
  ignoreNotFound?: boolean;
}

interface Fetched<T> {
  target: Target;
  value: T;
  /** The list's resourceVersion, where the watch starts. */
  rv?: string;
}

export async function get(ctx: Ctx, args: string[], f: GetFlags): Promise<number> {
  const format = parseOutput(f.output);
  const targets = await resolveTargets(ctx, args);
  const namespace = f.allNamespaces ? undefined : ctx.namespace;
  const q: ListQuery = { labelSelector: f.selector, fieldSelector: f.fieldSelector };
  const errors: unknown[] = [];
  const single = targets.length === 1 && targets[0]!.names?.length === 1;
  const table = format.kind === 'table';

  const fetched: Array<Fetched<Table | KubeObject[]>> = [];
  if (!f.watchOnly) {
    for (const target of targets) {
      const { resource } = target;
      try {
        if (target.names) {
          for (const name of target.names) {
            try {
              const v = await ctx.request<Table | KubeObject>({
                path: pathOf(resource, namespace ?? ctx.namespace, name),
                accept: table ? TABLE_ACCEPT : undefined,
              });
              fetched.push({ target, value: table ? (v as Table) : [v as KubeObject] });
            } catch (e) {
              if (!(f.ignoreNotFound && (e as { code?: number }).code === 404)) errors.push(e);
            }
          }
        } else if (table) {
          const t = await listAll<Table>(ctx, pathOf(resource, namespace), q, TABLE_ACCEPT, (acc, page) => {
            acc.rows = [...(acc.rows ?? []), ...(page.rows ?? [])];
          });
          fetched.push({ target, value: t, rv: t.metadata?.resourceVersion });
        } else {
          const l = await listAll<KubeList>(ctx, pathOf(resource, namespace), q, undefined, (acc, page) => {
            acc.items = [...acc.items, ...page.items];
          });
          fetched.push({ target, value: itemsOf(l), rv: l.metadata?.resourceVersion });
        }
      } catch (e) {
        errors.push(e);
      }
    }
  }

  let written = false;
  let printedLines: string[][] = [];
  if (table) {
    const kinds = new Set(fetched.map((x) => x.target.resource));
    const lines: string[][] = [];
    let i = 0;
    while (i < fetched.length) {
      const resource = fetched[i]!.target.resource;
      const tables: Table[] = [];
      while (i < fetched.length && fetched[i]!.target.resource === resource) tables.push(fetched[i++]!.value as Table);
      const merged: Table = { ...tables[0]!, rows: tables.flatMap((t) => t.rows ?? []) };
      const opts: TablePrintOptions = {
        wide: (format as { wide: boolean }).wide,
        noHeaders: f.noHeaders,
        withNamespace: !!f.allNamespaces && resource.namespaced,
        kindPrefix: kinds.size > 1 ? kindName(resource.kind, resource.group) : undefined,
        showLabels: f.showLabels,
      };
      const tl = tableLines(merged, opts);
      if (tl.length === 0) continue;
      if (written && !f.noHeaders) lines.push([]);
      lines.push(...tl);
      written = true;
    }
    if (lines.length) ctx.io.out(alignColumns(lines));
    printedLines = lines;
  } else {
    const objects = fetched.flatMap((x) => x.value as KubeObject[]);
    if (objects.length || format.kind === 'yaml' || format.kind === 'json') {
      if (!(objects.length === 0 && single)) {
        const text = printObjects(objects, format, single);
        ctx.io.out(text);
        written = text.length > 0;
      }
    }
  }

  for (const e of errors) ctx.io.err(formatError(e, ctx.verbosity));
  if (!written && errors.length === 0 && !f.watch && !f.watchOnly && !f.ignoreNotFound) {
    const allNamespaced = !f.allNamespaces && targets.every((t) => t.resource.namespaced);
    ctx.io.err(allNamespaced ? `No resources found in ${namespace} namespace.\n` : 'No resources found\n');
  }
  if (errors.length) return 1;
  if (f.watch || f.watchOnly) {
    if (targets.length !== 1) throw new CliError('error: you may only specify a single resource type');
    const rv = targets[0]!.names ? undefined : fetched[0]?.rv;
    await watchTargets(ctx, targets[0]!, { namespace, query: q, format, resourceVersion: rv, flags: f, printedLines });
  }
  return 0;
}

export type { OutputFormat };
