/**
 * What a routing table is built from: Services, EndpointSlices and TLS Secrets, indexed
 * once per build; Ingress backends resolved to ready endpoints, and hosts to the
 * certificate ingress-nginx would pick for them.
 */
import { X509Certificate } from 'node:crypto';
import type { Backend, TlsCertificate } from '../routes.ts';
import type { EndpointSlice, Ingress, IngressBackend, Secret, Service, ServicePort } from './types.ts';

/** The DNS names and IPs a certificate is good for (SANs, else the subject CN), lower case. */
export function certificateNames(pem: string): string[] {
  const x = new X509Certificate(pem);
  const names: string[] = [];
  for (const part of (x.subjectAltName ?? '').split(/,\s*/)) {
    if (part.startsWith('DNS:')) names.push(part.slice(4).toLowerCase());
    else if (part.startsWith('IP Address:')) names.push(part.slice(11).toLowerCase());
  }
  if (names.length === 0) {
    const cn = /(?:^|\n)CN=([^\n]+)/.exec(x.subject);
    if (cn?.[1]) names.push(cn[1].trim().toLowerCase());
  }
  return names;
}

/** Whether a certificate name covers a host (`*.x` covers one label of x; a wildcard host needs the same wildcard). */
export function nameCoversHost(name: string, host: string): boolean {
  if (name === host) return true;
  if (!name.startsWith('*.') || host.startsWith('*.')) return false;
  const dot = host.indexOf('.');
  return dot > 0 && host.slice(dot + 1) === name.slice(2);
}

/** The objects a table is built from, indexed, with what was resolved from them so far. */
export interface Sources {
  warnings: string[];
  services: Map<string, Service>;
  slices: Map<string, EndpointSlice[]>;
  secrets: Map<string, Secret>;
  backends: Map<string, Backend>;
  certs: Map<string, { cert: TlsCertificate; names: string[] } | null>;
}

const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';
const keyOf = (o: { metadata: { namespace?: string; name?: string } }) => `${o.metadata.namespace ?? ''}/${o.metadata.name ?? ''}`;

export function indexSources(inputs: { services: Service[]; endpointSlices: EndpointSlice[]; secrets: Secret[] }, warnings: string[]): Sources {
  const b: Sources = {
    warnings,
    services: new Map(inputs.services.map((s) => [keyOf(s), s])),
    slices: new Map(),
    secrets: new Map(inputs.secrets.map((s) => [keyOf(s), s])),
    backends: new Map(),
    certs: new Map(),
  };
  for (const slice of inputs.endpointSlices) {
    const svc = slice.metadata.labels?.[SERVICE_NAME_LABEL];
    if (!svc) continue;
    const k = `${slice.metadata.namespace ?? ''}/${svc}`;
    const list = b.slices.get(k);
    if (list) list.push(slice);
    else b.slices.set(k, [slice]);
  }
  return b;
}

