export * from './defaults.ts';
export * from './meta.ts';
export * from './pod-util.ts';
export * from './quantity.ts';
export * from './registry.ts';
export * from './resolv-conf.ts';
export * from './status.ts';
export type * from './types.ts';
