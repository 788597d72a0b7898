/**
 * What exists from the start, as in any cluster: the four namespaces and the
 * `kubernetes` Service in default. Made when missing, left alone when present.
 */
import { isStatusError, type KubeObject, type Registry } from '@minik8s/api';
import type { Resources } from './rest/resources.ts';

export const SYSTEM_NAMESPACES = ['default', 'kube-system', 'kube-public', 'kube-node-lease'];

export async function ensureDefaults(registry: Registry, resources: Resources, apiPort: number): Promise<void> {
  const namespaces = registry.resource('', 'v1', 'namespaces')!;
  for (const name of SYSTEM_NAMESPACES) {
    await createIfMissing(
      () => resources.get({ resource: namespaces, name, watchPath: false }),
      () =>
        resources.create(
          { resource: namespaces, name: undefined, watchPath: false },
          {
            apiVersion: 'v1',
            kind: 'Namespace',
            metadata: { name },
          },
        ),
    );
  }
  const services = registry.resource('', 'v1', 'services')!;
  const kubernetes: KubeObject = {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'kubernetes', labels: { component: 'apiserver', provider: 'kubernetes' } },
    spec: {
      type: 'ClusterIP',
      clusterIP: '10.96.0.1',
      clusterIPs: ['10.96.0.1'],
      ports: [{ name: 'https', port: 443, protocol: 'TCP', targetPort: apiPort }],
      sessionAffinity: 'None',
    },
  };
  await createIfMissing(
    () => resources.get({ resource: services, namespace: 'default', name: 'kubernetes', watchPath: false }),
    () => resources.create({ resource: services, namespace: 'default', watchPath: false }, kubernetes),
  );
}

/** Creates unless it exists: a restart on the same store keeps what is there. */
async function createIfMissing(exists: () => Promise<unknown>, create: () => Promise<unknown>): Promise<void> {
  try {
    await exists();
    return;
  } catch (e) {
    if (!(isStatusError(e) && e.code === 404)) throw e;
  }
  try {
    await create();
  } catch (e) {
    if (!(isStatusError(e) && e.reason === 'AlreadyExists')) throw e;
  }
}
