/**
 * Server-side printing (meta.k8s.io/v1 Table): the columns `kubectl get` shows upstream
 * for each kind, computed here so that kubectl prints them as it would from a real cluster.
 */
import type { KubeObject, ResourceInfo } from '@minik8s/api';

export interface ColumnDefinition {
  name: string;
  type: string;
  format: string;
  description: string;
  priority: number;
}

interface Column {
  name: string;
  type?: string;
  format?: string;
  priority?: number;
  cell(o: KubeObject, now: Date): unknown;
}

// biome-ignore lint/suspicious/noExplicitAny: printers read loosely typed object fields
type Any = any;

/** Upstream's duration.HumanDuration, as kubectl's AGE column shows it. */
export function humanDuration(ms: number): string {
  const s = Math.floor(ms / 1000);
  if (s < -1) return '<invalid>';
  if (s < 0) return '0s';
  if (s < 120) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 10) return s % 60 === 0 ? `${m}m` : `${m}m${s % 60}s`;
  if (m < 180) return `${m}m`;
  const h = Math.floor(m / 60);
  if (h < 8) return m % 60 === 0 ? `${h}h` : `${h}h${m % 60}m`;
  if (h < 48) return `${h}h`;
  if (h < 24 * 8) return h % 24 === 0 ? `${Math.floor(h / 24)}d` : `${Math.floor(h / 24)}d${h % 24}h`;
  if (h < 24 * 365 * 2) return `${Math.floor(h / 24)}d`;
  const y = Math.floor(h / 24 / 365);
  if (y < 8) {
    const d = Math.floor(h / 24) - y * 365;
    return d === 0 ? `${y}y` : `${y}y${d}d`;
  }
  return `${y}y`;
}

const name: Column = { name: 'Name', format: 'name', cell: (o) => o.metadata.name ?? '' };
const age: Column = {
  name: 'Age',
  cell: (o, now) => (o.metadata.creationTimestamp ? humanDuration(now.getTime() - Date.parse(o.metadata.creationTimestamp)) : '<unknown>'),
};
const none = (v: unknown) => (v === undefined || v === null || v === '' ? '<none>' : v);
const join = (xs: unknown[] | undefined) => (xs && xs.length > 0 ? xs.join(',') : '<none>');

/** labels.FormatLabels: `k=v` sorted by key, `<none>` when empty. */
export function formatLabels(m: Record<string, string> | undefined): string {
  return join(
    Object.keys(m ?? {})
      .sort()
      .map((k) => `${k}=${m![k]}`),
  );
}

/** net.JoinHostPort: IPv6 addresses in brackets. */
const hostPort = (ip: string, port: number | string) => (ip.includes(':') ? `[${ip}]:${port}` : `${ip}:${port}`);

/** The first three of a list then ` + N more...`, `<unset>` when empty (listWithMoreString). */
function firstThree(xs: string[]): string {
  if (xs.length > 3) return `${xs.slice(0, 3).join(',')} + ${xs.length - 3} more...`;
  return xs.length ? xs.join(',') : '<unset>';
}

/** formatEndpoints with every port: `ip:port` pairs (bare IPs for a subset without ports), three then ` + N more...`. */
export function formatEndpoints(subsets: Any[] | undefined, portNames?: Set<string>): string {
  if (!subsets?.length) return '<none>';
  const list: string[] = [];
  let count = 0;
  for (const ss of subsets) {
    const addresses: Any[] = ss.addresses ?? [];
    const ports: Any[] = ss.ports ?? [];
    if (!ports.length) {
      count += addresses.length;
      for (const a of addresses) if (list.length < 3) list.push(a.ip);
      continue;
    }
    for (const p of ports) {
      if (portNames && !portNames.has(p.name ?? '')) continue;
      count += addresses.length;
      for (const a of addresses) if (list.length < 3) list.push(hostPort(a.ip, p.port));
    }
  }
  const text = list.join(',');
  return count > 3 ? `${text} + ${count - 3} more...` : text;
}

