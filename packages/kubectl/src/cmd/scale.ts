/**
 * `mkctl scale TYPE NAME --replicas=N [--current-replicas=M] [--resource-version=RV]`:
 * through the `scale` subresource, as kubectl does: a merge patch of spec.replicas, or,
 * with preconditions, GET the Scale, check them, and PUT it back.
 */
import type { KubeList } from '@minik8s/client/kube';
import { CliError, type Ctx } from '../context.ts';
import { formatError } from '../errors.ts';
import { itemsOf, listAll, pathOf, resolveTargets } from '../internal/resources.ts';
import { kindName } from '../printers/output.ts';
import { dryRunMode } from './apply.ts';

export interface ScaleFlags {
  replicas?: string;
  currentReplicas?: string;
  resourceVersion?: string;
  selector?: string;
  all?: boolean;
  dryRun?: string;
}

interface Scale {
  metadata: { resourceVersion?: string };
  spec: { replicas?: number };
}

export async function scale(ctx: Ctx, args: string[], f: ScaleFlags): Promise<number> {
  if (f.replicas === undefined) throw new CliError('error: required flag(s) "replicas" not set');
  const replicas = Number(f.replicas);
  if (!Number.isInteger(replicas) || replicas < 0) {
    throw new CliError('error: The --replicas=COUNT flag is required, and COUNT must be greater than or equal to 0');
  }
  const current = f.currentReplicas === undefined ? -1 : Number(f.currentReplicas);
  const targets = await resolveTargets(ctx, args);
  const objects: Array<{ target: (typeof targets)[number]; name: string }> = [];
  for (const t of targets) {
    if (t.names) for (const name of t.names) objects.push({ target: t, name });
    else if (f.selector || f.all) {
      const list = await listAll<KubeList>(ctx, pathOf(t.resource, ctx.namespace), { labelSelector: f.selector }, undefined, (a, p) => {
        a.items = [...a.items, ...p.items];
      });
      for (const o of itemsOf(list)) objects.push({ target: t, name: o.metadata?.name ?? '' });
    } else throw new CliError('error: resource(s) were provided, but no name was specified');
  }
  // As kubectl's builder: objects that cannot be read are skipped; none at all is an error.
  const found: typeof objects = [];
  let readError = '';
  for (const o of objects) {
    try {
      await ctx.request({ path: pathOf(o.target.resource, ctx.namespace, o.name) });
      found.push(o);
    } catch (e) {
      readError = (e as Error).message;
    }
  }
  if (f.resourceVersion && found.length > 1) throw new CliError('error: cannot use --resource-version with multiple resources');
  if (found.length === 0) throw new CliError(`error: no objects passed to scale${readError ? ` ${readError}` : ''}`);
  const dryRun = dryRunMode(f.dryRun);
  const suffix = dryRun === 'server' ? ' (server dry run)' : dryRun === 'client' ? ' (dry run)' : '';
  let failed = false;
  for (const { target, name } of found) {
    const r = target.resource;
    const path = pathOf(r, ctx.namespace, name);
    try {
      if (dryRun !== 'client') {
        const query = { dryRun: dryRun === 'server' ? 'All' : undefined, fieldManager: 'kubectl-scale' };
        if (current !== -1 || f.resourceVersion) {
          const s = await ctx.request<Scale>({ path: `${path}/scale` });
          const actual = s.spec.replicas ?? 0;
          if (current !== -1 && actual !== current) throw new CliError(`error: Expected replicas to be ${current}, was ${actual}`);
          if (f.resourceVersion && s.metadata.resourceVersion !== f.resourceVersion) {
            throw new CliError(`error: Expected resource version to be ${f.resourceVersion}, was ${s.metadata.resourceVersion}`);
          }
          await ctx.request({ method: 'PUT', path: `${path}/scale`, query, body: { ...s, spec: { ...s.spec, replicas } } });
        } else {
          await ctx.request({
            method: 'PATCH',
            path: `${path}/scale`,
            query,
            body: { spec: { replicas } },
            contentType: 'application/merge-patch+json',
          });
        }
      }
      ctx.io.out(`${kindName(r.kind, r.group)}/${name} scaled${suffix}\n`);
    } catch (e) {
      failed = true;
      ctx.io.err(formatError(e, ctx.verbosity));
    }
  }
  return failed ? 1 : 0;
}
