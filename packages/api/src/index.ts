export * from './meta.ts';
export * from './registry.ts';
export * from './status.ts';
export * from './defaults.ts';
export * from './quantity.ts';
export * from './pod-util.ts';
export * from './resolv-conf.ts';
export type * from './types.ts';