/** Load-balancer ingress points (IP, else hostname), sorted and without repeats. */
function loadBalancerAddresses(lb: Any): string {
  const set = new Set<string>();
  for (const i of lb?.ingress ?? []) {
    if (i.ip) set.add(i.ip);
    else if (i.hostname) set.add(i.hostname);
  }
  return [...set].sort().join(',');
}

function serviceExternalIP(o: Any): string {
  const ext: string[] = o.spec?.externalIPs ?? [];
  switch (o.spec?.type) {
    case 'ClusterIP':
    case 'NodePort':
      return ext.length ? ext.join(',') : '<none>';
    case 'LoadBalancer': {
      const lb = loadBalancerAddresses(o.status?.loadBalancer);
      if (ext.length) return [...(lb ? lb.split(',') : []), ...ext].join(',');
      return lb || '<pending>';
    }
    case 'ExternalName':
      return o.spec?.externalName ?? '';
    default:
      return '<unknown>';
  }
}

/** An Ingress's hosts: the first three non-empty, ` + N more...` counting every rule, `*` when none. */
function ingressHosts(rules: Any[]): string {
  const list: string[] = [];
  let more = false;
  for (const r of rules) {
    if (list.length === 3) more = true;
    if (!more && r.host) list.push(r.host);
  }
  if (!list.length) return '*';
  return more ? `${list.join(',')} + ${rules.length - 3} more...` : list.join(',');
}

function podStatus(o: Any): { ready: string; status: string; restarts: string } {
  const statuses: Any[] = o.status?.containerStatuses ?? [];
  const total = o.spec?.containers?.length ?? 0;
  const ready = statuses.filter((c) => c.ready).length;
  let reason: string = o.status?.reason ?? o.status?.phase ?? 'Pending';
  let restarts = 0;
  for (const c of statuses) {
    restarts += c.restartCount ?? 0;
    const waiting = c.state?.waiting?.reason;
    const terminated = c.state?.terminated;
    if (waiting && waiting !== 'ContainerCreating') reason = waiting;
    else if (waiting && reason === 'Pending') reason = waiting;
    else if (terminated) reason = terminated.reason ?? (terminated.signal ? `Signal:${terminated.signal}` : `ExitCode:${terminated.exitCode}`);
  }
  if (o.metadata?.deletionTimestamp) reason = 'Terminating';
  return { ready: `${ready}/${total}`, status: reason, restarts: String(restarts) };
}

const replicas = (want: string, have: string) => (o: Any) => `${o.status?.[have] ?? 0}/${o.spec?.[want] ?? 0}`;

