/**
 * Node maintenance as kubectl does it: `cordon` / `uncordon` (spec.unschedulable),
 * `taint` (spec.taints: add `key[=value]:Effect`, remove `key[:Effect]-`), and `drain`:
 * cordon, then evict every Pod on the node through the eviction subresource (retrying
 * every 5 s while a PodDisruptionBudget refuses with 429), then wait until they are gone.
 * DaemonSet Pods, Pods with emptyDir volumes and Pods no controller owns stop a drain
 * unless --ignore-daemonsets, --delete-emptydir-data or --force say otherwise; mirror and
 * finished Pods are handled as kubectl handles them.
 */
import type { KubeList } from '@minik8s/client/kube';
import { CliError, type Ctx } from '../context.ts';
import { parseDuration } from './delete.ts';

// biome-ignore lint/suspicious/noExplicitAny: nodes and Pods read loosely
type Any = any;

const NODES = '/api/v1/nodes';
const EFFECTS = ['NoSchedule', 'PreferNoSchedule', 'NoExecute'];
const MIRROR_ANNOTATION = 'kubernetes.io/config.mirror';
const TAINT_HELP = "\nSee 'mkctl taint -h' for help and examples";

/** The node names a command names: `NODE`, `node/NODE`, `nodes NODE...`, or by `-l` / `--all`. */
async function nodeNames(ctx: Ctx, args: string[], f: { selector?: string; all?: boolean }): Promise<string[]> {
  const names = args.filter((a) => !/^(no|node|nodes)$/.test(a)).map((a) => a.replace(/^(no|node|nodes)\//, ''));
  if (names.length > 0) return names;
  if (!f.selector && !f.all) throw new CliError("error: USAGE: cordon NODE [flags]\nSee 'mkctl cordon -h' for help and examples");
  const list = await ctx.request<KubeList>({ path: NODES, query: { labelSelector: f.selector } });
  return list.items.map((n) => n.metadata.name!);
}

async function getNode(ctx: Ctx, name: string): Promise<Any> {
  return ctx.request<Any>({ path: `${NODES}/${encodeURIComponent(name)}` });
}

async function patchNode(ctx: Ctx, name: string, patch: unknown): Promise<Any> {
  return ctx.request<Any>({
    method: 'PATCH',
    path: `${NODES}/${encodeURIComponent(name)}`,
    body: patch,
    contentType: 'application/strategic-merge-patch+json',
  });
}

/** Sets spec.unschedulable; prints `node/N cordoned`, `uncordoned` or `already ...`. */
async function setUnschedulable(ctx: Ctx, name: string, on: boolean, dryRun: boolean): Promise<void> {
  const node = await getNode(ctx, name);
  const word = on ? 'cordoned' : 'uncordoned';
  if (!!node.spec?.unschedulable === on) {
    ctx.io.out(`node/${name} already ${word}\n`);
    return;
  }
  if (!dryRun) await patchNode(ctx, name, { spec: { unschedulable: on ? true : null } });
  ctx.io.out(`node/${name} ${word}${dryRun ? ' (dry run)' : ''}\n`);
}

export async function cordon(ctx: Ctx, args: string[], f: { selector?: string; all?: boolean; dryRun?: string }, on: boolean): Promise<number> {
  for (const name of await nodeNames(ctx, args, f)) await setUnschedulable(ctx, name, on, f.dryRun !== undefined && f.dryRun !== 'none');
  return 0;
}

// ------------------------------------------------------------------ taint

interface TaintSpec {
  key: string;
  value?: string;
  effect?: string;
}

/** `key=value:Effect` to add, `key:Effect-` or `key-` to remove (kubectl's parseTaints). */
export function parseTaintArgs(specs: string[]): { add: TaintSpec[]; remove: TaintSpec[] } {
  const add: TaintSpec[] = [];
  const remove: TaintSpec[] = [];
  for (const spec of specs) {
    if (spec.endsWith('-')) {
      const [key, effect] = spec.slice(0, -1).split(':') as [string, string | undefined];
      if (effect !== undefined && !EFFECTS.includes(effect))
        throw new CliError(`error: invalid taint effect: ${effect}, unsupported taint effect${TAINT_HELP}`);
      remove.push({ key, effect });
      continue;
    }
    const m = /^([^=:]+)(?:=([^:]*))?:(.*)$/.exec(spec);
    if (!m) throw new CliError(`error: invalid taint spec: ${spec}, at least one taint update is required${TAINT_HELP}`);
    if (!EFFECTS.includes(m[3]!)) throw new CliError(`error: invalid taint effect: ${m[3]}, unsupported taint effect${TAINT_HELP}`);
    add.push({ key: m[1]!, value: m[2] || undefined, effect: m[3] });
  }
  return { add, remove };
}

export async function taint(ctx: Ctx, args: string[], f: { selector?: string; all?: boolean; overwrite?: boolean }): Promise<number> {
  const taintArgs = args.filter((a) => /[:=]|-$/.test(a) && !/^(no|node|nodes)\//.test(a));
  const targets = args.filter((a) => !taintArgs.includes(a));
  if (taintArgs.length === 0) throw new CliError('error: at least one taint update is required');
  const { add, remove } = parseTaintArgs(taintArgs);
  for (const name of await nodeNames(ctx, targets, f)) {
    const node = await getNode(ctx, name);
    const old: Any[] = node.spec?.taints ?? [];
    const matches = (t: Any, u: { key: string; effect?: string }) => t.key === u.key && (u.effect === undefined || t.effect === u.effect);
    if (!f.overwrite) {
      const clash = add.filter((a) => old.some((t) => matches(t, a)));
      if (clash.length > 0) {
        throw new CliError(`error: node ${name} already has ${clash.map((c) => c.key).join(',')} taint(s) with same effect(s) and --overwrite is false`);
      }
    }
    // kubectl's reorganizeTaints: the new ones first, then the old ones they do not replace, less the removed.
    let taints: Any[] = add.map((a) => ({ key: a.key, ...(a.value !== undefined ? { value: a.value } : {}), effect: a.effect }));
    for (const t of old) if (!taints.some((n) => matches(n, t))) taints.push(t);
    const added = taints.length !== old.length;
    let deleted = false;
    for (const r of remove) {
      const kept = taints.filter((t) => !matches(t, r));
      if (kept.length === taints.length) throw new CliError(`error: taint ${JSON.stringify(r.effect ? `${r.key}:${r.effect}` : r.key)} not found`);
      taints = kept;
      deleted = true;
    }
    const changed = (added && deleted) || f.overwrite ? 'modified' : added ? 'tainted' : 'untainted';
    await patchNode(ctx, name, { spec: { taints: taints.length ? taints : null } });
    ctx.io.out(`node/${name} ${changed}\n`);
  }
  return 0;
}

// ------------------------------------------------------------------ drain

export interface DrainFlags {
  ignoreDaemonsets?: boolean;
  deleteEmptydirData?: boolean;
  force?: boolean;
  podSelector?: string;
  selector?: string;
  gracePeriod?: string;
  timeout?: string;
  disableEviction?: boolean;
  dryRun?: string;
}

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    const t = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => {
      clearTimeout(t);
      resolve();
    });
  });

