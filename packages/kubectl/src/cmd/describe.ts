/**
 * `mkctl describe TYPE NAME`: a readable summary in kubectl's layout (aligned
 * `Key:  value` lines, nested sections indented by two), kind-specific sections for
 * Pods, Deployments, ConfigMaps and Namespaces (and, in describe-network.ts, Services,
 * Ingresses, EndpointSlices and Endpoints), the top-level fields for other kinds, and the
 * object's Events.
 */
import type { ApiResource, KubeList, KubeObject } from '@minik8s/client/kube';
import type { Ctx } from '../context.ts';
import { formatError } from '../errors.ts';
import { itemsOf, listAll, pathOf, resolveTargets } from '../internal/resources.ts';
import { humanDuration } from '../printers/age.ts';
import { toYamlText } from '../printers/output.ts';
import { alignColumns } from '../printers/tabwriter.ts';
import { endpointSlice, endpoints, ingress, service } from './describe-network.ts';

// biome-ignore lint/suspicious/noExplicitAny: objects of every kind
type Any = any;

/** Lines of cells; one-cell lines break the alignment, as tabwriter blocks do. */
export class Out {
  readonly lines: string[][] = [];
  constructor(private readonly indent = '') {}
  kv(level: number, key: string, value: unknown): void {
    this.lines.push([`${this.indent}${'  '.repeat(level)}${key}:`, value === undefined || value === '' ? '' : String(value)]);
  }
  /** A map as `k=v` lines under one key (`<none>` when empty). */
  map(level: number, key: string, m: Record<string, string> | undefined, skip: string[] = [], sep = '='): void {
    const keys = Object.keys(m ?? {})
      .filter((k) => !skip.includes(k))
      .sort();
    if (!keys.length) {
      this.kv(level, key, '<none>');
      return;
    }
    keys.forEach((k, i) => {
      const text = `${k}${sep}${m![k]}`;
      if (i === 0) this.kv(level, key, text);
      else this.lines.push(['', text]);
    });
  }
  line(level: number, text: string): void {
    this.lines.push([`${'  '.repeat(level)}${text}`]);
  }
  text(): string {
    return alignColumns(this.lines, { padding: 2, minWidth: 0 });
  }
  /** Cells joined by tabs, unaligned (kubectl's PrefixWriter without a tabwriter). */
  raw(): string {
    return this.lines.map((l) => `${l.join('\t')}\n`).join('');
  }
}

export async function describe(ctx: Ctx, args: string[], f: { selector?: string; allNamespaces?: boolean }): Promise<number> {
  const targets = await resolveTargets(ctx, args);
  let failed = false;
  const chunks: string[] = [];
  for (const t of targets) {
    const objects: KubeObject[] = [];
    try {
      if (t.names) {
        for (const name of t.names) {
          try {
            objects.push(await ctx.request<KubeObject>({ path: pathOf(t.resource, ctx.namespace, name) }));
          } catch (e) {
            failed = true;
            ctx.io.err(formatError(e, ctx.verbosity));
          }
        }
      } else {
        const list = await listAll<KubeList>(
          ctx,
          pathOf(t.resource, f.allNamespaces ? undefined : ctx.namespace),
          { labelSelector: f.selector },
          undefined,
          (a, p) => {
            a.items = [...a.items, ...p.items];
          },
        );
        objects.push(...itemsOf(list));
      }
    } catch (e) {
      failed = true;
      ctx.io.err(formatError(e, ctx.verbosity));
    }
    for (const o of objects) chunks.push(await describeOne(ctx, t.resource, o));
  }
  ctx.io.out(chunks.join('\n\n'));
  if (!chunks.length && !failed) ctx.io.err(`No resources found in ${ctx.namespace} namespace.\n`);
  return failed ? 1 : 0;
}

