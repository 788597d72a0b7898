/** Fixture builders for Ingress-related objects (tests only). */
import type { EndpointSlice, HTTPIngressPath, Ingress, IngressClass, IngressTLS, PathType, Secret, Service, ServicePort } from '../internal/types.ts';

export class IngressBuilder {
  private readonly o: Ingress;
  constructor(name: string, namespace = 'default') {
    this.o = { apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', metadata: { name, namespace }, spec: {} };
  }
  className(c: string | undefined): this {
    this.o.spec!.ingressClassName = c;
    return this;
  }
  created(ts: string): this {
    this.o.metadata.creationTimestamp = ts;
    return this;
  }
  annotate(k: string, v: string): this {
    this.o.metadata.annotations = { ...this.o.metadata.annotations, [k]: v };
    return this;
  }
  /** A rule for `host` ('' for none) with paths given as [path, pathType, service, port]. */
  rule(host: string, ...paths: Array<[string, PathType, string, number | string]>): this {
    const p: HTTPIngressPath[] = paths.map(([path, pathType, name, port]) => ({
      path,
      pathType,
      backend: { service: { name, port: typeof port === 'number' ? { number: port } : { name: port } } },
    }));
    this.o.spec!.rules = [...(this.o.spec!.rules ?? []), { ...(host ? { host } : {}), http: { paths: p } }];
    return this;
  }
  defaultBackend(name: string, port: number | string): this {
    this.o.spec!.defaultBackend = { service: { name, port: typeof port === 'number' ? { number: port } : { name: port } } };
    return this;
  }
  tls(hosts: string[], secretName?: string): this {
    const t: IngressTLS = { hosts, ...(secretName ? { secretName } : {}) };
    this.o.spec!.tls = [...(this.o.spec!.tls ?? []), t];
    return this;
  }
  obj(): Ingress {
    return structuredClone(this.o);
  }
}

export const makeIngress = (name: string, namespace?: string) => new IngressBuilder(name, namespace);

export function makeIngressClass(name: string, o: { controller?: string; isDefault?: boolean } = {}): IngressClass {
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'IngressClass',
    metadata: { name, ...(o.isDefault ? { annotations: { 'ingressclass.kubernetes.io/is-default-class': 'true' } } : {}) },
    spec: { controller: o.controller ?? 'k8s.io/ingress-nginx' },
  };
}

export function makeService(name: string, ports: ServicePort[] = [{ port: 80, targetPort: 8080 }], namespace = 'default'): Service {
  return { apiVersion: 'v1', kind: 'Service', metadata: { name, namespace }, spec: { type: 'ClusterIP', ports } };
}

/** An EndpointSlice of a Service: one port, the given addresses (ready unless listed in `notReady`). */
export function makeSlice(
  service: string,
  port: { name?: string; port: number },
  addresses: string[],
  o: { name?: string; namespace?: string; notReady?: string[]; unsetReady?: string[] } = {},
): EndpointSlice {
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { name: o.name ?? `${service}-${port.port}`, namespace: o.namespace ?? 'default', labels: { 'kubernetes.io/service-name': service } },
    addressType: 'IPv4',
    ports: [{ ...(port.name !== undefined ? { name: port.name } : {}), port: port.port, protocol: 'TCP' }],
    endpoints: addresses.map((a) => ({
      addresses: [a],
      ...(o.unsetReady?.includes(a) ? {} : { conditions: { ready: !o.notReady?.includes(a) } }),
    })),
  };
}

export function makeTlsSecret(name: string, cert: string, key: string, namespace = 'default'): Secret {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name, namespace },
    type: 'kubernetes.io/tls',
    data: { 'tls.crt': Buffer.from(cert).toString('base64'), 'tls.key': Buffer.from(key).toString('base64') },
  };
}
