/**
 * Turning command-line resource arguments (`deploy,cm web`, `deploy/web`) into the
 * resources and names to fetch, and fetching lists page by page.
 */
import { type ApiResource, type KubeObject, type ResourceRef, resourcePath } from '@minik8s/client/kube';
import { CliError, type Ctx } from '../context.ts';

export interface Target {
  resource: ApiResource;
  /** Absent: the whole collection. */
  names?: string[];
}

/** `TYPE[,TYPE...] [NAME...]` or `TYPE/NAME...`, resolved through discovery. */
export async function resolveTargets(ctx: Ctx, args: string[]): Promise<Target[]> {
  if (args.length === 0) throw new CliError('error: you must specify the type of resource to get');
  if (args[0]!.includes('/')) {
    const out: Target[] = [];
    for (const a of args) {
      const i = a.indexOf('/');
      if (i < 0)
        throw new CliError(
          `error: there is no need to specify a resource type as a separate argument when passing arguments in resource/name form (e.g. 'mkctl get resource/<resource_name>' instead of 'mkctl get resource resource/<resource_name>'`,
        );
      const resource = await ctx.resolve(a.slice(0, i));
      const last = out[out.length - 1];
      if (last && last.resource === resource) last.names!.push(a.slice(i + 1));
      else out.push({ resource, names: [a.slice(i + 1)] });
    }
    return out;
  }
  const [types, ...names] = args;
  const resources: ApiResource[] = [];
  for (const t of types!.split(',').filter(Boolean)) {
    const r = await ctx.resolve(t);
    if (!resources.includes(r)) resources.push(r);
  }
  return resources.map((resource) => (names.length ? { resource, names } : { resource }));
}

export function refOf(r: ApiResource, namespace: string | undefined, name?: string): ResourceRef {
  const ref: ResourceRef = { group: r.group, version: r.version, plural: r.plural };
  if (r.namespaced && namespace) ref.namespace = namespace;
  if (name !== undefined) ref.name = name;
  return ref;
}

export function pathOf(r: ApiResource, namespace: string | undefined, name?: string): string {
  return resourcePath(refOf(r, namespace, name));
}

export interface ListQuery {
  labelSelector?: string;
  fieldSelector?: string;
}

/** Every page of a list (of objects or of a Table's rows), following `continue`. */
export async function listAll<T extends { metadata?: { continue?: string } }>(
  ctx: Ctx,
  path: string,
  q: ListQuery,
  accept: string | undefined,
  merge: (acc: T, page: T) => void,
): Promise<T> {
  let acc: T | undefined;
  let cont: string | undefined;
  do {
    const page = await ctx.request<T>({ path, accept, query: { ...q, limit: 500, continue: cont } });
    cont = page.metadata?.continue || undefined;
    if (acc) merge(acc, page);
    else acc = page;
  } while (cont);
  if (acc?.metadata) acc.metadata.continue = undefined;
  return acc!;
}

/** A list's items with `kind`/`apiVersion` filled in from the list's own. */
export function itemsOf(list: { kind?: string; apiVersion?: string; items?: KubeObject[] }): KubeObject[] {
  const kind = list.kind?.replace(/List$/, '');
  return (list.items ?? []).map((o) => ({ ...o, apiVersion: o.apiVersion ?? list.apiVersion, kind: o.kind ?? kind }) as KubeObject);
}
