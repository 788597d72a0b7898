/**
 * `mkctl delete (-f FILE | TYPE NAME... | TYPE/NAME... | TYPE -l SEL | TYPE --all)`:
 * one DELETE per object, `kind.group "name" deleted`, then (with `--wait`, the default)
 * waiting until every deleted object is gone.
 */
import { type ApiResource, isNotFound, type KubeList } from '@minik8s/client/kube';
import { CliError, type Ctx } from '../context.ts';
import { formatError } from '../errors.ts';
import { readManifests } from '../internal/manifests.ts';
import { itemsOf, listAll, pathOf, resolveTargets } from '../internal/resources.ts';
import { kindName } from '../printers/output.ts';
import { dryRunMode } from './apply.ts';

export interface DeleteFlags {
  filename?: string[];
  recursive?: boolean;
  selector?: string;
  fieldSelector?: string;
  all?: boolean;
  allNamespaces?: boolean;
  wait?: boolean;
  timeout?: string;
  ignoreNotFound?: boolean;
  cascade?: string;
  gracePeriod?: string;
  now?: boolean;
  force?: boolean;
  dryRun?: string;
}

interface Victim {
  resource: ApiResource;
  namespace: string | undefined;
  name: string;
}

export async function del(ctx: Ctx, args: string[], f: DeleteFlags): Promise<number> {
  const victims: Victim[] = [];
  let failed = false;
  const report = (e: unknown) => {
    failed = true;
    ctx.io.err(formatError(e, ctx.verbosity));
  };
  if (f.filename?.length) {
    if (args.length)
      throw new CliError('error: there is no need to specify a resource type as a separate argument when passing arguments in resource/name form');
    for (const { object } of await readManifests(ctx.io, f.filename, f.recursive)) {
      try {
        const r = await ctx.discovery.forKind(object.apiVersion ?? '', object.kind ?? '');
        victims.push({ resource: r, namespace: r.namespaced ? object.metadata?.namespace || ctx.namespace : undefined, name: object.metadata?.name ?? '' });
      } catch (e) {
        report(e);
      }
    }
  } else {
    if (args.length === 0) throw new CliError('error: You must provide one or more resources by argument or filename.');
    const targets = await resolveTargets(ctx, args);
    const bySelector = f.selector || f.fieldSelector || f.all;
    for (const t of targets) {
      const namespace = f.allNamespaces ? undefined : ctx.namespace;
      if (t.names) {
        if (bySelector) throw new CliError('error: name cannot be provided when a selector is specified');
        for (const name of t.names) victims.push({ resource: t.resource, namespace: t.resource.namespaced ? ctx.namespace : undefined, name });
      } else {
        if (!bySelector) {
          throw new CliError(`error: resource(s) were provided, but no name was specified`);
        }
        const list = await listAll<KubeList>(
          ctx,
          pathOf(t.resource, namespace),
          { labelSelector: f.selector, fieldSelector: f.fieldSelector },
          undefined,
          (acc, p) => {
            acc.items = [...acc.items, ...p.items];
          },
        );
        for (const o of itemsOf(list)) victims.push({ resource: t.resource, namespace: o.metadata?.namespace, name: o.metadata?.name ?? '' });
      }
    }
    if (victims.length === 0 && !failed) {
      ctx.io.out('No resources found\n');
      return 0;
    }
  }

  const dryRun = dryRunMode(f.dryRun);
  const suffix = dryRun === 'server' ? ' (server dry run)' : dryRun === 'client' ? ' (dry run)' : '';
  const deleted: Array<Victim & { uid?: string }> = [];
  const propagationPolicy = cascadePolicy(f.cascade);
  const grace = f.now ? 1 : f.force ? 0 : f.gracePeriod !== undefined && Number(f.gracePeriod) >= 0 ? Number(f.gracePeriod) : undefined;
  for (const v of victims) {
    const label = `${kindName(v.resource.kind, v.resource.group)} "${v.name}"`;
    try {
      if (dryRun !== 'client') {
        const res = await ctx.request<{ metadata?: { uid?: string }; details?: { uid?: string } }>({
          method: 'DELETE',
          path: pathOf(v.resource, v.namespace, v.name),
          query: dryRun === 'server' ? { dryRun: 'All' } : undefined,
          body: {
            kind: 'DeleteOptions',
            apiVersion: 'v1',
            propagationPolicy,
            ...(grace !== undefined ? { gracePeriodSeconds: grace } : {}),
          },
        });
        deleted.push({ ...v, uid: res?.metadata?.uid ?? res?.details?.uid });
      }
      ctx.io.out(`${label} deleted${suffix}\n`);
    } catch (e) {
      if (f.ignoreNotFound && isNotFound(e)) continue;
      report(e);
    }
  }

  if (f.wait !== false && dryRun === 'none' && deleted.length) {
    const timeoutMs = parseDuration(f.timeout) || 60_000;
    const deadline = Date.now() + timeoutMs;
    for (const v of deleted) {
      let delay = 50;
      for (;;) {
        try {
          const o = await ctx.request<{ metadata?: { uid?: string } }>({ path: pathOf(v.resource, v.namespace, v.name) });
          if (v.uid && o.metadata?.uid && o.metadata.uid !== v.uid) break; // a new object of the same name
        } catch (e) {
          if (isNotFound(e)) break;
          throw e;
        }
        if (Date.now() >= deadline) {
          report(new CliError(`error: timed out waiting for the condition on ${v.resource.plural}/${v.name}`));
          break;
        }
        await new Promise((r) => setTimeout(r, delay));
        delay = Math.min(delay * 2, 1000);
      }
    }
  }
  return failed ? 1 : 0;
}

function cascadePolicy(c: string | undefined): 'Background' | 'Foreground' | 'Orphan' {
  if (c === undefined || c === 'background' || c === 'true') return 'Background';
  if (c === 'foreground') return 'Foreground';
  if (c === 'orphan' || c === 'false') return 'Orphan';
  throw new CliError(`error: invalid cascade value (${c}). Must be "background", "foreground", or "orphan".`);
}

/** `30s`, `2m`, `1h`, `500ms`, or bare seconds → ms (0 for none). */
export function parseDuration(s: string | undefined): number {
  if (!s) return 0;
  let total = 0;
  const re = /(\d+(?:\.\d+)?)(ms|s|m|h)?/g;
  for (const m of s.matchAll(re)) {
    const n = Number(m[1]);
    total += n * ({ ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2] ?? 's'] ?? 1000);
  }
  return total;
}
