/**
 * `mkctl label` / `mkctl annotate TYPE NAME k=v k2- [--overwrite]`: GET, check
 * overwrites, then a JSON merge patch of only the changed keys, with kubectl's messages.
 */
import type { KubeList, KubeObject } from '@minik8s/client/kube';
import { CliError, type Ctx } from '../context.ts';
import { formatError } from '../errors.ts';
import { itemsOf, listAll, pathOf, resolveTargets } from '../internal/resources.ts';
import { kindName } from '../printers/output.ts';
import { dryRunMode } from './apply.ts';

export interface LabelFlags {
  overwrite?: boolean;
  selector?: string;
  all?: boolean;
  allNamespaces?: boolean;
  dryRun?: string;
}

type Which = 'labels' | 'annotations';

export async function labelOrAnnotate(ctx: Ctx, which: Which, args: string[], f: LabelFlags): Promise<number> {
  const singular = which === 'labels' ? 'label' : 'annotation';
  const resourceArgs: string[] = [];
  const set = new Map<string, string>();
  const remove: string[] = [];
  for (const a of args) {
    const eq = a.indexOf('=');
    if (eq > 0) set.set(a.slice(0, eq), a.slice(eq + 1));
    else if (a.endsWith('-') && a.length > 1 && resourceArgs.length > 0) remove.push(a.slice(0, -1));
    else resourceArgs.push(a);
  }
  if (set.size === 0 && remove.length === 0) throw new CliError(`error: at least one ${singular} update is required`);
  for (const k of remove) if (set.has(k)) throw new CliError(`error: can not both modify and remove ${singular}s in the same command`);
  const targets = await resolveTargets(ctx, resourceArgs);
  const objects: Array<{ target: (typeof targets)[number]; namespace: string | undefined; name: string }> = [];
  for (const t of targets) {
    if (t.names) for (const name of t.names) objects.push({ target: t, namespace: t.resource.namespaced ? ctx.namespace : undefined, name });
    else if (f.selector || f.all) {
      const list = await listAll<KubeList>(
        ctx,
        pathOf(t.resource, f.allNamespaces ? undefined : ctx.namespace),
        { labelSelector: f.selector },
        undefined,
        (a, p) => {
          a.items = [...a.items, ...p.items];
        },
      );
      for (const o of itemsOf(list)) objects.push({ target: t, namespace: o.metadata?.namespace, name: o.metadata?.name ?? '' });
    } else throw new CliError('error: resource(s) were provided, but no name was specified');
  }
  const dryRun = dryRunMode(f.dryRun);
  const suffix = dryRun === 'server' ? ' (server dry run)' : dryRun === 'client' ? ' (dry run)' : '';
  let failed = false;
  for (const { target, namespace, name } of objects) {
    const r = target.resource;
    const label = `${kindName(r.kind, r.group)}/${name}`;
    try {
      const live = await ctx.request<KubeObject>({ path: pathOf(r, namespace, name) });
      const current: Record<string, string> = { ...(live.metadata?.[which] ?? {}) };
      if (!f.overwrite) {
        for (const [k, v] of set) {
          const old = current[k];
          if (old !== undefined && old !== v) {
            throw new CliError(
              which === 'labels'
                ? `error: '${k}' already has a value (${old}), and --overwrite is false`
                : `error: --overwrite is false but found the following declared annotation(s): '${k}' already has a value (${old})`,
            );
          }
        }
      }
      const patch: Record<string, string | null> = {};
      for (const k of remove) {
        if (k in current) patch[k] = null;
        else if (which === 'labels') ctx.io.out(`label "${k}" not found.\n`);
      }
      for (const [k, v] of set) if (current[k] !== v) patch[k] = v;
      const before = JSON.stringify(current);
      const after = { ...current };
      for (const [k, v] of Object.entries(patch)) {
        if (v === null) delete after[k];
        else after[k] = v;
      }
      if (Object.keys(patch).length && dryRun !== 'client') {
        await ctx.request({
          method: 'PATCH',
          path: pathOf(r, namespace, name),
          query: { fieldManager: `kubectl-${singular === 'label' ? 'label' : 'annotate'}`, dryRun: dryRun === 'server' ? 'All' : undefined },
          body: { metadata: { [which]: patch } },
          contentType: 'application/merge-patch+json',
        });
      }
      let msg = 'annotated';
      if (which === 'labels') {
        const afterText = JSON.stringify(after);
        msg = before === afterText ? 'not labeled' : afterText.length < before.length ? 'unlabeled' : 'labeled';
      }
      ctx.io.out(`${label} ${msg}${suffix}\n`);
    } catch (e) {
      failed = true;
      ctx.io.err(formatError(e, ctx.verbosity));
    }
  }
  return failed ? 1 : 0;
}
