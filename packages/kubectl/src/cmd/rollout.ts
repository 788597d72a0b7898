/**
 * `mkctl rollout status|history|undo|restart|pause|resume`, done on the client as
 * kubectl 1.32 does them: status reads the workload and then watches it, printing
 * kubectl's status lines; history and undo read a Deployment's ReplicaSets (their
 * `deployment.kubernetes.io/revision` annotations) or a DaemonSet's or StatefulSet's
 * ControllerRevisions; restart, pause and resume patch the object.
 */
import type { ApiResource, KubeList, KubeObject } from '@minik8s/client/kube';
import { apiError, isStatus } from '@minik8s/client/kube';
import { CliError, type Ctx } from '../context.ts';
import { formatError } from '../errors.ts';
import { pathOf, resolveTargets } from '../internal/resources.ts';
import { streamLines } from '../internal/stream.ts';
import { kindName } from '../printers/output.ts';
import { alignColumns } from '../printers/tabwriter.ts';
import { parseDuration } from './delete.ts';
import { Out, podTemplate } from './describe.ts';

// biome-ignore lint/suspicious/noExplicitAny: workloads are read loosely
type Any = any;

export const REVISION_ANNOTATION = 'deployment.kubernetes.io/revision';
const CHANGE_CAUSE = 'kubernetes.io/change-cause';
const RESTARTED_AT = 'kubectl.kubernetes.io/restartedAt';
const FIELD_MANAGER = 'kubectl-rollout';

interface Found {
  resource: ApiResource;
  name: string;
  object: Any;
}

/** The objects named on the command line, read from the server (kubectl's builder does the same). */
async function objectsOf(ctx: Ctx, args: string[]): Promise<Found[]> {
  if (args.length === 0) throw new CliError("error: required resource not specified\nSee 'mkctl rollout -h' for help and examples");
  const out: Found[] = [];
  for (const t of await resolveTargets(ctx, args)) {
    if (!t.names) throw new CliError('error: resource(s) were provided, but no name was specified');
    for (const name of t.names)
      out.push({ resource: t.resource, name, object: await ctx.request<KubeObject>({ path: pathOf(t.resource, ctx.namespace, name) }) });
  }
  return out;
}

const label = (f: Found) => `${kindName(f.resource.kind, f.resource.group)}/${f.name}`;
const resourceString = (r: ApiResource) => (r.group ? `${r.plural}.${r.group}` : r.plural);
const is = (r: ApiResource, kind: string) => r.group === 'apps' && r.kind === kind;

// ------------------------------------------------------------------ status

export interface StatusFlags {
  watch?: boolean;
  timeout?: string;
  revision?: string;
}