const COLUMNS: Record<string, Column[]> = {
  '/Pod': [
    name,
    { name: 'Ready', cell: (o) => podStatus(o).ready },
    { name: 'Status', cell: (o) => podStatus(o).status },
    { name: 'Restarts', cell: (o) => podStatus(o).restarts },
    age,
    { name: 'IP', priority: 1, cell: (o: Any) => none(o.status?.podIP) },
    { name: 'Node', priority: 1, cell: (o: Any) => none(o.spec?.nodeName) },
    { name: 'Nominated Node', priority: 1, cell: (o: Any) => none(o.status?.nominatedNodeName) },
    { name: 'Readiness Gates', priority: 1, cell: (o: Any) => none(o.spec?.readinessGates?.length ? String(o.spec.readinessGates.length) : '') },
  ],
  '/Namespace': [name, { name: 'Status', cell: (o: Any) => o.status?.phase ?? '' }, age],
  '/Service': [
    name,
    { name: 'Type', cell: (o: Any) => o.spec?.type ?? '' },
    { name: 'Cluster-IP', cell: (o: Any) => o.spec?.clusterIPs?.[0] ?? '<none>' },
    { name: 'External-IP', cell: (o: Any) => serviceExternalIP(o) },
    {
      name: 'Port(s)',
      cell: (o: Any) => join((o.spec?.ports ?? []).map((p: Any) => `${p.port}${p.nodePort ? `:${p.nodePort}` : ''}/${p.protocol ?? ''}`)),
    },
    age,
    { name: 'Selector', priority: 1, cell: (o: Any) => formatLabels(o.spec?.selector) },
  ],
  '/Endpoints': [name, { name: 'Endpoints', cell: (o: Any) => formatEndpoints(o.subsets) }, age],
  '/ConfigMap': [name, { name: 'Data', type: 'integer', cell: (o: Any) => Object.keys(o.data ?? {}).length + Object.keys(o.binaryData ?? {}).length }, age],
  '/Secret': [
    name,
    { name: 'Type', cell: (o: Any) => o.type ?? 'Opaque' },
    { name: 'Data', type: 'integer', cell: (o: Any) => Object.keys(o.data ?? {}).length },
    age,
  ],
  '/Node': [
    name,
    {
      name: 'Status',
      cell: (o: Any) => {
        const ready = (o.status?.conditions ?? []).find((c: Any) => c.type === 'Ready');
        const s = ready?.status === 'True' ? 'Ready' : ready ? 'NotReady' : 'Unknown';
        return o.spec?.unschedulable ? `${s},SchedulingDisabled` : s;
      },
    },
    { name: 'Roles', cell: () => '<none>' },
    age,
    { name: 'Version', cell: (o: Any) => o.status?.nodeInfo?.kubeletVersion ?? '' },
    { name: 'Internal-IP', priority: 1, cell: (o: Any) => none((o.status?.addresses ?? []).find((a: Any) => a.type === 'InternalIP')?.address) },
  ],
  '/ServiceAccount': [name, { name: 'Secrets', type: 'integer', cell: (o: Any) => (o.secrets ?? []).length }, age],
  '/Event': [
    { name: 'Last Seen', cell: (o: Any, now) => (o.lastTimestamp ? humanDuration(now.getTime() - Date.parse(o.lastTimestamp)) : '<unknown>') },
    { name: 'Type', cell: (o: Any) => o.type ?? '' },
    { name: 'Reason', cell: (o: Any) => o.reason ?? '' },
    { name: 'Object', cell: (o: Any) => `${(o.involvedObject?.kind ?? '').toLowerCase()}/${o.involvedObject?.name ?? ''}` },
    { name: 'Message', cell: (o: Any) => o.message ?? '' },
  ],
  'apps/Deployment': [
    name,
    { name: 'Ready', cell: replicas('replicas', 'readyReplicas') },
    { name: 'Up-to-date', type: 'integer', cell: (o: Any) => o.status?.updatedReplicas ?? 0 },
    { name: 'Available', type: 'integer', cell: (o: Any) => o.status?.availableReplicas ?? 0 },
    age,
    { name: 'Containers', priority: 1, cell: (o: Any) => join((o.spec?.template?.spec?.containers ?? []).map((c: Any) => c.name)) },
    { name: 'Images', priority: 1, cell: (o: Any) => join((o.spec?.template?.spec?.containers ?? []).map((c: Any) => c.image)) },
    { name: 'Selector', priority: 1, cell: (o: Any) => join(Object.entries(o.spec?.selector?.matchLabels ?? {}).map(([k, v]) => `${k}=${v}`)) },
  ],
  'apps/ReplicaSet': [
    name,
    { name: 'Desired', type: 'integer', cell: (o: Any) => o.spec?.replicas ?? 0 },
    { name: 'Current', type: 'integer', cell: (o: Any) => o.status?.replicas ?? 0 },
    { name: 'Ready', type: 'integer', cell: (o: Any) => o.status?.readyReplicas ?? 0 },
    age,
  ],
  'apps/StatefulSet': [name, { name: 'Ready', cell: replicas('replicas', 'readyReplicas') }, age],
  'apps/DaemonSet': [
    name,
    { name: 'Desired', type: 'integer', cell: (o: Any) => o.status?.desiredNumberScheduled ?? 0 },
    { name: 'Current', type: 'integer', cell: (o: Any) => o.status?.currentNumberScheduled ?? 0 },
    { name: 'Ready', type: 'integer', cell: (o: Any) => o.status?.numberReady ?? 0 },
    { name: 'Up-to-date', type: 'integer', cell: (o: Any) => o.status?.updatedNumberScheduled ?? 0 },
    { name: 'Available', type: 'integer', cell: (o: Any) => o.status?.numberAvailable ?? 0 },
    { name: 'Node Selector', cell: (o: Any) => join(Object.entries(o.spec?.template?.spec?.nodeSelector ?? {}).map(([k, v]) => `${k}=${v}`)) },
    age,
  ],
  'batch/Job': [
    name,
    {
      name: 'Status',
      cell: (o: Any) =>
        (o.status?.conditions ?? []).some((c: Any) => c.type === 'Complete' && c.status === 'True')
          ? 'Complete'
          : (o.status?.conditions ?? []).some((c: Any) => c.type === 'Failed' && c.status === 'True')
            ? 'Failed'
            : 'Running',
    },
    { name: 'Completions', cell: (o: Any) => `${o.status?.succeeded ?? 0}/${o.spec?.completions ?? 1}` },
    age,
  ],
  'networking.k8s.io/Ingress': [
    name,
    { name: 'Class', cell: (o: Any) => o.spec?.ingressClassName ?? '<none>' },
    { name: 'Hosts', cell: (o: Any) => ingressHosts(o.spec?.rules ?? []) },
    { name: 'Address', cell: (o: Any) => loadBalancerAddresses(o.status?.loadBalancer) },
    { name: 'Ports', cell: (o: Any) => (o.spec?.tls?.length ? '80, 443' : '80') },
    age,
  ],
  'discovery.k8s.io/EndpointSlice': [
    name,
    { name: 'AddressType', cell: (o: Any) => o.addressType ?? '' },
    { name: 'Ports', cell: (o: Any) => firstThree((o.ports ?? []).map((p: Any) => (p.port != null ? String(p.port) : (p.name ?? '*')))) },
    { name: 'Endpoints', cell: (o: Any) => firstThree((o.endpoints ?? []).flatMap((e: Any) => e.addresses ?? [])) },
    age,
  ],
};