async function describeOne(ctx: Ctx, r: ApiResource, o: Any): Promise<string> {
  const w = new Out();
  const meta = o.metadata ?? {};
  const kind = `${r.group}/${r.kind}`;
  if (kind === 'networking.k8s.io/Ingress') {
    await ingress(ctx, w, o);
    await events(ctx, w, r, o);
    return w.text();
  }
  w.kv(0, 'Name', meta.name);
  if (r.namespaced) w.kv(0, 'Namespace', meta.namespace);
  const special = SPECIAL.has(kind);
  if (r.kind === 'Pod' && r.group === '') {
    w.kv(0, 'Priority', o.spec?.priority ?? 0);
    if (o.spec?.priorityClassName) w.kv(0, 'Priority Class Name', o.spec.priorityClassName);
    w.kv(0, 'Service Account', o.spec?.serviceAccountName ?? 'default');
    w.kv(0, 'Node', o.spec?.nodeName ? `${o.spec.nodeName}/${o.status?.hostIP ?? ''}` : '<none>');
    if (o.status?.startTime) w.kv(0, 'Start Time', httpDate(o.status.startTime));
  }
  if (kind === 'apps/Deployment' || !special) w.kv(0, 'CreationTimestamp', httpDate(meta.creationTimestamp));
  w.map(0, 'Labels', meta.labels);
  w.map(0, 'Annotations', meta.annotations, ['kubectl.kubernetes.io/last-applied-configuration'], ': ');
  if (kind === '/Namespace') {
    w.kv(0, 'Status', o.status?.phase ?? '');
    return w.text();
  }
  if (!special) generic(w, o);
  else if (kind === '/Pod') pod(w, o);
  else if (kind === 'apps/Deployment') await deployment(ctx, w, o);
  else if (kind === '/Service') await service(ctx, w, o);
  else if (kind === '/ConfigMap') configMap(w, o);
  else if (kind === '/Endpoints') endpoints(w, o);
  else if (kind === 'discovery.k8s.io/EndpointSlice') endpointSlice(w, o);
  await events(ctx, w, r, o);
  return w.text();
}

/** Kinds with their own layout (`group/Kind`); the others print their top-level fields. */
const SPECIAL = new Set([
  '/Pod',
  '/Service',
  '/ConfigMap',
  '/Namespace',
  '/Endpoints',
  'apps/Deployment',
  'discovery.k8s.io/EndpointSlice',
  'networking.k8s.io/Ingress',
]);

function generic(w: Out, o: Any): void {
  for (const [k, v] of Object.entries(o)) {
    if (['apiVersion', 'kind', 'metadata'].includes(k)) continue;
    if (v === null || typeof v !== 'object') {
      w.kv(0, titleCase(k), v);
      continue;
    }
    w.line(0, `${titleCase(k)}:`);
    for (const l of toYamlText(v).trimEnd().split('\n')) w.line(1, l);
  }
}

const titleCase = (k: string) => k.charAt(0).toUpperCase() + k.slice(1);

function pod(w: Out, p: Any): void {
  const spec = p.spec ?? {};
  const st = p.status ?? {};
  if (p.metadata?.deletionTimestamp) w.kv(0, 'Status', `Terminating (lasts ${humanDuration(Date.now() - Date.parse(p.metadata.deletionTimestamp))})`);
  else w.kv(0, 'Status', st.phase ?? 'Pending');
  w.kv(0, 'IP', st.podIP ?? '');
  const ips = (st.podIPs ?? []).map((x: Any) => x.ip);
  if (ips.length) {
    w.line(0, 'IPs:');
    for (const ip of ips) w.kv(1, 'IP', ip);
  } else w.kv(0, 'IPs', '<none>');
  const owner = (p.metadata?.ownerReferences ?? []).find((x: Any) => x.controller);
  if (owner) w.kv(0, 'Controlled By', `${owner.kind}/${owner.name}`);
  const statuses: Any[] = st.containerStatuses ?? [];
  w.line(0, 'Containers:');
  for (const c of spec.containers ?? []) {
    const cs = statuses.find((s) => s.name === c.name);
    w.line(1, `${c.name}:`);
    if (cs?.containerID) w.kv(2, 'Container ID', cs.containerID);
    w.kv(2, 'Image', c.image);
    if (cs?.imageID !== undefined) w.kv(2, 'Image ID', cs.imageID);
    containerPorts(w, c);
    containerCommand(w, c);
    if (cs) {
      const [state, detail] = Object.entries(cs.state ?? {})[0] ?? ['waiting', {}];
      w.kv(2, 'State', titleCase(state));
      const d = detail as Any;
      if (d?.reason) w.kv(3, 'Reason', d.reason);
      if (d?.startedAt) w.kv(3, 'Started', httpDate(d.startedAt));
      if (d?.exitCode !== undefined) w.kv(3, 'Exit Code', d.exitCode);
      w.kv(2, 'Ready', String(!!cs.ready));
      w.kv(2, 'Restart Count', cs.restartCount ?? 0);
    }
    containerEnv(w, c);
  }
  if (st.conditions?.length) {
    w.line(0, 'Conditions:');
    w.lines.push(['  Type', 'Status']);
    for (const c of st.conditions) w.lines.push([`  ${c.type}`, c.status]);
  }
  volumes(w, 0, spec.volumes);
  w.kv(0, 'QoS Class', st.qosClass ?? '');
  w.map(0, 'Node-Selectors', spec.nodeSelector);
  tolerations(w, 0, spec.tolerations);
}