/** kubectl's status viewers: the line to print, and whether the rollout is done. */
export function rolloutStatus(r: ApiResource, o: Any, revision = 0): { text: string; done: boolean } {
  const spec = o.spec ?? {};
  const st = o.status ?? {};
  const gen = o.metadata?.generation ?? 0;
  const observed = st.observedGeneration ?? 0;
  const name = o.metadata.name;
  if (is(r, 'Deployment')) {
    if (revision > 0) {
      const current = Number(o.metadata?.annotations?.[REVISION_ANNOTATION] ?? Number.NaN);
      if (Number.isNaN(current)) throw new CliError(`error: cannot get the revision of deployment "${name}": strconv.ParseInt: parsing "": invalid syntax`);
      if (current !== revision) throw new CliError(`error: desired revision (${revision}) is different from the running revision (${current})`);
    }
    if (gen > observed) return { text: 'Waiting for deployment spec update to be observed...\n', done: false };
    const progressing = (st.conditions ?? []).find((c: Any) => c.type === 'Progressing');
    if (progressing?.reason === 'ProgressDeadlineExceeded') throw new CliError(`error: deployment "${name}" exceeded its progress deadline`);
    const want = spec.replicas ?? 1;
    const updated = st.updatedReplicas ?? 0;
    const total = st.replicas ?? 0;
    const available = st.availableReplicas ?? 0;
    const wait = (s: string) => ({ text: `Waiting for deployment "${name}" rollout to finish: ${s}...\n`, done: false });
    if (updated < want) return wait(`${updated} out of ${want} new replicas have been updated`);
    if (total > updated) return wait(`${total - updated} old replicas are pending termination`);
    if (available < updated) return wait(`${available} of ${updated} updated replicas are available`);
    return { text: `deployment "${name}" successfully rolled out\n`, done: true };
  }
  if (is(r, 'DaemonSet')) {
    if ((spec.updateStrategy?.type ?? 'RollingUpdate') !== 'RollingUpdate')
      throw new CliError('error: rollout status is only available for RollingUpdate strategy type');
    if (gen > observed) return { text: 'Waiting for daemon set spec update to be observed...\n', done: false };
    const desired = st.desiredNumberScheduled ?? 0;
    if ((st.updatedNumberScheduled ?? 0) < desired) {
      return {
        text: `Waiting for daemon set "${name}" rollout to finish: ${st.updatedNumberScheduled ?? 0} out of ${desired} new pods have been updated...\n`,
        done: false,
      };
    }
    if ((st.numberAvailable ?? 0) < desired) {
      return {
        text: `Waiting for daemon set "${name}" rollout to finish: ${st.numberAvailable ?? 0} of ${desired} updated pods are available...\n`,
        done: false,
      };
    }
    return { text: `daemon set "${name}" successfully rolled out\n`, done: true };
  }
  if (is(r, 'StatefulSet')) {
    const strategy = spec.updateStrategy ?? { type: 'RollingUpdate' };
    if ((strategy.type ?? 'RollingUpdate') !== 'RollingUpdate') throw new CliError('error: rollout status is only available for RollingUpdate strategy type');
    if (observed === 0 || gen > observed) return { text: 'Waiting for statefulset spec update to be observed...\n', done: false };
    const want = spec.replicas ?? 1;
    if ((st.readyReplicas ?? 0) < want) return { text: `Waiting for ${want - (st.readyReplicas ?? 0)} pods to be ready...\n`, done: false };
    if (strategy.rollingUpdate) {
      const partition = strategy.rollingUpdate.partition ?? 0;
      if ((st.updatedReplicas ?? 0) < want - partition) {
        return {
          text: `Waiting for partitioned roll out to finish: ${st.updatedReplicas ?? 0} out of ${want - partition} new pods have been updated...\n`,
          done: false,
        };
      }
      return { text: `partitioned roll out complete: ${st.updatedReplicas ?? 0} new pods have been updated...\n`, done: true };
    }
    if (st.updateRevision !== st.currentRevision) {
      return { text: `waiting for statefulset rolling update to complete ${st.updatedReplicas ?? 0} pods at revision ${st.updateRevision}...\n`, done: false };
    }
    return { text: `statefulset rolling update complete ${st.currentReplicas ?? 0} pods at revision ${st.currentRevision}...\n`, done: true };
  }
  throw new CliError(`error: no status viewer has been implemented for ${r.kind}`);
}

export async function status(ctx: Ctx, args: string[], f: StatusFlags): Promise<number> {
  const found = await objectsOf(ctx, args);
  if (found.length !== 1)
    throw new CliError(`error: rollout status is only supported on individual resources and resource collections, but ${found.length} resources were found`);
  const { resource, name, object } = found[0]!;
  const revision = Number(f.revision ?? 0);
  let s = rolloutStatus(resource, object, revision);
  ctx.io.out(s.text);
  if (s.done || f.watch === false) return 0;

  const timeoutMs = parseDuration(f.timeout);
  const abort = new AbortController();
  let timedOut = false;
  const expire = () => {
    timedOut = true;
    abort.abort();
  };
  const timer = timeoutMs > 0 ? setTimeout(expire, timeoutMs) : undefined;
  const stop = () => abort.abort();
  ctx.io.signal?.addEventListener('abort', stop);
  try {
    const q = new URLSearchParams({ watch: 'true', fieldSelector: `metadata.name=${name}`, resourceVersion: object.metadata.resourceVersion });
    for await (const raw of streamLines(ctx, `${pathOf(resource, ctx.namespace)}?${q}`, 'application/json', abort.signal)) {
      const ev = raw as { type?: string; object?: Any };
      if (ev.type === 'ERROR')
        throw apiError(isStatus(ev.object) ? ev.object : { kind: 'Status', apiVersion: 'v1', code: 500, message: JSON.stringify(ev.object) });
      if (ev.type === 'DELETED') throw new CliError('error: object has been deleted');
      if (ev.type !== 'ADDED' && ev.type !== 'MODIFIED') continue;
      s = rolloutStatus(resource, ev.object, revision);
      ctx.io.out(s.text);
      if (s.done) return 0;
    }
  } finally {
    clearTimeout(timer);
    ctx.io.signal?.removeEventListener('abort', stop);
  }
  if (timedOut) throw new CliError('error: timed out waiting for the condition');
  return 0;
}

