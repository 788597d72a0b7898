/**
 * The object shapes the client reads and writes: @minik8s/api's, plus what only a
 * client needs (references to resources, watch events).
 */

export type {
  KubeList,
  KubeObject,
  ListMeta,
  ObjectMeta,
  OwnerReference,
  StatusCause,
  StatusDetails,
} from '@minik8s/api';

import type { KubeObject, StatusDetails } from '@minik8s/api';

/** metav1.Status as it arrives from a server: looser than the one @minik8s/api builds. */
export interface Status {
  kind: 'Status';
  apiVersion: string;
  metadata?: Record<string, unknown>;
  status?: 'Success' | 'Failure';
  message?: string;
  reason?: string;
  details?: StatusDetails;
  code: number;
}

/** A group/version/resource, optionally narrowed to a namespace, an object and a subresource. */
export interface ResourceRef {
  /** '' or absent: the core group (`/api/v1`). */
  group?: string;
  version: string;
  /** The resource (plural, lower case): `pods`, `deployments`. */
  plural: string;
  namespace?: string;
  name?: string;
  subresource?: string;
}

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK';

export interface WatchEvent<T extends KubeObject = KubeObject> {
  type: WatchEventType;
  object: T;
}

/** `namespace/name`, or `name` for cluster-scoped objects (client-go's MetaNamespaceKeyFunc). */
export function objectKey(o: { metadata: { namespace?: string; name?: string } }): string {
  const ns = o.metadata.namespace;
  return ns ? `${ns}/${o.metadata.name ?? ''}` : (o.metadata.name ?? '');
}

/** The inverse of `objectKey`: `ns/name` → { namespace, name }; `name` → { name }. */
export function splitKey(key: string): { namespace?: string; name: string } {
  const i = key.indexOf('/');
  return i < 0 ? { name: key } : { namespace: key.slice(0, i), name: key.slice(i + 1) };
}
