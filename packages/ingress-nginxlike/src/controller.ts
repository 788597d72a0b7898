/**
 * The control loop: informers on Ingresses, IngressClasses, Services, EndpointSlices and
 * TLS Secrets; any change rebuilds the routing table (debounced: at most one rebuild per
 * ~100 ms, so a change is live well within a second) and swaps it into the proxy; then
 * each served Ingress gets `status.loadBalancer.ingress` (the publish address) through
 * the status subresource, when it differs.
 */
import { isIP } from 'node:net';
import { Informer, type KubeClient, objectKey } from '@minik8s/client/kube';
import { type Logger, pino } from 'pino';
import type { EndpointSlice, Ingress, IngressClass, LoadBalancerIngress, Secret, Service } from './internal/types.ts';
import { IngressProxy, type ListeningPorts, type ProxyOptions } from './proxy.ts';
import { buildRoutes, type ClassOptions, type RouteTable } from './routes.ts';

export const INGRESSES = { group: 'networking.k8s.io', version: 'v1', plural: 'ingresses' } as const;
export const INGRESS_CLASSES = { group: 'networking.k8s.io', version: 'v1', plural: 'ingressclasses' } as const;
export const SERVICES = { version: 'v1', plural: 'services' } as const;
export const ENDPOINT_SLICES = { group: 'discovery.k8s.io', version: 'v1', plural: 'endpointslices' } as const;
export const SECRETS = { version: 'v1', plural: 'secrets' } as const;

export interface IngressControllerOptions extends ProxyOptions, ClassOptions {
  client: KubeClient;
  /**
   * Written to status.loadBalancer.ingress of every served Ingress: comma-separated IPs
   * (`{ip}`) and/or host names (`{hostname}`). None: the status is left alone.
   */
  publishAddress?: string;
  /** Rebuilds wait this long for more changes. Default 100 ms. */
  debounceMs?: number;
  /** Component logs (quiet by default). */
  logger?: Logger;
}

export interface RunningIngressController {
  readonly proxy: IngressProxy;
  readonly ports: ListeningPorts;
  /** The table in use. */
  routes(): RouteTable;
  /** Rebuilds now (tests). */
  rebuild(): RouteTable;
  /** Stops watching; lets requests in flight finish for up to `graceMs`, then closes. */
  stop(graceMs?: number): Promise<void>;
}

/** Lists and watches, builds the first table, then listens. */
export async function startIngressController(o: IngressControllerOptions): Promise<RunningIngressController> {
  const log = (o.logger ?? pino({ level: 'silent' })).child({ component: 'ingress-controller' });
  const onError = (err: unknown) => log.warn({ err }, 'list/watch failed');
  const client = o.client;
  const ingresses = new Informer<Ingress>(client, INGRESSES, { onError });
  const classes = new Informer<IngressClass>(client, INGRESS_CLASSES, { onError });
  const services = new Informer<Service>(client, SERVICES, { onError });
  const slices = new Informer<EndpointSlice>(client, ENDPOINT_SLICES, { onError });
  const secrets = new Informer<Secret>(client, SECRETS, { onError, fieldSelector: 'type=kubernetes.io/tls' });
  const informers = [ingresses, classes, services, slices, secrets];
  const proxy = new IngressProxy({ ...o, logger: o.logger ? log : undefined });
  const debounceMs = o.debounceMs ?? 100;
  const desired = publishedStatus(o.publishAddress);
  const inFlight = new Map<string, string>();
  let timer: NodeJS.Timeout | undefined;
  let retryTimer: NodeJS.Timeout | undefined;
  let stopped = false;
  let lastWarnings = new Set<string>();

  const rebuild = (): RouteTable => {
    if (timer) clearTimeout(timer);
    timer = undefined;
    const table = buildRoutes(
      { ingresses: ingresses.list(), ingressClasses: classes.list(), services: services.list(), endpointSlices: slices.list(), secrets: secrets.list() },
      o,
    );
    proxy.setRoutes(table);
    const warnings = new Set(table.warnings);
    for (const w of warnings) if (!lastWarnings.has(w)) log.info(w);
    lastWarnings = warnings;
    if (desired) for (const ing of table.served) writeStatus(ing);
    return table;
  };
  const schedule = () => {
    if (!timer && !stopped) timer = setTimeout(rebuild, debounceMs);
  };

  const writeStatus = (ing: Ingress) => {
    const want = JSON.stringify(desired);
    const key = objectKey(ing);
    if (JSON.stringify(ing.status?.loadBalancer?.ingress ?? []) === want || inFlight.get(key) === want) return;
    inFlight.set(key, want);
    const { namespace, name } = ing.metadata;
    client
      .patch({ ...INGRESSES, namespace, name, subresource: 'status' }, { status: { loadBalancer: { ingress: desired } } }, { type: 'merge' })
      .catch((err: unknown) => {
        log.debug({ err, ingress: key }, 'status update failed');
        // Try again a little later (a deleted Ingress simply is not served next time).
        if (!retryTimer && !stopped) {
          retryTimer = setTimeout(() => {
            retryTimer = undefined;
            schedule();
          }, 1000);
        }
      })
      .finally(() => {
        if (inFlight.get(key) === want) inFlight.delete(key);
      });
  };

  for (const inf of informers) {
    (inf as Informer).addEventHandler({ onAdd: schedule, onUpdate: schedule, onDelete: schedule });
    inf.start();
  }
  try {
    await Promise.all(informers.map((i) => i.waitForSync()));
    rebuild();
    const ports = await proxy.listen();
    log.info({ ports }, 'serving');
    return {
      proxy,
      ports,
      routes: () => proxy.routes,
      rebuild,
      async stop(graceMs = 0) {
        stopped = true;
        if (timer) clearTimeout(timer);
        if (retryTimer) clearTimeout(retryTimer);
        await Promise.all(informers.map((i) => i.stop()));
        await proxy.close(graceMs);
      },
    };
  } catch (e) {
    stopped = true;
    if (timer) clearTimeout(timer);
    await Promise.all(informers.map((i) => i.stop()));
    await proxy.close().catch(() => {});
    throw e;
  }
}

/** `10.0.0.1,lb.example.com` → [{ip: '10.0.0.1'}, {hostname: 'lb.example.com'}]. */
export function publishedStatus(publishAddress: string | undefined): LoadBalancerIngress[] | undefined {
  const parts = (publishAddress ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (parts.length === 0) return undefined;
  return parts.map((p) => (isIP(p) ? { ip: p } : { hostname: p }));
}