const podRef = (p: Any) => `${p.metadata.namespace}/${p.metadata.name}`;

/** kubectl's drain filters: which Pods go, which are skipped with a warning, which stop the drain. */
function sortPods(ctx: Ctx, pods: Any[], f: DrainFlags): Any[] {
  const errors: Record<string, string[]> = {};
  const warnings: Record<string, string[]> = {};
  const go: Any[] = [];
  const note = (into: Record<string, string[]>, why: string, p: Any) => {
    into[why] = [...(into[why] ?? []), podRef(p)];
  };
  for (const p of pods) {
    if (p.metadata.annotations?.[MIRROR_ANNOTATION]) continue;
    const finished = p.status?.phase === 'Succeeded' || p.status?.phase === 'Failed';
    const owner = (p.metadata.ownerReferences ?? []).find((o: Any) => o.controller);
    if (owner?.kind === 'DaemonSet' && !finished) {
      if (f.ignoreDaemonsets) note(warnings, 'ignoring DaemonSet-managed Pods', p);
      else note(errors, 'cannot delete DaemonSet-managed Pods (use --ignore-daemonsets to ignore)', p);
      continue;
    }
    if (!owner && !finished) {
      if (!f.force) {
        note(errors, 'cannot delete Pods that declare no controller (use --force to override)', p);
        continue;
      }
      note(warnings, 'deleting Pods that declare no controller', p);
    }
    if ((p.spec?.volumes ?? []).some((v: Any) => v.emptyDir) && !finished) {
      if (!f.deleteEmptydirData) {
        note(errors, 'cannot delete Pods with local storage (use --delete-emptydir-data to override)', p);
        continue;
      }
    }
    go.push(p);
  }
  const lines = (m: Record<string, string[]>) => Object.entries(m).map(([why, ps]) => `${why}: ${ps.join(', ')}`);
  if (Object.keys(errors).length > 0) throw new CliError(`error: unable to drain node due to error: [${lines(errors).join(', ')}], continuing command...`);
  if (Object.keys(warnings).length > 0) ctx.io.err(`Warning: ${lines(warnings).join('; ')}\n`);
  return go;
}

