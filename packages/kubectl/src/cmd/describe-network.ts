/**
 * `describe` for the network kinds as kubectl 1.32 prints them: Service (its endpoints from
 * the Service's EndpointSlices), Ingress (each backend with its endpoints), EndpointSlice
 * and Endpoints.
 */
import type { KubeList } from '@minik8s/client/kube';
import type { Ctx } from '../context.ts';
import type { Out } from './describe.ts';

// biome-ignore lint/suspicious/noExplicitAny: objects of every kind
type Any = any;

const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';

/** net.JoinHostPort: IPv6 addresses in brackets. */
const hostPort = (ip: string, port: unknown) => (ip.includes(':') ? `[${ip}]:${port}` : `${ip}:${port}`);

/** The EndpointSlices of a Service (none when they cannot be read, as kubectl ignores that). */
async function slicesOf(ctx: Ctx, namespace: string, service: string): Promise<Any[]> {
  const list = await ctx.request<KubeList>({
    path: `/apis/discovery.k8s.io/v1/namespaces/${encodeURIComponent(namespace)}/endpointslices`,
    query: { labelSelector: `${SERVICE_NAME_LABEL}=${service}` },
  });
  return list.items ?? [];
}

/**
 * kubectl's formatEndpointSlices: the ready endpoints of the ports named in `ports`
 * (`ip:port`, a bare IP for slices without ports), the first three then ` + N more...`.
 */
export function formatEndpointSlices(slices: Any[], ports: Set<string>): string {
  if (!slices.length) return '<none>';
  const list: string[] = [];
  let more = false;
  let count = 0;
  const ready = (e: Any) => e.conditions?.ready == null || e.conditions.ready === true;
  for (const s of slices) {
    const endpoints: Any[] = s.endpoints ?? [];
    const slicePorts: Any[] = s.ports ?? [];
    if (!slicePorts.length) {
      for (const e of endpoints) {
        if (list.length === 3) more = true;
        if (!ready(e)) continue;
        if (!more) list.push(e.addresses?.[0] ?? '');
        count++;
      }
      continue;
    }
    for (const p of slicePorts) {
      if (!ports.has(p.name ?? '')) continue;
      for (const e of endpoints) {
        if (list.length === 3) more = true;
        if (!ready(e)) continue;
        if (!more) list.push(hostPort(e.addresses?.[0] ?? '', p.port));
        count++;
      }
    }
  }
  const text = list.join(',');
  return more ? `${text} + ${count - 3} more...` : text;
}

export async function service(ctx: Ctx, w: Out, s: Any): Promise<void> {
  const spec = s.spec ?? {};
  let slices: Any[] = [];
  try {
    slices = await slicesOf(ctx, s.metadata.namespace, s.metadata.name);
  } catch {
    // kubectl describes the Service without its endpoints then
  }
  const sel = spec.selector ?? {};
  w.kv(
    0,
    'Selector',
    Object.keys(sel)
      .sort()
      .map((k) => `${k}=${sel[k]}`)
      .join(',') || '<none>',
  );
  w.kv(0, 'Type', spec.type ?? '');
  if (spec.ipFamilyPolicy) w.kv(0, 'IP Family Policy', spec.ipFamilyPolicy);
  w.kv(0, 'IP Families', spec.ipFamilies?.length ? spec.ipFamilies.join(',') : '<none>');
  w.kv(0, 'IP', spec.clusterIP ?? '');
  w.kv(0, 'IPs', spec.clusterIPs?.length ? spec.clusterIPs.join(',') : '<none>');
  if (spec.externalIPs?.length) w.kv(0, 'External IPs', spec.externalIPs.join(','));
  if (spec.loadBalancerIP) w.kv(0, 'Desired LoadBalancer IP', spec.loadBalancerIP);
  if (spec.externalName) w.kv(0, 'External Name', spec.externalName);
  const ingress: Any[] = s.status?.loadBalancer?.ingress ?? [];
  if (ingress.length) {
    w.kv(0, 'LoadBalancer Ingress', ingress.map((i) => (i.ip ? `${i.ip}${i.ipMode ? ` (${i.ipMode})` : ''}` : (i.hostname ?? ''))).join(', '));
  }
  for (const p of spec.ports ?? []) {
    const name = p.name || '<unset>';
    const proto = p.protocol ?? '';
    w.lines.push(['Port:', name, `${p.port}/${proto}`]);
    w.kv(0, 'TargetPort', `${p.targetPort ?? ''}/${proto}`);
    if (p.nodePort) w.lines.push(['NodePort:', name, `${p.nodePort}/${proto}`]);
    w.kv(0, 'Endpoints', formatEndpointSlices(slices, new Set([p.name ?? ''])));
  }
  w.kv(0, 'Session Affinity', spec.sessionAffinity ?? '');
  if (spec.externalTrafficPolicy) w.kv(0, 'External Traffic Policy', spec.externalTrafficPolicy);
  if (spec.internalTrafficPolicy) w.kv(0, 'Internal Traffic Policy', spec.internalTrafficPolicy);
  if (spec.healthCheckNodePort) w.kv(0, 'HealthCheck NodePort', spec.healthCheckNodePort);
  if (spec.loadBalancerSourceRanges?.length) w.kv(0, 'LoadBalancer Source Ranges', spec.loadBalancerSourceRanges.join(','));
}

