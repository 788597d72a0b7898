export { type AutoCompactionOptions, AutoCompactor, parseAutoCompaction } from './compactor.ts';
export { EtcdError, errors, GrpcCode } from './errors.ts';
export { type EtcdliteOptions, type RunningEtcdlite, startEtcdlite } from './etcdlite.ts';
export { LocalKvClient } from './local-client.ts';
export { createGateway, type GatewayOptions, type GatewayTls } from './server/gateway.ts';
export { Store, type StoreOptions, type WatchHandle, type WatchRequest } from './store.ts';
export type * from './types.ts';