async function evictOrDelete(ctx: Ctx, p: Any, f: DrainFlags, deadline: number): Promise<void> {
  const ns = p.metadata.namespace;
  const name = p.metadata.name;
  const path = `/api/v1/namespaces/${encodeURIComponent(ns)}/pods/${encodeURIComponent(name)}`;
  const grace = f.gracePeriod !== undefined && Number(f.gracePeriod) >= 0 ? Number(f.gracePeriod) : undefined;
  const deleteOptions = grace !== undefined ? { gracePeriodSeconds: grace } : undefined;
  if (f.disableEviction) {
    await ctx.request({ method: 'DELETE', path, body: deleteOptions ?? {} });
    return;
  }
  for (;;) {
    try {
      await ctx.request({
        method: 'POST',
        path: `${path}/eviction`,
        body: { apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name, namespace: ns }, ...(deleteOptions ? { deleteOptions } : {}) },
      });
      return;
    } catch (e) {
      const code = (e as { code?: number }).code;
      if (code === 404) return;
      if (code !== 429) throw e;
      ctx.io.err(`error when evicting pods/"${name}" -n "${ns}" (will retry after 5s): ${(e as Error).message}\n`);
      await sleep(Math.min(5000, Math.max(0, deadline - Date.now())), ctx.io.signal);
      if (Date.now() >= deadline || ctx.io.signal?.aborted)
        throw new CliError(`error when evicting pods/"${name}" -n "${ns}": global timeout reached: ${f.timeout}`);
    }
  }
}

/** Waits until the Pod is gone (or replaced by another of the same name). */
async function waitGone(ctx: Ctx, p: Any, deadline: number, timeout: string): Promise<void> {
  const path = `/api/v1/namespaces/${encodeURIComponent(p.metadata.namespace)}/pods/${encodeURIComponent(p.metadata.name)}`;
  for (;;) {
    try {
      const cur = await ctx.request<Any>({ path });
      if (cur.metadata.uid !== p.metadata.uid) return;
    } catch (e) {
      if ((e as { code?: number }).code === 404) return;
      throw e;
    }
    if (Date.now() > deadline || ctx.io.signal?.aborted) {
      throw new CliError(
        `error when waiting for pod "${p.metadata.name}" in namespace "${p.metadata.namespace}" to terminate: global timeout reached: ${timeout}`,
      );
    }
    await sleep(1000, ctx.io.signal);
  }
}

export async function drain(ctx: Ctx, args: string[], f: DrainFlags): Promise<number> {
  const names = await nodeNames(ctx, args, f);
  const dryRun = f.dryRun !== undefined && f.dryRun !== 'none';
  const timeoutMs = parseDuration(f.timeout);
  const deadline = timeoutMs > 0 ? Date.now() + timeoutMs : Number.POSITIVE_INFINITY;
  let failed = false;
  for (const name of names) {
    await setUnschedulable(ctx, name, true, dryRun);
    try {
      const list = await ctx.request<KubeList>({
        path: '/api/v1/pods',
        query: { fieldSelector: `spec.nodeName=${name}`, labelSelector: f.podSelector },
      });
      const pods = sortPods(ctx, list.items as Any[], f);
      if (dryRun) {
        for (const p of pods) ctx.io.out(`evicting pod ${podRef(p)} (dry run)\n`);
        ctx.io.out(`node/${name} drained (dry run)\n`);
        continue;
      }
      const results = await Promise.allSettled(
        pods.map(async (p) => {
          ctx.io.out(`evicting pod ${podRef(p)}\n`);
          await evictOrDelete(ctx, p, f, deadline);
          await waitGone(ctx, p, deadline, f.timeout ?? '0s');
          ctx.io.out(`pod/${p.metadata.name} ${f.disableEviction ? 'deleted' : 'evicted'}\n`);
        }),
      );
      const errors = results.flatMap((r) => (r.status === 'rejected' ? [String((r.reason as Error).message).replace(/^error: /, '')] : []));
      if (errors.length > 0) throw new CliError(`error: unable to drain node "${name}" due to error: [${errors.join(', ')}], continuing command...`);
      ctx.io.out(`node/${name} drained\n`);
    } catch (e) {
      failed = true;
      ctx.io.err(`${(e as Error).message}\n`);
    }
  }
  if (failed) {
    ctx.io.err('There are pending nodes to be drained:\n');
    for (const n of names) ctx.io.err(` ${n}\n`);
    return 1;
  }
  return 0;
}
