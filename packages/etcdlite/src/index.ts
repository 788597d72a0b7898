export { EtcdError, GrpcCode, errors } from './errors.ts';
export { Store, type StoreOptions, type WatchHandle, type WatchRequest } from './store.ts';
export { AutoCompactor, type AutoCompactionOptions, parseAutoCompaction } from './compactor.ts';
export { createGateway, type GatewayOptions, type GatewayTls } from './server/gateway.ts';
export { startEtcdlite, type EtcdliteOptions, type RunningEtcdlite } from './etcdlite.ts';
export type * from './types.ts';
export { LocalKvClient } from './local-client.ts';
