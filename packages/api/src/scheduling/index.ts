/**
 * `@minik8s/api/scheduling`: where a Pod may run, as upstream's component-helpers and
 * corev1 helpers decide it: node selector terms and required node affinity, taints and
 * tolerations, and the node taints Kubernetes itself sets. The scheduler, the DaemonSet
 * controller and the node lifecycle share them.
 */
export * from './node-selector.ts';
export * from './taints.ts';
