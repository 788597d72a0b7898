/**
 * `@minik8s/client/kube`: how every minik8s component talks to the API server —
 * kubeconfig loading, the REST client and watches, discovery, informers, the work
 * queue and leader election.
 */
export * from './cache.ts';
export * from './clock.ts';
export * from './discovery.ts';
export * from './errors.ts';
export * from './events.ts';
export * from './informer.ts';
export * from './kubeconfig.ts';
export * from './leader-election.ts';
export * from './rate-limiter.ts';
export * from './rest-client.ts';
export * from './types.ts';
export * from './work-queue.ts';