/** A Service port → its ready endpoints, as ingress-nginx resolves upstreams from EndpointSlices. */
export function resolveBackend(b: Sources, namespace: string, ref: IngressBackend): Backend | undefined {
  const svc = ref.service;
  if (!svc?.name) return undefined;
  const port = svc.port?.name || svc.port?.number;
  if (port === undefined) return undefined;
  const key = `${namespace}/${svc.name}:${port}`;
  const known = b.backends.get(key);
  if (known) return known;
  const backend: Backend = { key, namespace, service: svc.name, port, endpoints: [], next: 0 };
  b.backends.set(key, backend);
  const service = b.services.get(`${namespace}/${svc.name}`);
  if (!service) {
    b.warnings.push(`service ${namespace}/${svc.name} not found`);
    return backend;
  }
  const sp: ServicePort | undefined = service.spec?.ports?.find((p) => (typeof port === 'number' ? p.port === port : p.name === port));
  if (service.spec?.type === 'ExternalName' && service.spec.externalName) {
    // ingress-nginx sends these to the DNS name; the target port is the port asked for.
    const target = typeof sp?.targetPort === 'number' ? sp.targetPort : (sp?.port ?? (typeof port === 'number' ? port : undefined));
    if (target) backend.endpoints.push({ host: service.spec.externalName, port: target, address: `${service.spec.externalName}:${target}` });
    return backend;
  }
  if (!sp) {
    b.warnings.push(`service ${namespace}/${svc.name} has no port ${port}`);
    return backend;
  }
  const seen = new Set<string>();
  for (const slice of b.slices.get(`${namespace}/${svc.name}`) ?? []) {
    const ports = slice.ports ?? [];
    // The slice port carries the Service port's name; an unnamed Service port takes the slice's only port.
    let target = ports.find((p) => (p.name ?? '') === (sp.name ?? '') && (p.protocol ?? 'TCP') === (sp.protocol ?? 'TCP'))?.port;
    if (target === undefined && !sp.name && ports.length === 1) target = ports[0]!.port;
    // A slice without ports (hand-made): the Service's numeric target port.
    if (target === undefined && ports.length === 0)
      target = typeof sp.targetPort === 'number' ? sp.targetPort : sp.targetPort === undefined ? sp.port : undefined;
    if (!target) continue;
    for (const ep of slice.endpoints ?? []) {
      if (ep.conditions?.ready === false) continue;
      for (const ip of ep.addresses ?? []) {
        const address = ip.includes(':') ? `[${ip}]:${target}` : `${ip}:${target}`;
        if (seen.has(address)) continue;
        seen.add(address);
        backend.endpoints.push({ host: ip, port: target, address });
      }
    }
  }
  return backend;
}

/** The Secret's certificate for a host of an Ingress, as ingress-nginx's extractTLSSecretName picks it; null: TLS with the default certificate; undefined: no TLS. */
export function tlsFor(b: Sources, ing: Ingress, host: string): TlsCertificate | null | undefined {
  const tls = ing.spec?.tls;
  if (!tls?.length) return undefined;
  const ns = ing.metadata.namespace ?? 'default';
  const load = (secretName: string) => {
    const key = `${ns}/${secretName}`;
    if (!b.certs.has(key)) {
      const s = b.secrets.get(key);
      let v: { cert: TlsCertificate; names: string[] } | null = null;
      if (!s) b.warnings.push(`TLS secret ${key} not found`);
      else if (s.type !== undefined && s.type !== 'kubernetes.io/tls') b.warnings.push(`secret ${key} is not of type kubernetes.io/tls`);
      else {
        const cert = secretData(s, 'tls.crt');
        const keyPem = secretData(s, 'tls.key');
        if (!cert || !keyPem) b.warnings.push(`TLS secret ${key} lacks tls.crt or tls.key`);
        else {
          try {
            v = { cert: { secret: key, cert, key: keyPem }, names: certificateNames(cert) };
          } catch (e) {
            b.warnings.push(`TLS secret ${key}: ${(e as Error).message}`);
          }
        }
      }
      b.certs.set(key, v);
    }
    return b.certs.get(key) ?? null;
  };
  const listed = tls.find((t) => t.hosts?.some((h) => h.toLowerCase() === host));
  if (listed) {
    if (!listed.secretName) return null;
    const c = load(listed.secretName);
    if (!c) return null;
    if (!c.names.some((n) => nameCoversHost(n, host))) {
      b.warnings.push(`TLS secret ${c.cert.secret} does not cover host ${host}: using the default certificate`);
      return null;
    }
    return c.cert;
  }
  // Not listed: a Secret of this Ingress whose certificate covers the host.
  for (const t of tls) {
    if (!t.secretName) continue;
    const c = load(t.secretName);
    if (c?.names.some((n) => nameCoversHost(n, host))) return c.cert;
  }
  return undefined;
}

function secretData(s: Secret, k: string): string | undefined {
  const d = s.data?.[k];
  if (d) return Buffer.from(d, 'base64').toString('utf8');
  return s.stringData?.[k] || undefined;
}
