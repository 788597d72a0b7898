/**
 * `mkctl logs POD [CONTAINER]` / `TYPE/NAME` / `-l SELECTOR`: as kubectl, it reads the
 * object first, picks a Pod (for workloads: the first of their Pods in kubectl's
 * "best for logs" order) and a container (`-c`, the default-container annotation, or
 * the first one, saying so), then copies the `pods/log` stream to stdout.
 */
import { rfc3339 } from '@minik8s/api';
import type { ApiResource, KubeList, KubeObject } from '@minik8s/client/kube';
import { CliError, type Ctx } from '../context.ts';
import { formatError } from '../errors.ts';
import { pathOf, resolveTargets } from '../internal/resources.ts';
import { streamChunks } from '../internal/stream.ts';
import { parseDuration } from './delete.ts';

// biome-ignore lint/suspicious/noExplicitAny: pods and workloads are read loosely
type Any = any;

export interface LogsFlags {
  container?: string;
  follow?: boolean;
  previous?: boolean;
  timestamps?: boolean;
  since?: string;
  sinceTime?: string;
  tail?: string;
  limitBytes?: string;
  allContainers?: boolean;
  prefix?: boolean;
  selector?: string;
  podRunningTimeout?: string;
  ignoreErrors?: boolean;
  insecureSkipTlsVerifyBackend?: boolean;
}

const DEFAULT_CONTAINER_ANNOTATION = 'kubectl.kubernetes.io/default-container';
const USAGE = "error: expected POD_NAME or TYPE/NAME along with -c flag\nSee 'mkctl logs -h' for help and examples";

export async function logs(ctx: Ctx, args: string[], f: LogsFlags): Promise<number> {
  let container = f.container;
  let resourceArg: string | undefined;
  if (args.length === 0 && !f.selector) throw new CliError(USAGE);
  if (args.length === 1) {
    if (f.selector) throw new CliError("error: only a selector (-l) or a POD name is allowed\nSee 'mkctl logs -h' for help and examples");
    resourceArg = args[0];
  } else if (args.length === 2) {
    if (f.container) throw new CliError('error: only one of -c or an inline [CONTAINER] arg is allowed');
    resourceArg = args[0];
    container = args[1];
  } else if (args.length > 2) throw new CliError(USAGE);

  const q = logQuery(f);
  const podsResource = await ctx.resolve('pods');
  if (f.allContainers && container) throw new CliError(`error: --all-containers=true should not be specified with container name ${container}`);
  const ns = ctx.namespace;

  // The Pods to read: one named (or chosen for a workload), or every Pod a selector matches.
  let pods: Any[];
  if (resourceArg !== undefined) {
    pods = [await podFor(ctx, podsResource, resourceArg, ns, parseDuration(f.podRunningTimeout) || 20_000)];
  } else {
    const list = await ctx.request<KubeList>({ path: `/api/v1/namespaces/${encodeURIComponent(ns)}/pods`, query: { labelSelector: f.selector } });
    pods = list.items;
    if (pods.length === 0) {
      ctx.io.err(`No resources found in ${ns} namespace.\n`);
      return 0;
    }
  }

  const requests: Array<{ pod: Any; container: string }> = [];
  for (const pod of pods) {
    if (f.allContainers) {
      const spec = pod.spec ?? {};
      for (const c of [...(spec.initContainers ?? []), ...(spec.containers ?? []), ...(spec.ephemeralContainers ?? [])])
        requests.push({ pod, container: c.name });
    } else {
      requests.push({ pod, container: containerFor(ctx, pod, container) });
    }
  }

  const one = async (r: { pod: Any; container: string }) => {
    const query = new URLSearchParams({ ...q, container: r.container });
    const path = `${pathOf(podsResource, r.pod.metadata.namespace, r.pod.metadata.name)}/log?${query}`;
    const label = `[pod/${r.pod.metadata.name}/${r.container}] `;
    let pending = '';
    for await (const chunk of streamChunks(ctx, path, '*/*', ctx.io.signal)) {
      if (!f.prefix) {
        ctx.io.out(chunk.toString('utf8'));
        continue;
      }
      pending += chunk.toString('utf8');
      const cut = pending.lastIndexOf('\n') + 1;
      if (cut > 0) {
        ctx.io.out(pending.slice(0, cut).replace(/^(?=.)/gm, label));
        pending = pending.slice(cut);
      }
    }
    if (pending) ctx.io.out(`${label}${pending}`);
  };

  const guarded = async (r: { pod: Any; container: string }) => {
    try {
      await one(r);
    } catch (e) {
      if (!f.ignoreErrors) throw e;
      ctx.io.err(formatError(e, ctx.verbosity));
    }
  };
  if (f.follow && requests.length > 1) await Promise.all(requests.map(guarded));
  else for (const r of requests) await guarded(r);
  return 0;
}