function containerCommand(w: Out, c: Any, level = 2): void {
  if (c.command) {
    w.line(level, 'Command:');
    for (const a of c.command) w.line(level + 1, a);
  }
  if (c.args) {
    w.line(level, 'Args:');
    for (const a of c.args) w.line(level + 1, a);
  }
}

function containerPorts(w: Out, c: Any, level = 2): void {
  const ports: Any[] = c.ports ?? [];
  if (!ports.length) {
    w.kv(level, 'Port', '<none>');
    w.kv(level, 'Host Port', '<none>');
    return;
  }
  w.kv(level, 'Port', ports.map((p) => `${p.containerPort}/${p.protocol ?? 'TCP'}`).join(', '));
  w.kv(level, 'Host Port', ports.map((p) => `${p.hostPort ?? 0}/${p.protocol ?? 'TCP'}`).join(', '));
}

function containerEnv(w: Out, c: Any, level = 2): void {
  const env: Any[] = c.env ?? [];
  if (!env.length) w.kv(level, 'Environment', '<none>');
  else {
    w.line(level, 'Environment:');
    for (const e of env) {
      const from = e.valueFrom;
      const value =
        e.value ??
        (from?.configMapKeyRef
          ? `<set to the key '${from.configMapKeyRef.key}' of config map '${from.configMapKeyRef.name}'>`
          : from?.secretKeyRef
            ? `<set to the key '${from.secretKeyRef.key}' in secret '${from.secretKeyRef.name}'>`
            : from?.fieldRef
              ? `(${from.fieldRef.apiVersion ?? 'v1'}:${from.fieldRef.fieldPath})`
              : '');
      w.kv(level + 1, e.name, value);
    }
  }
  const mounts: Any[] = c.volumeMounts ?? [];
  if (!mounts.length) w.kv(level, 'Mounts', '<none>');
  else {
    w.line(level, 'Mounts:');
    for (const m of mounts) w.line(level + 1, `${m.mountPath} from ${m.name} (${m.readOnly ? 'ro' : 'rw'})`);
  }
}

function volumes(w: Out, level: number, vols: Any[] | undefined): void {
  if (!vols?.length) {
    w.kv(level, 'Volumes', '<none>');
    return;
  }
  w.line(level, 'Volumes:');
  for (const v of vols) {
    w.line(level + 1, `${v.name}:`);
    const [type, src] = Object.entries(v).find(([k]) => k !== 'name') ?? ['unknown', {}];
    if (type === 'emptyDir') {
      w.kv(level + 2, 'Type', "EmptyDir (a temporary directory that shares a pod's lifetime)");
      w.kv(level + 2, 'Medium', (src as Any)?.medium ?? '');
      w.kv(level + 2, 'SizeLimit', (src as Any)?.sizeLimit ?? '<unset>');
      continue;
    }
    w.kv(level + 2, 'Type', `${titleCase(type)}`);
    for (const [k, x] of Object.entries((src as Any) ?? {})) if (typeof x !== 'object') w.kv(level + 2, titleCase(k), x);
  }
}

