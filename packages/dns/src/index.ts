/** `@minik8s/dns`: the cluster DNS server (CoreDNS's kubernetes + forward plugins, in small). */
export { type ClusterData, ClusterState, type EndpointSlice, type EndpointView, publishedEndpoints, SERVICE_NAME_LABEL } from './cluster-state.ts';
export { exchangeTcp, exchangeUdp, Forwarder, formatUpstream, parseUpstream, type Upstream, UpstreamError } from './forwarder.ts';
export { createQueryHandler, type QueryHandler } from './handler.ts';
export { type PublishOptions, publishService } from './publish.ts';
export { nameserversFromResolvConf, upstreamsFromResolvConf } from './resolv-conf.ts';
export { type DnsServerOptions, type RunningDnsServer, startDnsServer } from './server.ts';
export { ClusterZone, DEFAULT_CLUSTER_DOMAIN, DEFAULT_TTL, DNS_SCHEMA_VERSION, type ZoneAnswer } from './zone.ts';
