/** The resources the controllers read and write, as client references. */
import type { ResourceRef } from '@minik8s/client/kube';

export const PODS = { version: 'v1', plural: 'pods' } as const satisfies ResourceRef;
export const REPLICA_SETS = { group: 'apps', version: 'v1', plural: 'replicasets' } as const satisfies ResourceRef;
export const JOBS = { group: 'batch', version: 'v1', plural: 'jobs' } as const satisfies ResourceRef;
export const DEPLOYMENTS = { group: 'apps', version: 'v1', plural: 'deployments' } as const satisfies ResourceRef;
export const STATEFUL_SETS = { group: 'apps', version: 'v1', plural: 'statefulsets' } as const satisfies ResourceRef;
export const PODDISRUPTIONBUDGETS = { group: 'policy', version: 'v1', plural: 'poddisruptionbudgets' } as const satisfies ResourceRef;
export const DAEMON_SETS = { group: 'apps', version: 'v1', plural: 'daemonsets' } as const satisfies ResourceRef;
export const CONTROLLER_REVISIONS = { group: 'apps', version: 'v1', plural: 'controllerrevisions' } as const satisfies ResourceRef;
export const PERSISTENT_VOLUME_CLAIMS = { version: 'v1', plural: 'persistentvolumeclaims' } as const satisfies ResourceRef;
export const NODES = { version: 'v1', plural: 'nodes' } as const satisfies ResourceRef;

/** A reference to one object of a collection. */
export const refTo = (collection: ResourceRef, namespace: string | undefined, name: string, subresource?: string): ResourceRef => ({
  ...collection,
  ...(namespace ? { namespace } : {}),
  name,
  ...(subresource ? { subresource } : {}),
});