/** `name:port` and its endpoints, or a resource backend, as kubectl's describeBackendV1 words them. */
async function backend(ctx: Ctx, namespace: string, b: Any): Promise<string> {
  if (b?.service) {
    const svc = b.service;
    const sb = `${svc.name}:${svc.port?.number ? svc.port.number : (svc.port?.name ?? '')}`;
    try {
      const slices = await slicesOf(ctx, namespace, svc.name);
      const s = await ctx.request<Any>({ path: `/api/v1/namespaces/${encodeURIComponent(namespace)}/services/${encodeURIComponent(svc.name)}` });
      let spName = '';
      for (const sp of s.spec?.ports ?? []) {
        if (svc.port?.number && svc.port.number === sp.port) spName = sp.name ?? '';
        else if (svc.port?.name && svc.port.name === sp.name) spName = sp.name ?? '';
      }
      return `${sb} (${formatEndpointSlices(slices, new Set([spName]))})`;
    } catch (e) {
      return `${sb} (<error: ${(e as Error).message}>)`;
    }
  }
  if (b?.resource) return `APIGroup: ${b.resource.apiGroup ?? '<none>'}, Kind: ${b.resource.kind}, Name: ${b.resource.name}`;
  return '';
}

/** An Ingress, whole (its header order differs from the other kinds'); the caller adds the Events. */
export async function ingress(ctx: Ctx, w: Out, ing: Any): Promise<void> {
  const meta = ing.metadata ?? {};
  const spec = ing.spec ?? {};
  w.kv(0, 'Name', meta.name);
  w.map(0, 'Labels', meta.labels);
  w.kv(0, 'Namespace', meta.namespace);
  const addresses = new Set<string>();
  for (const i of ing.status?.loadBalancer?.ingress ?? []) {
    if (i.ip) addresses.add(i.ip);
    else if (i.hostname) addresses.add(i.hostname);
  }
  w.kv(0, 'Address', [...addresses].sort().join(','));
  w.kv(0, 'Ingress Class', spec.ingressClassName ?? '<none>');
  const def = spec.defaultBackend ? await backend(ctx, meta.namespace, spec.defaultBackend) : '<default>';
  w.kv(0, 'Default backend', def);
  if (spec.tls?.length) {
    w.line(0, 'TLS:');
    for (const t of spec.tls) w.line(1, t.secretName ? `${t.secretName} terminates ${(t.hosts ?? []).join(',')}` : `SNI routes ${(t.hosts ?? []).join(',')}`);
  }
  w.line(0, 'Rules:');
  w.lines.push(['  Host', 'Path', 'Backends'], ['  ----', '----', '--------']);
  let count = 0;
  for (const rule of spec.rules ?? []) {
    if (!rule.http) continue;
    count++;
    w.lines.push([`  ${rule.host || '*'}`, '']);
    for (const p of rule.http.paths ?? []) w.lines.push(['    ', `${p.path ?? ''} `, await backend(ctx, meta.namespace, p.backend)]);
  }
  if (count === 0) w.lines.push(['  *', '*', def]);
  w.map(0, 'Annotations', meta.annotations, ['kubectl.kubernetes.io/last-applied-configuration'], ': ');
}

export function endpointSlice(w: Out, eps: Any): void {
  w.kv(0, 'AddressType', eps.addressType ?? '');
  const ports: Any[] = eps.ports ?? [];
  if (!ports.length) w.line(0, 'Ports: <unset>');
  else {
    w.line(0, 'Ports:');
    w.lines.push(['  Name', 'Port', 'Protocol'], ['  ----', '----', '--------']);
    for (const p of ports) w.lines.push([`  ${p.name || '<unset>'}`, p.port != null ? String(p.port) : '<unset>', p.protocol ?? '']);
  }
  const endpoints: Any[] = eps.endpoints ?? [];
  if (!endpoints.length) {
    w.line(0, 'Endpoints: <none>');
    return;
  }
  w.line(0, 'Endpoints:');
  for (const e of endpoints) {
    w.kv(1, '- Addresses', (e.addresses ?? []).join(', ') || '<none>');
    w.line(2, 'Conditions:');
    w.kv(3, 'Ready', e.conditions?.ready == null ? '<unset>' : String(e.conditions.ready));
    w.kv(2, 'Hostname', e.hostname ?? '<unset>');
    if (e.targetRef) w.kv(2, 'TargetRef', `${e.targetRef.kind ?? ''}/${e.targetRef.name ?? ''}`);
    w.kv(2, 'NodeName', e.nodeName ?? '<unset>');
    w.kv(2, 'Zone', e.zone ?? '<unset>');
  }
}

export function endpoints(w: Out, ep: Any): void {
  w.line(0, 'Subsets:');
  for (const ss of ep.subsets ?? []) {
    const ips = (xs: Any[] | undefined) => (xs ?? []).map((a) => a.ip).join(',') || '<none>';
    w.kv(1, 'Addresses', ips(ss.addresses));
    w.kv(1, 'NotReadyAddresses', ips(ss.notReadyAddresses));
    if (ss.ports?.length) {
      w.line(1, 'Ports:');
      w.lines.push(['    Name', 'Port', 'Protocol'], ['    ----', '----', '--------']);
      for (const p of ss.ports) w.lines.push([`    ${p.name || '<unset>'}`, String(p.port), p.protocol ?? '']);
    }
    w.line(0, '');
  }
}