// ------------------------------------------------------------------ history and undo

/** The Deployment's ReplicaSets (selected by it and controlled by it) by revision. */
async function replicaSetsOf(ctx: Ctx, d: Any): Promise<Map<number, Any>> {
  const sel = d.spec?.selector?.matchLabels ?? {};
  const list = await ctx.request<KubeList>({
    path: `/apis/apps/v1/namespaces/${encodeURIComponent(d.metadata.namespace)}/replicasets`,
    query: {
      labelSelector: Object.entries(sel)
        .map(([k, v]) => `${k}=${v}`)
        .join(','),
    },
  });
  const byRevision = new Map<number, Any>();
  for (const rs of list.items as Any[]) {
    if (!(rs.metadata?.ownerReferences ?? []).some((o: Any) => o.controller && o.uid === d.metadata.uid)) continue;
    const v = rs.metadata?.annotations?.[REVISION_ANNOTATION];
    if (v === undefined || !/^-?\d+$/.test(v)) continue;
    byRevision.set(Number(v), rs);
  }
  return byRevision;
}

export async function history(ctx: Ctx, args: string[], f: { revision?: string }): Promise<number> {
  const revision = Number(f.revision ?? 0);
  for (const found of await objectsOf(ctx, args)) {
    if (usesControllerRevisions(found.resource)) {
      ctx.io.out(`${await revisionHistory(ctx, found, revision)}\n`);
      continue;
    }
    if (!is(found.resource, 'Deployment')) throw new CliError(`error: no history viewer has been implemented for ${found.resource.kind}`);
    const rss = await replicaSetsOf(ctx, found.object);
    let text: string;
    if (revision > 0) {
      const rs = rss.get(revision);
      if (!rs) throw new CliError('error: unable to find the specified revision');
      const template = structuredClone(rs.spec?.template ?? {});
      const cause = rs.metadata?.annotations?.[CHANGE_CAUSE];
      if (cause) template.metadata = { ...template.metadata, annotations: { ...template.metadata?.annotations, [CHANGE_CAUSE]: cause } };
      const w = new Out();
      podTemplate(w, template);
      text = `${label(found)} with revision #${revision}\n${w.raw()}`;
    } else {
      const lines = [['REVISION', 'CHANGE-CAUSE']];
      for (const r of [...rss.keys()].sort((a, b) => a - b)) lines.push([String(r), rss.get(r)!.metadata?.annotations?.[CHANGE_CAUSE] || '<none>']);
      text = `${label(found)} \n${alignColumns(lines, { padding: 2, minWidth: 0 })}`;
    }
    ctx.io.out(`${text}\n`);
  }
  return 0;
}

const HASH_LABEL = 'pod-template-hash';
const ANNOTATIONS_TO_SKIP = [
  'kubectl.kubernetes.io/last-applied-configuration',
  REVISION_ANNOTATION,
  'deployment.kubernetes.io/revision-history',
  'deployment.kubernetes.io/desired-replicas',
  'deployment.kubernetes.io/max-replicas',
  'deprecated.deployment.rollback.to',
];

function withoutHash(template: Any): Any {
  const t = structuredClone(template ?? {});
  if (t.metadata?.labels) {
    delete t.metadata.labels[HASH_LABEL];
    if (Object.keys(t.metadata.labels).length === 0) delete t.metadata.labels;
  }
  return t;
}

const canonical = (v: unknown): string =>
  JSON.stringify(v, (_k, x) =>
    x && typeof x === 'object' && !Array.isArray(x) ? Object.fromEntries(Object.entries(x).sort(([a], [b]) => (a < b ? -1 : 1))) : x,
  );