/** The query of the log request, from the flags (kubectl's ToLogOptions and Validate). */
function logQuery(f: LogsFlags): Record<string, string> {
  const q: Record<string, string> = {};
  if (f.since && f.sinceTime) throw new CliError('error: at most one of `sinceTime` or `sinceSeconds` may be specified');
  if (f.follow) q.follow = 'true';
  if (f.insecureSkipTlsVerifyBackend) q.insecureSkipTLSVerifyBackend = 'true';
  if (f.limitBytes !== undefined) {
    const n = Number(f.limitBytes);
    if (n < 0) throw new CliError('error: --limit-bytes must be greater than 0');
    if (n !== 0) q.limitBytes = String(n);
  }
  if (f.previous) q.previous = 'true';
  if (f.since) {
    const ms = parseDuration(f.since);
    if (ms < 0) throw new CliError('error: --since must be greater than 0');
    if (ms > 0) q.sinceSeconds = String(Math.round(ms / 1000));
  }
  if (f.sinceTime) {
    const t = Date.parse(f.sinceTime);
    if (Number.isNaN(t)) throw new CliError(`error: parsing time "${f.sinceTime}" as "2006-01-02T15:04:05Z07:00": cannot parse "${f.sinceTime}" as "2006"`);
    q.sinceTime = rfc3339(new Date(t));
  }
  const tail = f.tail === undefined ? -1 : Number(f.tail);
  if (tail < -1) throw new CliError('error: --tail must be greater than or equal to -1');
  if (f.selector && f.tail === undefined) q.tailLines = '10';
  else if (tail !== -1) q.tailLines = String(tail);
  if (f.timestamps) q.timestamps = 'true';
  return q;
}

/** `NAME` (a Pod) or `TYPE/NAME`; workloads and Services lead to the first of their Pods. */
async function podFor(ctx: Ctx, podsResource: ApiResource, arg: string, ns: string, timeoutMs: number): Promise<Any> {
  const [target] = arg.includes('/') ? await resolveTargets(ctx, [arg]) : [{ resource: podsResource, names: [arg] }];
  const r = target!.resource;
  const name = target!.names![0]!;
  let obj: Any;
  try {
    obj = await ctx.request<KubeObject>({ path: pathOf(r, ns, name) });
  } catch (e) {
    const err = e as { code?: number; message?: string };
    if (err.code === 404) throw new CliError(`error: error from server (NotFound): ${err.message} in namespace "${ns}"`);
    throw e;
  }
  if (r.kind === 'Pod' && r.group === '') return obj;
  const selector = selectorOf(obj, r.kind);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const list = await ctx.request<KubeList>({ path: `/api/v1/namespaces/${encodeURIComponent(ns)}/pods`, query: { labelSelector: selector } });
    if (list.items.length) {
      const sorted = [...list.items].sort(byLogging);
      if (list.items.length > 1) ctx.io.err(`Found ${list.items.length} pods, using pod/${sorted[0]!.metadata?.name}\n`);
      return sorted[0];
    }
    if (Date.now() >= deadline) throw new CliError('error: timed out waiting for the condition');
    await new Promise((res) => setTimeout(res, 500));
  }
}