function tolerations(w: Out, level: number, tols: Any[] | undefined): void {
  if (!tols?.length) {
    w.kv(level, 'Tolerations', '<none>');
    return;
  }
  tols.forEach((t, i) => {
    let s = t.key ?? '';
    if (t.value) s += `=${t.value}`;
    if (t.effect) s += `:${t.effect}`;
    if (t.operator === 'Exists' && !t.key) s = `op=Exists${t.effect ? `:${t.effect}` : ''}`;
    else if (t.operator === 'Exists') s += ' op=Exists';
    if (t.tolerationSeconds !== undefined) s += ` for ${t.tolerationSeconds}s`;
    if (i === 0) w.kv(level, 'Tolerations', s);
    else w.lines.push(['', s]);
  });
}

/** A Pod template as kubectl's DescribePodTemplate writes it. */
export function podTemplate(w: Out, tpl: Any): void {
  tpl ??= {};
  w.line(0, 'Pod Template:');
  w.map(1, 'Labels', tpl.metadata?.labels);
  if (tpl.metadata?.annotations) w.map(1, 'Annotations', tpl.metadata.annotations, [], ': ');
  if (tpl.spec?.serviceAccountName) w.kv(1, 'Service Account', tpl.spec.serviceAccountName);
  w.line(1, 'Containers:');
  for (const c of tpl.spec?.containers ?? []) {
    w.line(1, ` ${c.name}:`);
    w.kv(2, 'Image', c.image);
    containerPorts(w, c);
    containerCommand(w, c);
    containerEnv(w, c);
  }
  volumes(w, 1, tpl.spec?.volumes);
  w.map(1, 'Node-Selectors', tpl.spec?.nodeSelector);
  tolerations(w, 1, tpl.spec?.tolerations);
}

async function deployment(ctx: Ctx, w: Out, d: Any): Promise<void> {
  const spec = d.spec ?? {};
  const st = d.status ?? {};
  const sel = spec.selector?.matchLabels ?? {};
  w.kv(
    0,
    'Selector',
    Object.keys(sel)
      .map((k) => `${k}=${sel[k]}`)
      .join(',') || '<none>',
  );
  w.kv(
    0,
    'Replicas',
    `${spec.replicas ?? 1} desired | ${st.updatedReplicas ?? 0} updated | ${st.replicas ?? 0} total | ${st.availableReplicas ?? 0} available | ${st.unavailableReplicas ?? 0} unavailable`,
  );
  const strategy = spec.strategy ?? {};
  w.kv(0, 'StrategyType', strategy.type ?? 'RollingUpdate');
  w.kv(0, 'MinReadySeconds', spec.minReadySeconds ?? 0);
  if ((strategy.type ?? 'RollingUpdate') === 'RollingUpdate') {
    const ru = strategy.rollingUpdate ?? {};
    w.kv(0, 'RollingUpdateStrategy', `${ru.maxUnavailable ?? '25%'} max unavailable, ${ru.maxSurge ?? '25%'} max surge`);
  }
  podTemplate(w, spec.template);
  if (st.conditions?.length) {
    w.line(0, 'Conditions:');
    w.lines.push(['  Type', 'Status', 'Reason']);
    w.lines.push(['  ----', '------', '------']);
    for (const c of st.conditions) w.lines.push([`  ${c.type}`, c.status, c.reason ?? '']);
  }
  try {
    const list = await ctx.request<KubeList>({
      path: `/apis/apps/v1/namespaces/${d.metadata.namespace}/replicasets`,
      query: {
        labelSelector: Object.keys(sel)
          .map((k) => `${k}=${sel[k]}`)
          .join(','),
      },
    });
    const owned = list.items.filter((rs: Any) => (rs.metadata?.ownerReferences ?? []).some((x: Any) => x.controller && x.uid === d.metadata.uid));
    const rev = (x: Any) => Number(x.metadata?.annotations?.['deployment.kubernetes.io/revision'] ?? 0);
    owned.sort((a, b) => rev(b) - rev(a));
    const fmt = (rs: Any) => `${rs.metadata.name} (${rs.status?.replicas ?? 0}/${rs.spec?.replicas ?? 0} replicas created)`;
    if (owned.length || st.conditions) {
      w.kv(0, 'OldReplicaSets', owned.slice(1).map(fmt).join(', ') || '<none>');
      w.kv(0, 'NewReplicaSet', owned[0] ? fmt(owned[0]) : '<none>');
    }
  } catch {
    // describe ignores failures of its secondary requests
  }
}

