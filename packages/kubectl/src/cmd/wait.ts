/**
 * `mkctl wait --for=condition=TYPE[=VALUE] | --for=delete | --for=jsonpath='{...}'[=VALUE]
 * TYPE/NAME... [-l SELECTOR | --all] [--timeout=30s]`, as kubectl waits: each object in
 * turn, a condition matched case-insensitively (and only once the object's
 * observedGeneration has caught up), `<kind>/<name> condition met` for each, and
 * `error: timed out waiting for the condition on <resource>/<name>` when time runs out.
 */
import type { KubeList } from '@minik8s/client/kube';
import { CliError, type Ctx } from '../context.ts';
import { itemsOf, listAll, pathOf, resolveTargets } from '../internal/resources.ts';
import { compileJsonPath } from '../printers/jsonpath.ts';
import { kindName } from '../printers/output.ts';
import { parseDuration } from './delete.ts';

// biome-ignore lint/suspicious/noExplicitAny: objects read loosely
type Any = any;

export interface WaitFlags {
  for?: string;
  timeout?: string;
  selector?: string;
  all?: boolean;
}

type Check = (obj: Any) => boolean;

const POLL_MS = 250;

/** kubectl's conditionFuncFor. */
function checkFor(spec: string): { deleted: true } | { deleted: false; check: Check } {
  if (spec.toLowerCase() === 'delete') return { deleted: true };
  if (spec.startsWith('condition=')) {
    const rest = spec.slice('condition='.length);
    const eq = rest.indexOf('=');
    const name = eq < 0 ? rest : rest.slice(0, eq);
    const value = eq < 0 ? 'true' : rest.slice(eq + 1);
    return { deleted: false, check: (o) => conditionMet(o, name, value) };
  }
  if (spec.startsWith('jsonpath=')) {
    const [expr, value] = splitOnSingleEquals(spec.slice('jsonpath='.length));
    if (!expr) throw new CliError('error: jsonpath expression cannot be empty');
    const template = expr.startsWith('{') ? expr : `{${expr.startsWith('.') ? expr : `.${expr}`}}`;
    const read = compileJsonPath(template);
    const want = value?.replace(/^['"]|['"]$/g, '');
    if (value !== undefined && !want)
      throw new CliError("error: jsonpath wait has to have a value after equal sign, like --for=jsonpath='{.status.readyReplicas}'=3");
    return {
      deleted: false,
      check: (o) => {
        try {
          const got = read(o);
          return want === undefined ? got !== '' : got === want;
        } catch {
          return false;
        }
      },
    };
  }
  throw new CliError(`error: unrecognized condition: ${JSON.stringify(spec)}`);
}

/** Splits on a single `=` (a doubled `==` stays inside the expression), as kubectl does. */
function splitOnSingleEquals(s: string): [string, string | undefined] {
  for (let i = 0; i < s.length; i++) {
    if (s[i] !== '=') continue;
    if (s[i + 1] === '=') {
      i++;
      continue;
    }
    return [s.slice(0, i), s.slice(i + 1)];
  }
  return [s, undefined];
}

function conditionMet(o: Any, name: string, value: string): boolean {
  for (const c of o?.status?.conditions ?? []) {
    if (typeof c?.type !== 'string' || c.type.toLowerCase() !== name.toLowerCase() || typeof c.status !== 'string') continue;
    const generation = o.metadata?.generation;
    const observed = c.observedGeneration ?? o.status?.observedGeneration;
    if (generation !== undefined && observed !== undefined && observed < generation) return false;
    return c.status.toLowerCase() === value.toLowerCase();
  }
  return false;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function wait(ctx: Ctx, args: string[], f: WaitFlags): Promise<number> {
  if (!f.for) throw new CliError('error: --for must be set');
  const how = checkFor(f.for);
  const timeoutMs = f.timeout === undefined ? 30_000 : parseDuration(f.timeout);
  const deadline = Date.now() + timeoutMs;
  const objects: Array<{ path: string; plural: string; label: string; uid?: string }> = [];
  for (const t of await resolveTargets(ctx, args)) {
    const label = (name: string) => `${kindName(t.resource.kind, t.resource.group)}/${name}`;
    if (t.names) {
      for (const name of t.names) objects.push({ path: pathOf(t.resource, ctx.namespace, name), plural: t.resource.plural, label: label(name) });
      continue;
    }
    if (!f.selector && !f.all) throw new CliError('error: resource(s) were provided, but no name was specified');
    const list = await listAll<KubeList>(ctx, pathOf(t.resource, ctx.namespace), { labelSelector: f.selector }, undefined, (a, p) => {
      a.items = [...a.items, ...p.items];
    });
    for (const o of itemsOf(list)) {
      const name = o.metadata?.name ?? '';
      objects.push({ path: pathOf(t.resource, ctx.namespace, name), plural: t.resource.plural, label: label(name), uid: o.metadata?.uid });
    }
  }
  if (objects.length === 0 && !how.deleted) throw new CliError('error: no matching resources found');
  for (const o of objects) {
    for (;;) {
      let cur: Any;
      try {
        cur = await ctx.request<Any>({ path: o.path });
      } catch (e) {
        if ((e as { code?: number }).code !== 404) throw e;
        if (how.deleted) break;
        throw e;
      }
      if (how.deleted ? o.uid !== undefined && cur.metadata?.uid !== o.uid : how.check(cur)) break;
      o.uid ??= cur.metadata?.uid;
      if (Date.now() >= deadline || ctx.io.signal?.aborted) {
        const name = o.label.slice(o.label.indexOf('/') + 1);
        throw new CliError(`error: timed out waiting for the condition on ${o.plural}/${name}`);
      }
      await sleep(Math.min(POLL_MS, Math.max(0, deadline - Date.now())));
    }
    ctx.io.out(`${o.label} condition met\n`);
  }
  return 0;
}