const GENERIC: Column[] = [name, { name: 'Created At', type: 'date', cell: (o) => o.metadata.creationTimestamp ?? '' }];

function columnsFor(r: ResourceInfo): Column[] {
  return COLUMNS[`${r.group}/${r.kind}`] ?? GENERIC;
}

export function columnDefinitions(r: ResourceInfo): ColumnDefinition[] {
  return columnsFor(r).map((c) => ({
    name: c.name,
    type: c.type ?? 'string',
    format: c.format ?? '',
    description: '',
    priority: c.priority ?? 0,
  }));
}

export interface TableOptions {
  /** includeObject: None | Metadata (default) | Object */
  includeObject?: string;
  /** Leave columnDefinitions out (watch events after the first). */
  noHeaders?: boolean;
  now?: Date;
}

export function toTable(r: ResourceInfo, objects: KubeObject[], listMeta: Record<string, unknown>, o: TableOptions = {}) {
  const now = o.now ?? new Date();
  const cols = columnsFor(r);
  return {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata: listMeta,
    columnDefinitions: o.noHeaders ? null : columnDefinitions(r),
    rows: objects.map((obj) => ({
      cells: cols.map((c) => c.cell(obj, now)),
      object: rowObject(obj, o.includeObject),
    })),
  };
}

function rowObject(obj: KubeObject, include = 'Metadata'): unknown {
  if (include === 'None') return undefined;
  if (include === 'Object') return obj;
  return { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: obj.metadata };
}
