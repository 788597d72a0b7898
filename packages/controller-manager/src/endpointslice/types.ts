/**
 * The objects the EndpointSlice and Endpoints controllers read and write: discovery/v1
 * EndpointSlice and core/v1 Endpoints (shapes as upstream's), their collections, and the
 * well-known labels and annotations.
 */
import type { KubeObject } from '@minik8s/api';
import type { ResourceRef } from '@minik8s/client/kube';

export const SERVICES = { version: 'v1', plural: 'services' } as const satisfies ResourceRef;
export const NODES = { version: 'v1', plural: 'nodes' } as const satisfies ResourceRef;
export const ENDPOINTS = { version: 'v1', plural: 'endpoints' } as const satisfies ResourceRef;
export const ENDPOINT_SLICES = { group: 'discovery.k8s.io', version: 'v1', plural: 'endpointslices' } as const satisfies ResourceRef;

/** discovery.LabelServiceName: the Service a slice belongs to. */
export const LABEL_SERVICE_NAME = 'kubernetes.io/service-name';
/** discovery.LabelManagedBy: which controller manages a slice. */
export const LABEL_MANAGED_BY = 'endpointslice.kubernetes.io/managed-by';
/** v1.IsHeadlessService: set (empty) on the slices and Endpoints of a Service without a cluster IP. */
export const LABEL_HEADLESS = 'service.kubernetes.io/headless';
/** v1.LabelTopologyZone. */
export const LABEL_ZONE = 'topology.kubernetes.io/zone';
/** v1.EndpointsOverCapacity: an Endpoints object cut down to its 1000 addresses. */
export const ANNOTATION_OVER_CAPACITY = 'endpoints.kubernetes.io/over-capacity';
/** resourcelock.LeaderElectionRecordAnnotationKey: old-style leader election on an Endpoints object. */
export const ANNOTATION_LEADER = 'control-plane.alpha.kubernetes.io/leader';

export interface ObjectReference {
  kind?: string;
  namespace?: string;
  name?: string;
  uid?: string;
  apiVersion?: string;
  resourceVersion?: string;
  fieldPath?: string;
}

export interface EndpointConditions {
  ready?: boolean;
  serving?: boolean;
  terminating?: boolean;
}

export interface Endpoint {
  addresses: string[];
  conditions?: EndpointConditions;
  hostname?: string;
  targetRef?: ObjectReference;
  nodeName?: string;
  zone?: string;
  hints?: unknown;
  deprecatedTopology?: Record<string, string>;
}

export interface EndpointPort {
  name?: string;
  protocol?: string;
  port?: number;
  appProtocol?: string;
}

export type AddressType = 'IPv4' | 'IPv6' | 'FQDN';

export interface EndpointSlice extends KubeObject {
  addressType: AddressType;
  endpoints: Endpoint[];
  ports?: EndpointPort[];
}

export interface EndpointAddress {
  ip: string;
  hostname?: string;
  nodeName?: string;
  targetRef?: ObjectReference;
}

export interface CoreEndpointPort {
  name?: string;
  port: number;
  protocol?: string;
  appProtocol?: string;
}

export interface EndpointSubset {
  addresses?: EndpointAddress[];
  notReadyAddresses?: EndpointAddress[];
  ports?: CoreEndpointPort[];
}

export interface Endpoints extends KubeObject {
  subsets?: EndpointSubset[];
}
