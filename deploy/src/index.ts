export * from './bootstrap.ts';
export * from './process.ts';
export * from './stage.ts';
