export { type RunningApiServer, type StartOptions, startApiServer } from './main.ts';
export type { KubeletClientConfig } from './rest/pod-log.ts';
export { type ApiServer, type ApiServerOptions, buildServer } from './server.ts';
