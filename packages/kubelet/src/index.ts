export * from './backoff.ts';
export * from './container-config.ts';
export * from './kubelet.ts';
export * from './node-status.ts';
export * from './runtime/docker.ts';
export * from './runtime/labels.ts';
export * from './runtime/runtime.ts';
export * from './status.ts';
