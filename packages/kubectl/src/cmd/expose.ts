/**
 * `mkctl expose TYPE NAME | TYPE/NAME | -f FILE`: a Service for a Deployment, ReplicaSet,
 * Pod or Service, built as kubectl 1.32 builds it (selector, ports, protocols and labels
 * taken from the exposed object unless given) and printed `service/NAME exposed`.
 */
import type { ApiResource, KubeObject } from '@minik8s/client/kube';
import { CliError, type Ctx } from '../context.ts';
import { readManifests } from '../internal/manifests.ts';
import { pathOf, resolveTargets } from '../internal/resources.ts';
import { parseOutput, printObjects } from '../printers/output.ts';
import { dryRunMode } from './apply.ts';

// biome-ignore lint/suspicious/noExplicitAny: objects of several kinds
type Any = any;

export interface ExposeFlags {
  filename?: string[];
  recursive?: boolean;
  port?: string;
  targetPort?: string;
  protocol?: string;
  name?: string;
  type?: string;
  selector?: string;
  labels?: string;
  externalIp?: string;
  loadBalancerIp?: string;
  sessionAffinity?: string;
  clusterIp?: string;
  fieldManager?: string;
  dryRun?: string;
  output?: string;
}

const EXPOSABLE = new Set([
  '/ReplicationController',
  '/Service',
  '/Pod',
  'apps/Deployment',
  'apps/ReplicaSet',
  'extensions/Deployment',
  'extensions/ReplicaSet',
]);

/** DNS-1035 labels (Service names) are at most 63 characters. */
const MAX_NAME = 63;

export async function expose(ctx: Ctx, args: string[], f: ExposeFlags): Promise<number> {
  const format = parseOutput(f.output);
  const dryRun = dryRunMode(f.dryRun);
  const sources = await exposed(ctx, args, f);
  for (const { resource, object } of sources) {
    if (!EXPOSABLE.has(`${resource.group}/${resource.kind}`)) {
      throw new CliError(`error: cannot expose a ${resource.group ? `${resource.kind}.${resource.group}` : resource.kind}`);
    }
    const service = buildService(object, f);
    let result: KubeObject = service;
    if (dryRun === 'client') {
      // kubectl sets the namespace of a client-side object only when -n was given.
      if (ctx.flags.namespace) service.metadata = { name: service.metadata.name, namespace: ctx.namespace, ...service.metadata };
    } else {
      result = await ctx.request<KubeObject>({
        method: 'POST',
        path: `/api/v1/namespaces/${encodeURIComponent(ctx.namespace)}/services`,
        query: { fieldManager: f.fieldManager ?? 'kubectl-expose', dryRun: dryRun === 'server' ? 'All' : undefined },
        body: service,
      });
    }
    if (format.kind === 'table') {
      const suffix = dryRun === 'server' ? ' (server dry run)' : dryRun === 'client' ? ' (dry run)' : '';
      ctx.io.out(`service/${result.metadata?.name ?? ''} exposed${suffix}\n`);
    } else ctx.io.out(printObjects([typedOrder(result)], format, true, false));
  }
  return 0;
}

/** Keys in the order given (Go's struct order), the others after them as they come. */
function inOrder(o: Any, order: string[], nested: Record<string, (v: Any) => Any> = {}): Any {
  if (!o || typeof o !== 'object' || Array.isArray(o)) return o;
  const keys = [...order.filter((k) => k in o), ...Object.keys(o).filter((k) => !order.includes(k))];
  return Object.fromEntries(keys.map((k) => [k, nested[k] ? nested[k]!(o[k]) : o[k]]));
}

const META = [
  'name',
  'generateName',
  'namespace',
  'selfLink',
  'uid',
  'resourceVersion',
  'generation',
  'creationTimestamp',
  'deletionTimestamp',
  'deletionGracePeriodSeconds',
  'labels',
  'annotations',
  'ownerReferences',
  'finalizers',
  'managedFields',
];
const SPEC = [
  'ports',
  'selector',
  'clusterIP',
  'clusterIPs',
  'type',
  'externalIPs',
  'sessionAffinity',
  'loadBalancerIP',
  'loadBalancerSourceRanges',
  'externalName',
  'externalTrafficPolicy',
  'healthCheckNodePort',
  'publishNotReadyAddresses',
  'sessionAffinityConfig',
  'ipFamilies',
  'ipFamilyPolicy',
  'allocateLoadBalancerNodePorts',
  'loadBalancerClass',
  'internalTrafficPolicy',
  'trafficDistribution',
];
const PORT = ['name', 'protocol', 'appProtocol', 'port', 'targetPort', 'nodePort'];
const MANAGED = ['manager', 'operation', 'apiVersion', 'time', 'fieldsType', 'fieldsV1', 'subresource'];