export async function undo(ctx: Ctx, args: string[], f: { toRevision?: string }): Promise<number> {
  const toRevision = Number(f.toRevision ?? 0);
  let failed = false;
  for (const found of await objectsOf(ctx, args)) {
    try {
      if (usesControllerRevisions(found.resource)) {
        ctx.io.out(`${await undoToRevision(ctx, found, toRevision)}\n`);
        continue;
      }
      if (!is(found.resource, 'Deployment'))
        throw new CliError(
          `error: no rollbacker has been implemented for ${found.resource.group ? `${found.resource.kind}.${found.resource.group}` : found.resource.kind}`,
        );
      if (toRevision < 0) throw new CliError(`error: unable to find specified revision ${toRevision} in history`);
      const d = found.object;
      const rss = await replicaSetsOf(ctx, d);
      let rs: Any;
      if (toRevision > 0) {
        rs = rss.get(toRevision);
        if (!rs) throw new CliError(`error: unable to find specified revision ${toRevision} in history`);
      } else {
        const revisions = [...rss.keys()].sort((a, b) => b - a);
        if (revisions.length < 2) throw new CliError(`error: no rollout history found for deployment "${found.name}"`);
        rs = rss.get(revisions[1]!);
      }
      if (d.spec?.paused) throw new CliError("error: you cannot rollback a paused deployment; resume it first with 'kubectl rollout resume' and try again");
      const target = withoutHash(rs.spec?.template);
      const revision = Number(rs.metadata.annotations[REVISION_ANNOTATION]);
      if (canonical(target) === canonical(withoutHash(d.spec?.template))) {
        ctx.io.out(`${label(found)} skipped rollback (current template already matches revision ${revision})\n`);
        continue;
      }
      const annotations: Record<string, string> = {};
      for (const k of ANNOTATIONS_TO_SKIP) if (d.metadata?.annotations?.[k] !== undefined) annotations[k] = d.metadata.annotations[k];
      for (const [k, v] of Object.entries<string>(rs.metadata?.annotations ?? {})) if (!ANNOTATIONS_TO_SKIP.includes(k)) annotations[k] = v;
      await ctx.request({
        method: 'PATCH',
        path: pathOf(found.resource, ctx.namespace, found.name),
        query: { fieldManager: FIELD_MANAGER },
        contentType: 'application/json-patch+json',
        body: [
          { op: 'replace', path: '/spec/template', value: target },
          { op: 'replace', path: '/metadata/annotations', value: annotations },
        ],
      });
      ctx.io.out(`${label(found)} rolled back\n`);
    } catch (e) {
      failed = true;
      ctx.io.err(formatError(e, ctx.verbosity));
    }
  }
  return failed ? 1 : 0;
}

// ------------------------------------------------------------------ DaemonSets and StatefulSets

const usesControllerRevisions = (r: ApiResource) => is(r, 'DaemonSet') || is(r, 'StatefulSet');

/** The object's ControllerRevisions (selected by its selector, controlled by it), by revision. */
async function controllerRevisionsOf(ctx: Ctx, o: Any): Promise<Map<number, Any>> {
  const sel = o.spec?.selector ?? {};
  const terms = [
    ...Object.entries<string>(sel.matchLabels ?? {}).map(([k, v]) => `${k}=${v}`),
    ...(sel.matchExpressions ?? []).map((e: Any) =>
      e.operator === 'Exists' ? e.key : e.operator === 'DoesNotExist' ? `!${e.key}` : `${e.key} ${e.operator.toLowerCase()} (${(e.values ?? []).join(',')})`,
    ),
  ];
  const list = await ctx.request<KubeList>({
    path: `/apis/apps/v1/namespaces/${encodeURIComponent(o.metadata.namespace)}/controllerrevisions`,
    query: { labelSelector: terms.join(',') },
  });
  const byRevision = new Map<number, Any>();
  for (const h of list.items as Any[]) {
    if ((h.metadata?.ownerReferences ?? []).some((r: Any) => r.controller && r.uid === o.metadata.uid)) byRevision.set(Number(h.revision ?? 0), h);
  }
  return byRevision;
}

/** The Pod template a revision holds: its data is a patch `{"spec":{"template":{..., "$patch":"replace"}}}`. */
function templateOf(h: Any): Any {
  const t = structuredClone(h.data?.spec?.template ?? {});
  delete t.$patch;
  return t;
}

async function revisionHistory(ctx: Ctx, found: Found, revision: number): Promise<string> {
  const histories = await controllerRevisionsOf(ctx, found.object);
  if (revision > 0) {
    const h = histories.get(revision);
    if (!h) throw new CliError(`error: unable to find the specified revision`);
    const w = new Out();
    podTemplate(w, templateOf(h));
    return `${label(found)} with revision #${revision}\n${w.raw()}`;
  }
  const lines = [['REVISION', 'CHANGE-CAUSE']];
  for (const r of [...histories.keys()].sort((a, b) => a - b)) lines.push([String(r), histories.get(r)!.metadata?.annotations?.[CHANGE_CAUSE] || '<none>']);
  return `${label(found)} \n${alignColumns(lines, { padding: 2, minWidth: 0 })}`;
}

