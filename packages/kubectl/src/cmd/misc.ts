/**
 * `api-resources` (from discovery) and `version` (client and `/version`).
 */
import { CliError, type Ctx, VERSION } from '../context.ts';
import { formatError } from '../errors.ts';
import { toJsonText, toYamlText } from '../printers/output.ts';
import { alignColumns } from '../printers/tabwriter.ts';

export interface ApiResourcesFlags {
  output?: string;
  noHeaders?: boolean;
  namespaced?: string;
  apiGroup?: string;
  verbs?: string[];
}

export async function apiResources(ctx: Ctx, f: ApiResourcesFlags): Promise<number> {
  if (f.output && f.output !== 'wide' && f.output !== 'name') throw new CliError(`error: --output ${f.output} is not available`);
  let all = (await ctx.discovery.resources()).filter((r) => r.preferred);
  if (f.namespaced !== undefined) all = all.filter((r) => String(r.namespaced) === String(f.namespaced !== 'false'));
  if (f.apiGroup !== undefined) all = all.filter((r) => r.group === f.apiGroup);
  if (f.verbs?.length) all = all.filter((r) => f.verbs!.every((v) => r.verbs.includes(v)));
  all.sort((a, b) => cmp(a.group, b.group) || cmp(a.plural, b.plural));
  if (f.output === 'name') {
    ctx.io.out(all.map((r) => `${r.plural}${r.group ? `.${r.group}` : ''}\n`).join(''));
    return 0;
  }
  const wide = f.output === 'wide';
  const lines: string[][] = [];
  if (!f.noHeaders) lines.push(['NAME', 'SHORTNAMES', 'APIVERSION', 'NAMESPACED', 'KIND', ...(wide ? ['VERBS', 'CATEGORIES'] : [])]);
  for (const r of all) {
    lines.push([
      r.plural,
      r.shortNames.join(','),
      r.group ? `${r.group}/${r.version}` : r.version,
      String(r.namespaced),
      r.kind,
      ...(wide ? [r.verbs.join(','), r.categories.join(',')] : []),
    ]);
  }
  ctx.io.out(alignColumns(lines));
  return 0;
}

const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

export interface VersionFlags {
  client?: boolean;
  output?: string;
}

export async function version(ctx: Ctx, f: VersionFlags): Promise<number> {
  const clientVersion = {
    major: VERSION.split('.')[0],
    minor: VERSION.split('.')[1],
    gitVersion: `v${VERSION}`,
    platform: `${process.platform}/${process.arch === 'x64' ? 'amd64' : process.arch}`,
  };
  let serverVersion: { gitVersion?: string } | undefined;
  let error: unknown;
  if (!f.client) {
    try {
      serverVersion = await ctx.request<{ gitVersion?: string }>({ path: '/version' });
    } catch (e) {
      error = e;
    }
  }
  if (f.output === 'json' || f.output === 'yaml') {
    const doc = { clientVersion, ...(serverVersion ? { serverVersion } : {}) };
    ctx.io.out(f.output === 'json' ? toJsonText(doc) : toYamlText(doc));
  } else if (f.output) {
    throw new CliError(`error: --output must be 'yaml' or 'json'`);
  } else {
    ctx.io.out(`Client Version: ${clientVersion.gitVersion}\n`);
    if (serverVersion) ctx.io.out(`Server Version: ${serverVersion.gitVersion ?? ''}\n`);
  }
  if (error) {
    ctx.io.err(formatError(error, ctx.verbosity));
    return 1;
  }
  return 0;
}
