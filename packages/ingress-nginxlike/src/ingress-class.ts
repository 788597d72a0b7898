/**
 * The IngressClass an installation of the controller brings (ingress-nginx's manifests
 * create one named `nginx`). On a local cluster it is made the default class, so an
 * Ingress without `ingressClassName` (`kubectl create ingress` without `--class`) is
 * served. An IngressClass that already exists is left as it is.
 */
import { isAlreadyExists, isNotFound, type KubeClient } from '@minik8s/client/kube';

export const DEFAULT_CLASS_ANNOTATION = 'ingressclass.kubernetes.io/is-default-class';

export async function ensureIngressClass(client: KubeClient, name: string, controller: string): Promise<'created' | 'exists'> {
  const ref = { group: 'networking.k8s.io', version: 'v1', plural: 'ingressclasses' };
  const found = await client.get({ ...ref, name }).catch((e) => {
    if (isNotFound(e)) return undefined;
    throw e;
  });
  if (found) return 'exists';
  try {
    await client.create(ref, {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'IngressClass',
      metadata: {
        name,
        labels: { 'app.kubernetes.io/name': 'ingress-nginx', 'app.kubernetes.io/component': 'controller' },
        annotations: { [DEFAULT_CLASS_ANNOTATION]: 'true' },
      },
      spec: { controller },
    });
    return 'created';
  } catch (e) {
    if (isAlreadyExists(e)) return 'exists';
    throw e;
  }
}
