/** `@minik8s/ingress-nginxlike`: an Ingress controller that behaves like ingress-nginx. */

export { type AccessEntry, formatAccessLine, jsonLines } from './access-log.ts';
export {
  ENDPOINT_SLICES,
  INGRESS_CLASSES,
  INGRESSES,
  type IngressControllerOptions,
  publishedStatus,
  type RunningIngressController,
  SECRETS,
  SERVICES,
  startIngressController,
} from './controller.ts';
export { DEFAULT_CLASS_ANNOTATION, ensureIngressClass } from './ingress-class.ts';
export type { EndpointSlice, Ingress, IngressClass, LoadBalancerIngress, PathType, Secret, Service } from './internal/types.ts';
export { type AccessLogger, FAKE_CERTIFICATE_CN, IngressProxy, type ListeningPorts, type ProxyOptions } from './proxy.ts';
export {
  ANNOTATIONS,
  applyRewrite,
  type Backend,
  buildRoutes,
  type ClassOptions,
  DEFAULT_CONTROLLER_NAME,
  DEFAULT_INGRESS_CLASS,
  type Endpoint,
  type HostRoutes,
  hostOf,
  isServed,
  lookupHost,
  matchPath,
  normalizePath,
  type Route,
  type RouteInputs,
  type RouteTable,
} from './routes.ts';
