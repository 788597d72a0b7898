/**
 * `@minik8s/client/runtime`: how a minik8s component runs (controller-runtime's
 * Manager, in miniature): `runComponent` for the command line, a `Manager` for shared
 * informers, runnables, leader election and health checks, and `QueueLoop`, the
 * generic reconcile loop.
 */
export * from './common-flags.ts';
export * from './component.ts';
export * from './flag-table.ts';
export * from './health.ts';
export * from './leadership.ts';
export * from './loops.ts';
export * from './manager.ts';
export * from './queue-loop.ts';
export * from './shared-informers.ts';