/** A Service's JSON in corev1.Service's field order, as kubectl prints the typed object it decodes. */
function typedOrder(svc: Any): Any {
  return inOrder(svc, ['kind', 'apiVersion', 'metadata', 'spec', 'status'], {
    metadata: (m) => inOrder(m, META, { managedFields: (fs) => (Array.isArray(fs) ? fs.map((x) => inOrder(x, MANAGED)) : fs) }),
    spec: (sp) => inOrder(sp, SPEC, { ports: (ps) => (Array.isArray(ps) ? ps.map((p) => inOrder(p, PORT)) : ps) }),
  });
}

/** The objects to expose: read from the server by name, or taken from files as they are. */
async function exposed(ctx: Ctx, args: string[], f: ExposeFlags): Promise<Array<{ resource: ApiResource; object: Any }>> {
  const out: Array<{ resource: ApiResource; object: Any }> = [];
  if (f.filename?.length) {
    for (const { object } of await readManifests(ctx.io, f.filename, f.recursive)) {
      out.push({ resource: await ctx.discovery.forKind(object.apiVersion ?? '', object.kind ?? ''), object });
    }
    return out;
  }
  if (!args.length) {
    throw new CliError(
      "error: You must provide one or more resources by argument or filename.\nExample resource specifications include:\n   '-f rsrc.yaml'\n   '--filename=rsrc.json'\n   '<resource> <name>'\n   '<resource>'",
    );
  }
  const targets = await resolveTargets(ctx, args);
  if (targets.some((t) => !t.names)) throw new CliError('error: resource(s) were provided, but no name was specified');
  for (const t of targets) {
    for (const name of t.names!) out.push({ resource: t.resource, object: await ctx.request<Any>({ path: pathOf(t.resource, ctx.namespace, name) }) });
  }
  return out;
}

/** The Service kubectl's createService makes for an object and the flags. */
export function buildService(o: Any, f: ExposeFlags): KubeObject & { metadata: Record<string, unknown> } {
  const selector = f.selector || selectorOf(o);
  const headless = f.clusterIp === 'None';
  let portText = f.port ?? '';
  if (!portText) {
    const ports = portsOf(o);
    if (ports.length === 0 && !headless) throw new CliError("error: couldn't find port via --port flag or introspection");
    portText = ports.join(',');
  }
  const protocols = protocolsOf(o);
  const labelText = f.labels || makeLabels(o.metadata?.labels);

  if (!selector) throw new CliError('error: selector must be specified');
  const spec: Any = { ports: [] as Any[], selector: parseLabels(selector) };
  const labels = labelText ? parseLabels(labelText) : undefined;
  const name = f.name || (o.metadata?.name ?? '').slice(0, MAX_NAME);
  if (!name) throw new CliError('error: name must be specified');
  if (portText) {
    const parts = portText.split(',');
    parts.forEach((text, i) => {
      const port = atoi(text);
      let protocol = f.protocol ?? '';
      if (!protocol) {
        protocol = 'TCP';
        const found = protocols.get(text);
        if (found?.length === 1) protocol = found[0]!;
        else if (found && found.length > 1) {
          // A port served over several protocols: one Service port each.
          for (const p of found) spec.ports.push({ name: `port-${i + 1}-${p.toLowerCase()}`, protocol: p, port });
          return;
        }
      }
      spec.ports.push({ ...(parts.length > 1 ? { name: `port-${i + 1}` } : {}), protocol, port });
    });
  }
  const target = f.targetPort ? intOrString(f.targetPort) : undefined;
  for (const p of spec.ports) p.targetPort = target ?? p.port;
  if (!spec.ports.length) delete spec.ports;
  if (f.clusterIp) spec.clusterIP = f.clusterIp;
  if (f.type) spec.type = f.type;
  if (f.externalIp) spec.externalIPs = [f.externalIp];
  if (f.sessionAffinity) {
    if (f.sessionAffinity !== 'None' && f.sessionAffinity !== 'ClientIP') throw new CliError(`error: unknown session affinity: ${f.sessionAffinity}`);
    spec.sessionAffinity = f.sessionAffinity;
  }
  if (spec.type === 'LoadBalancer' && f.loadBalancerIp) spec.loadBalancerIP = f.loadBalancerIp;
  const metadata: Record<string, unknown> = { name, creationTimestamp: null };
  if (labels) metadata.labels = labels;
  return { kind: 'Service', apiVersion: 'v1', metadata, spec, status: { loadBalancer: {} } } as KubeObject & { metadata: Record<string, unknown> };
}

