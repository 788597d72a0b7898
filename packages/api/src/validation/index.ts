export * from './config-data.ts';
export * from './field-cause.ts';
export { goQuote } from './internal/go-format.ts';
export * from './job.ts';
export * from './label-selector.ts';
export * from './names.ts';
export * from './object-meta.ts';
export * from './policy.ts';
export * from './workloads.ts';