function configMap(w: Out, cm: Any): void {
  w.line(0, '');
  w.line(0, 'Data');
  w.line(0, '====');
  for (const k of Object.keys(cm.data ?? {}).sort()) {
    w.line(0, `${k}:`);
    w.line(0, '----');
    w.line(0, String(cm.data[k]));
  }
  w.line(0, '');
  w.line(0, '');
  w.line(0, 'BinaryData');
  w.line(0, '====');
  for (const k of Object.keys(cm.binaryData ?? {}).sort()) w.line(0, `${k}: ${Buffer.from(cm.binaryData[k], 'base64').length} bytes`);
  w.line(0, '');
}

async function events(ctx: Ctx, w: Out, r: ApiResource, o: Any): Promise<void> {
  const meta = o.metadata ?? {};
  const fields = [
    r.kind !== 'Pod' ? `involvedObject.kind=${r.kind}` : undefined,
    `involvedObject.name=${meta.name}`,
    meta.namespace ? `involvedObject.namespace=${meta.namespace}` : undefined,
    meta.uid ? `involvedObject.uid=${meta.uid}` : undefined,
  ].filter(Boolean);
  let items: Any[] = [];
  try {
    const ns = meta.namespace ?? 'default';
    const list = await ctx.request<KubeList>({
      path: `/api/v1/namespaces/${encodeURIComponent(ns)}/events`,
      query: { fieldSelector: fields.join(','), limit: 500 },
    });
    items = list.items ?? [];
  } catch {
    items = [];
  }
  if (!items.length) {
    w.kv(0, 'Events', '<none>');
    return;
  }
  const at = (e: Any) => Date.parse(e.lastTimestamp ?? e.eventTime ?? e.metadata?.creationTimestamp ?? 0);
  items.sort((a, b) => at(a) - at(b));
  w.line(0, 'Events:');
  w.lines.push(['  Type', 'Reason', 'Age', 'From', 'Message']);
  w.lines.push(['  ----', '------', '----', '----', '-------']);
  const now = Date.now();
  for (const e of items) {
    const first = Date.parse(e.firstTimestamp ?? e.eventTime ?? e.metadata?.creationTimestamp ?? 0);
    const last = at(e);
    const count = e.count ?? e.series?.count ?? 1;
    const age = count > 1 ? `${humanDuration(now - last)} (x${count} over ${humanDuration(now - first)})` : humanDuration(now - first);
    const from = [e.source?.component ?? e.reportingController ?? '', e.source?.host].filter(Boolean).join(', ');
    w.lines.push([`  ${e.type ?? ''}`, e.reason ?? '', age, from, String(e.message ?? '').trim()]);
  }
}

/** Go's time.RFC1123Z as kubectl prints it: `Sun, 22 Nov 2026 13:54:14 +0000`. */
function httpDate(ts: string | undefined): string {
  if (!ts) return '<unknown>';
  const d = new Date(ts);
  if (Number.isNaN(d.getTime())) return ts;
  const days = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
  const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  const p = (n: number) => String(n).padStart(2, '0');
  return `${days[d.getUTCDay()]}, ${p(d.getUTCDate())} ${months[d.getUTCMonth()]} ${d.getUTCFullYear()} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())} +0000`;
}