/** The label selector of a workload (spec.selector) or a Service (spec.selector as a map). */
function selectorOf(o: Any, kind: string): string {
  const sel = o.spec?.selector;
  if (kind === 'Service' || kind === 'ReplicationController') {
    const entries = Object.entries(sel ?? {});
    if (!entries.length)
      throw new CliError(`error: cannot get the logs from ${kind}: invalid service '${o.metadata.name}': Service is defined without a selector`);
    return entries.map(([k, v]) => `${k}=${v}`).join(',');
  }
  if (!sel) throw new CliError(`error: cannot get the logs from ${kind}: selector for ${kind} not implemented`);
  const parts = Object.entries(sel.matchLabels ?? {}).map(([k, v]) => `${k}=${v}`);
  for (const e of sel.matchExpressions ?? []) {
    if (e.operator === 'In') parts.push(`${e.key} in (${e.values.join(',')})`);
    else if (e.operator === 'NotIn') parts.push(`${e.key} notin (${e.values.join(',')})`);
    else if (e.operator === 'Exists') parts.push(e.key);
    else if (e.operator === 'DoesNotExist') parts.push(`!${e.key}`);
  }
  return parts.join(',');
}

/** kubectl's ByLogging order: scheduled, running, ready (longest), most restarts, oldest. */
function byLogging(a: Any, b: Any): number {
  const assigned = (p: Any) => (p.spec?.nodeName ? 0 : 1);
  if (assigned(a) !== assigned(b)) return assigned(a) - assigned(b);
  const phase = (p: Any) => ({ Pending: 2, Unknown: 1 })[p.status?.phase as string] ?? 0;
  if (phase(a) !== phase(b)) return phase(a) - phase(b);
  const readyAt = (p: Any) => (p.status?.conditions ?? []).find((c: Any) => c.type === 'Ready' && c.status === 'True');
  const ra = readyAt(a);
  const rb = readyAt(b);
  if (!!ra !== !!rb) return ra ? -1 : 1;
  if (ra && rb && ra.lastTransitionTime !== rb.lastTransitionTime) return Date.parse(ra.lastTransitionTime) - Date.parse(rb.lastTransitionTime);
  const restarts = (p: Any) => Math.max(0, ...(p.status?.containerStatuses ?? []).map((c: Any) => c.restartCount ?? 0));
  if (restarts(a) !== restarts(b)) return restarts(b) - restarts(a);
  return Date.parse(a.metadata?.creationTimestamp ?? '') - Date.parse(b.metadata?.creationTimestamp ?? '');
}

/** `-c`, else the default-container annotation, else the first container (saying so when there are others). */
function containerFor(ctx: Ctx, pod: Any, wanted: string | undefined): string {
  const spec = pod.spec ?? {};
  const names = (list: Any[] | undefined) => (list ?? []).map((c: Any) => c.name as string);
  const all = [...names(spec.initContainers), ...names(spec.containers), ...names(spec.ephemeralContainers)];
  let container = wanted;
  if (!container) {
    const preferred = pod.metadata?.annotations?.[DEFAULT_CONTAINER_ANNOTATION];
    if (preferred) {
      if (all.includes(preferred)) container = preferred;
      else ctx.io.err(`Default container name "${preferred}" not found in pod ${pod.metadata.name}\n`);
    }
  }
  if (!container) {
    container = spec.containers?.[0]?.name as string;
    if ((spec.containers?.length ?? 0) > 1 || spec.initContainers?.length || spec.ephemeralContainers?.length) {
      const described = [
        ...names(spec.initContainers).map((n) => `${n} (init)`),
        ...names(spec.containers),
        ...names(spec.ephemeralContainers).map((n) => `${n} (ephem)`),
      ];
      ctx.io.err(`Defaulted container "${container}" out of: ${described.join(', ')}\n`);
    }
  }
  if (!all.includes(container)) throw new CliError(`error: container ${container} is not valid for pod ${pod.metadata.name}`);
  return container;
}
