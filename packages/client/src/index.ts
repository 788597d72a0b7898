export * from './etcd/index.ts';
