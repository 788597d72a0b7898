/**
 * `mkctl config view|use-context|get-contexts|current-context`, reading the same
 * kubeconfig files as kubectl (and writing back only the file that is changed).
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { kubeconfigPaths } from '@minik8s/client/kube';
import { parseDocument } from 'yaml';
import { CliError, type Ctx } from '../context.ts';
import { toJsonText, toYamlText } from '../printers/output.ts';
import { alignColumns } from '../printers/tabwriter.ts';

const DATA_FIELDS = new Set(['certificate-authority-data', 'client-certificate-data', 'client-key-data']);
const SECRET_FIELDS = new Set(['token', 'password']);

export interface ConfigViewFlags {
  raw?: boolean;
  minify?: boolean;
  output?: string;
}

export function configView(ctx: Ctx, f: ConfigViewFlags): number {
  const kc = ctx.kubeconfig();
  let doc: Record<string, unknown> = {
    apiVersion: 'v1',
    clusters: kc.clusters,
    contexts: kc.contexts,
    'current-context': kc['current-context'] ?? '',
    kind: 'Config',
    preferences: kc.preferences ?? {},
    users: kc.users,
  };
  if (f.minify) {
    const name = ctx.flags.context || kc['current-context'];
    const c = kc.contexts.find((x) => x.name === name);
    if (!c) throw new CliError(name ? `error: cannot locate context ${name}` : 'error: current-context must exist in order to minify');
    doc = {
      ...doc,
      'current-context': name,
      contexts: [c],
      clusters: kc.clusters.filter((x) => x.name === c.context.cluster),
      users: kc.users.filter((x) => x.name === c.context.user),
    };
  }
  if (!f.raw) doc = redact(doc) as Record<string, unknown>;
  if (f.output === 'json') ctx.io.out(toJsonText(ordered(doc), false));
  else if (!f.output || f.output === 'yaml') ctx.io.out(toYamlText(doc));
  else throw new CliError(`error: unable to match a printer suitable for the output format "${f.output}", allowed formats are: json,yaml`);
  return 0;
}

function redact(v: unknown, key?: string): unknown {
  if (Array.isArray(v)) return v.map((x) => redact(x));
  if (typeof v === 'object' && v !== null) {
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, redact(x, k)]));
  }
  if (typeof v === 'string' && key) {
    if (DATA_FIELDS.has(key) && v) return 'DATA+OMITTED';
    if (SECRET_FIELDS.has(key) && v) return 'REDACTED';
  }
  return v;
}

export function getContexts(ctx: Ctx, names: string[], f: { output?: string; noHeaders?: boolean }): number {
  const kc = ctx.kubeconfig();
  let contexts = [...kc.contexts].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const missing: string[] = [];
  if (names.length) {
    for (const n of names) if (!contexts.some((c) => c.name === n)) missing.push(n);
    contexts = contexts.filter((c) => names.includes(c.name));
  }
  if (f.output === 'name') ctx.io.out(contexts.map((c) => `${c.name}\n`).join(''));
  else if (f.output) throw new CliError(`error: output must be one of '' or 'name'`);
  else {
    const lines: string[][] = f.noHeaders ? [] : [['CURRENT', 'NAME', 'CLUSTER', 'AUTHINFO', 'NAMESPACE']];
    const current = kc['current-context'];
    for (const c of contexts) {
      lines.push([c.name === current ? '*' : '', c.name, c.context.cluster ?? '', c.context.user ?? '', c.context.namespace ?? '']);
    }
    ctx.io.out(alignColumns(lines));
  }
  if (missing.length) throw new CliError(`error: context ${missing[0]} not found`);
  return 0;
}

export function currentContext(ctx: Ctx): number {
  const cur = ctx.kubeconfig()['current-context'];
  if (!cur) throw new CliError('error: current-context is not set');
  ctx.io.out(`${cur}\n`);
  return 0;
}

export function useContext(ctx: Ctx, name: string): number {
  const kc = ctx.kubeconfig();
  if (!kc.contexts.some((c) => c.name === name)) throw new CliError(`error: no context exists with the name: "${name}"`);
  const paths = kubeconfigPaths({ kubeconfig: ctx.flags.kubeconfig, env: ctx.io.env, homeDir: ctx.io.env.HOME });
  // kubectl writes current-context to the file that already sets one, else the first.
  const target =
    paths.find((p) => existsSync(p) && (parseDocument(readFileSync(p, 'utf8')).get('current-context') ?? '') !== '') ??
    paths.find((p) => existsSync(p)) ??
    paths[0] ??
    join(ctx.io.env.HOME ?? '.', '.kube', 'config');
  const doc = existsSync(target) ? parseDocument(readFileSync(target, 'utf8')) : parseDocument('apiVersion: v1\nkind: Config\n');
  doc.set('current-context', name);
  writeFileSync(target, doc.toString(), { mode: 0o600 });
  ctx.io.out(`Switched to context "${name}".\n`);
  return 0;
}

/** The field order of clientcmd's v1 Config structs, which `-o json` keeps. */
const ORDER: Record<string, string[]> = {
  config: ['kind', 'apiVersion', 'preferences', 'clusters', 'users', 'contexts', 'current-context', 'extensions'],
  named: ['name', 'cluster', 'user', 'context'],
  cluster: [
    'server',
    'tls-server-name',
    'insecure-skip-tls-verify',
    'certificate-authority',
    'certificate-authority-data',
    'proxy-url',
    'disable-compression',
    'extensions',
  ],
  user: [
    'client-certificate',
    'client-certificate-data',
    'client-key',
    'client-key-data',
    'token',
    'tokenFile',
    'as',
    'as-uid',
    'as-groups',
    'as-user-extra',
    'username',
    'password',
    'auth-provider',
    'exec',
    'extensions',
  ],
  context: ['cluster', 'user', 'namespace', 'extensions'],
};

function pick(o: Record<string, unknown>, keys: string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of keys) if (o[k] !== undefined) out[k] = o[k];
  for (const k of Object.keys(o)) if (!(k in out) && o[k] !== undefined) out[k] = o[k];
  return out;
}

function ordered(doc: Record<string, unknown>): Record<string, unknown> {
  const named = (list: unknown, inner: 'cluster' | 'user' | 'context') =>
    ((list as Array<Record<string, unknown>>) ?? []).map((e) =>
      pick({ ...e, [inner]: pick((e[inner] as Record<string, unknown>) ?? {}, ORDER[inner]!) }, ORDER.named!),
    );
  return pick({ ...doc, clusters: named(doc.clusters, 'cluster'), users: named(doc.users, 'user'), contexts: named(doc.contexts, 'context') }, ORDER.config!);
}
