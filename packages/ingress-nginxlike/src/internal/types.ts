/**
 * The parts of the upstream object shapes (networking.k8s.io/v1 Ingress and
 * IngressClass, core/v1 Service and Secret, discovery.k8s.io/v1 EndpointSlice) that the
 * ingress controller reads. Field names and meanings are upstream's.
 */
import type { KubeObject } from '@minik8s/api';

export type PathType = 'Exact' | 'Prefix' | 'ImplementationSpecific';

export interface ServiceBackendPort {
  name?: string;
  number?: number;
}

export interface IngressBackend {
  service?: { name: string; port?: ServiceBackendPort };
  resource?: { apiGroup?: string; kind: string; name: string };
}

export interface HTTPIngressPath {
  path?: string;
  pathType?: PathType;
  backend: IngressBackend;
}

export interface IngressRule {
  host?: string;
  http?: { paths: HTTPIngressPath[] };
}

export interface IngressTLS {
  hosts?: string[];
  secretName?: string;
}

export interface LoadBalancerIngress {
  ip?: string;
  hostname?: string;
  ports?: Array<{ port: number; protocol: string; error?: string }>;
}

export interface Ingress extends KubeObject {
  spec?: {
    ingressClassName?: string;
    defaultBackend?: IngressBackend;
    tls?: IngressTLS[];
    rules?: IngressRule[];
  };
  status?: { loadBalancer?: { ingress?: LoadBalancerIngress[] } };
}

export interface IngressClass extends KubeObject {
  spec?: { controller?: string; parameters?: unknown };
}

export interface ServicePort {
  name?: string;
  protocol?: string;
  port: number;
  targetPort?: number | string;
  nodePort?: number;
}

export interface Service extends KubeObject {
  spec?: {
    type?: string;
    ports?: ServicePort[];
    externalName?: string;
    clusterIP?: string;
  };
}

export interface EndpointSlice extends KubeObject {
  addressType?: 'IPv4' | 'IPv6' | 'FQDN';
  endpoints?: Array<{
    addresses: string[];
    conditions?: { ready?: boolean; serving?: boolean; terminating?: boolean };
    nodeName?: string;
  }>;
  ports?: Array<{ name?: string; port?: number; protocol?: string; appProtocol?: string }>;
}

export interface Secret extends KubeObject {
  type?: string;
  data?: Record<string, string>;
  stringData?: Record<string, string>;
}