/** kubectl's DaemonSet and StatefulSet rollbackers: the revision's data, applied as a strategic merge patch. */
async function undoToRevision(ctx: Ctx, found: Found, toRevision: number): Promise<string> {
  if (toRevision < 0) throw new CliError(`error: unable to find specified revision ${toRevision} in history`);
  const histories = await controllerRevisionsOf(ctx, found.object);
  let h: Any;
  if (toRevision > 0) {
    h = histories.get(toRevision);
    if (!h) throw new CliError(`error: unable to find specified revision ${toRevision} in history`);
  } else {
    const revisions = [...histories.keys()].sort((a, b) => b - a);
    if (revisions.length < 2) throw new CliError(`error: no last revision to roll back to`);
    h = histories.get(revisions[1]!);
  }
  const revision = Number(h.revision);
  if (canonical(templateOf(h)) === canonical(found.object.spec?.template ?? {})) {
    return `${label(found)} skipped rollback (current template already matches revision ${revision})`;
  }
  await ctx.request({
    method: 'PATCH',
    path: pathOf(found.resource, ctx.namespace, found.name),
    query: { fieldManager: FIELD_MANAGER },
    contentType: 'application/strategic-merge-patch+json',
    body: h.data,
  });
  return `${label(found)} rolled back`;
}

// ------------------------------------------------------------------ restart, pause, resume

type Patcher = (r: ApiResource, o: Any) => unknown | undefined;

/** Go's time.Now().Format(time.RFC3339) in the local zone. */
function rfc3339Local(d = new Date()): string {
  const off = -d.getTimezoneOffset();
  const pad = (n: number) => String(Math.floor(Math.abs(n))).padStart(2, '0');
  const zone = off === 0 ? 'Z' : `${off > 0 ? '+' : '-'}${pad(off / 60)}:${pad(off % 60)}`;
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}${zone}`;
}

const patchers: Record<'restart' | 'pause' | 'resume', { done: string; already?: string; patch: Patcher }> = {
  restart: {
    done: 'restarted',
    patch: (r, o) => {
      if (is(r, 'Deployment') && o.spec?.paused) throw new Error("can't restart paused deployment (run rollout resume first)");
      if (!is(r, 'Deployment') && !is(r, 'DaemonSet') && !is(r, 'StatefulSet')) throw new Error('restarting is not supported');
      return { spec: { template: { metadata: { annotations: { [RESTARTED_AT]: rfc3339Local() } } } } };
    },
  },
  pause: {
    done: 'paused',
    patch: (r, o) => {
      if (!is(r, 'Deployment')) throw new Error('pausing is not supported');
      if (o.spec?.paused) throw new Error('is already paused');
      return { spec: { paused: true } };
    },
  },
  resume: {
    done: 'resumed',
    patch: (r, o) => {
      if (!is(r, 'Deployment')) throw new Error('resuming is not supported');
      if (!o.spec?.paused) throw new Error('is not paused');
      return { spec: { paused: null } };
    },
  },
};

export async function patchRollout(ctx: Ctx, verb: keyof typeof patchers, args: string[]): Promise<number> {
  const p = patchers[verb];
  const errors: string[] = [];
  for (const found of await objectsOf(ctx, args)) {
    let patch: unknown;
    try {
      patch = p.patch(found.resource, found.object);
    } catch (e) {
      errors.push(`error: ${resourceString(found.resource)} "${found.name}" ${(e as Error).message}`);
      continue;
    }
    try {
      await ctx.request({
        method: 'PATCH',
        path: pathOf(found.resource, ctx.namespace, found.name),
        query: { fieldManager: FIELD_MANAGER },
        contentType: 'application/strategic-merge-patch+json',
        body: patch,
      });
      ctx.io.out(`${label(found)} ${p.done}\n`);
    } catch (e) {
      errors.push(formatError(e, ctx.verbosity).trimEnd());
    }
  }
  if (errors.length === 1) throw new CliError(errors[0]!);
  if (errors.length > 1) throw new CliError(`[${errors.join(', ')}]`);
  return 0;
}
