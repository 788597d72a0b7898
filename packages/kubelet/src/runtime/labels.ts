/**
 * Docker labels and names of the containers the kubelet makes. The label names are
 * dockershim's, so a restarted kubelet (or a person with `docker ps`) can tell which Pod
 * and container each one is: the labels are the source of truth, there is no state file.
 */
export const LABEL_POD_NAME = 'io.kubernetes.pod.name';
export const LABEL_POD_NAMESPACE = 'io.kubernetes.pod.namespace';
export const LABEL_POD_UID = 'io.kubernetes.pod.uid';
export const LABEL_CONTAINER_NAME = 'io.kubernetes.container.name';
export const LABEL_TYPE = 'io.kubernetes.docker.type';
export const LABEL_RESTART_COUNT = 'io.kubernetes.container.restartCount';
export const LABEL_NODE = 'io.minik8s.node';
/** `init` for init containers, `app` for the others. */
export const LABEL_KIND = 'io.minik8s.container.kind';
export const LABEL_SANDBOX_ID = 'io.minik8s.sandbox.id';
/** Values of LABEL_TYPE: the Pod's sandbox, or one of its containers. */
export const TYPE_SANDBOX = 'podsandbox';
export const TYPE_CONTAINER = 'container';
export const SANDBOX_CONTAINER_NAME = 'POD';

export interface PodRef {
  name: string;
  namespace: string;
  uid: string;
}

/** `k8s_<container>_<pod>_<namespace>_<uid>_<attempt>`, dockershim's naming. */
export function containerName(container: string, pod: PodRef, attempt: number): string {
  return `k8s_${container}_${pod.name}_${pod.namespace}_${pod.uid}_${attempt}`;
}

export function podLabels(pod: PodRef, node: string): Record<string, string> {
  return {
    [LABEL_POD_NAME]: pod.name,
    [LABEL_POD_NAMESPACE]: pod.namespace,
    [LABEL_POD_UID]: pod.uid,
    [LABEL_NODE]: node,
  };
}

/** The attempt (restart count) a container was created for, from its labels. */
export function attemptOf(labels: Record<string, string>): number {
  const n = Number(labels[LABEL_RESTART_COUNT] ?? '0');
  return Number.isInteger(n) && n >= 0 ? n : 0;
}

export function podRef(pod: { metadata?: { name?: string; namespace?: string; uid?: string } }): PodRef {
  return { name: pod.metadata?.name ?? '', namespace: pod.metadata?.namespace ?? 'default', uid: pod.metadata?.uid ?? '' };
}