/** mapBasedSelectorForObject: the selector as `k=v,...`, or kubectl's reason why there is none. */
function selectorOf(o: Any): string {
  const fail = (why: string) => new CliError(`error: couldn't retrieve selectors via --selector flag or introspection: ${why}`);
  switch (o.kind) {
    case 'Pod':
      if (!Object.keys(o.metadata?.labels ?? {}).length) throw fail('the pod has no labels and cannot be exposed');
      return makeLabels(o.metadata.labels);
    case 'Service':
      if (!o.spec?.selector) throw fail('the service has no pod selector set');
      return makeLabels(o.spec.selector);
    case 'ReplicationController':
      return makeLabels(o.spec?.selector);
    case 'Deployment':
    case 'ReplicaSet': {
      const sel = o.spec?.selector;
      if (!Object.keys(sel?.matchLabels ?? {}).length) {
        throw fail(`invalid ${o.kind.toLowerCase()}: no selectors, therefore cannot be exposed`);
      }
      if (sel.matchExpressions?.length) throw fail(`couldn't convert expressions - "${goRequirements(sel.matchExpressions)}" to map-based selector format`);
      return makeLabels(sel.matchLabels);
    }
    default:
      throw fail(`cannot extract pod selector from ${o.kind}`);
  }
}

/** Go's `%+v` of []metav1.LabelSelectorRequirement. */
const goRequirements = (xs: Any[]) =>
  `[${xs.map((r) => `{Key:${r.key ?? ''} Operator:${r.operator ?? ''} Values:[${(r.values ?? []).join(' ')}]}`).join(' ')}]`;

const podSpecOf = (o: Any): Any => (o.kind === 'Pod' ? o.spec : o.spec?.template?.spec) ?? {};

/** The ports to serve on: the containers' ports (or a Service's ports), without repeats. */
function portsOf(o: Any): string[] {
  const ports =
    o.kind === 'Service'
      ? (o.spec?.ports ?? []).map((p: Any) => p.port)
      : (podSpecOf(o).containers ?? []).flatMap((c: Any) => (c.ports ?? []).map((p: Any) => p.containerPort));
  return [...new Set<string>(ports.map(String))];
}

/** Each port's protocols, in the order the object lists them (repeats kept, as kubectl keeps them). */
function protocolsOf(o: Any): Map<string, string[]> {
  const m = new Map<string, string[]>();
  const add = (port: unknown, protocol: string | undefined) => m.set(String(port), [...(m.get(String(port)) ?? []), protocol || 'TCP']);
  if (o.kind === 'Service') for (const p of o.spec?.ports ?? []) add(p.port, p.protocol);
  else for (const c of podSpecOf(o).containers ?? []) for (const p of c.ports ?? []) add(p.containerPort, p.protocol);
  return m;
}

const makeLabels = (m: Record<string, string> | undefined) =>
  Object.entries(m ?? {})
    .map(([k, v]) => `${k}=${v}`)
    .join(',');

/** kubectl expose's parseLabels: `k=v,k2=v2` and nothing else. */
function parseLabels(spec: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of spec.split(',')) {
    const kv = part.split('=');
    if (kv.length !== 2) throw new CliError(`error: unexpected label spec: ${part}`);
    if (!kv[0]) throw new CliError('error: unexpected empty label key');
    out[kv[0]] = kv[1]!;
  }
  return out;
}

/** Go's strconv.Atoi, with its error text. */
function atoi(s: string): number {
  if (!/^[+-]?\d+$/.test(s)) throw new CliError(`error: strconv.Atoi: parsing ${JSON.stringify(s)}: invalid syntax`);
  const n = Number(s);
  if (!Number.isSafeInteger(n)) throw new CliError(`error: strconv.Atoi: parsing ${JSON.stringify(s)}: value out of range`);
  return n;
}

/** intstr.Parse: a number when it reads as one, else the name. */
function intOrString(s: string): number | string {
  return /^[+-]?\d+$/.test(s) && Number.isSafeInteger(Number(s)) ? Number(s) : s;
}
