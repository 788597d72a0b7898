/**
 * The control loop: informers on Ingresses, IngressClasses, Services, EndpointSlices and
 * TLS Secrets; any change rebuilds the routing table (debounced: at most one rebuild per
 * ~100 ms, so a change is live well within a second) and swaps it into the proxy; then
 * each served Ingress gets `status.loadBalancer.ingress` (the publish address) through
 * the status subresource, when it differs. Runs on the component runtime's Manager, which
 * owns the informers.
 */
import { isIP } from 'node:net';
import { type Informer, type KubeClient, objectKey } from '@minik8s/client/kube';
import { Manager, type Runnable, withComponent } from '@minik8s/client/runtime';
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
  readonly manager: Manager;
  /** Rejects if a runnable fails. */
  readonly done: Promise<void>;
  /** The table in use. */
  routes(): RouteTable;
  /** Rebuilds now (tests). */
  rebuild(): RouteTable;
  /** Stops watching; lets requests in flight finish for up to `graceMs`, then closes. */
  stop(graceMs?: number): Promise<void>;
}

/** Lists and watches, builds the first table, then listens. */
export async function startIngressController(o: IngressControllerOptions): Promise<RunningIngressController> {
  const log = withComponent(o.logger ?? pino({ level: 'silent' }), 'ingress-controller');
  const manager = new Manager({ client: o.client, log, informers: { onError: (err) => log.warn({ err }, 'list/watch failed') } });
  const controller = new IngressController(manager, o, log);
  manager.add(controller).start();
  try {
    await manager.waitForCacheSync();
    controller.rebuild();
    const ports = await controller.proxy.listen();
    log.info({ ports }, 'serving');
    return {
      proxy: controller.proxy,
      ports,
      manager,
      done: manager.done,
      routes: () => controller.proxy.routes,
      rebuild: () => controller.rebuild(),
      stop(graceMs = 0) {
        controller.graceMs = graceMs;
        return manager.stop();
      },
    };
  } catch (e) {
    await manager.stop();
    throw e;
  }
}

/** The informers' handlers schedule a debounced rebuild; stopping closes the proxy (after the grace period). */
export class IngressController implements Runnable {
  readonly name = 'ingress-controller';
  readonly proxy: IngressProxy;
  graceMs = 0;
  private readonly ingresses: Informer<Ingress>;
  private readonly classes: Informer<IngressClass>;
  private readonly services: Informer<Service>;
  private readonly slices: Informer<EndpointSlice>;
  private readonly secrets: Informer<Secret>;
  private readonly desired: LoadBalancerIngress[] | undefined;
  private readonly inFlight = new Map<string, string>();
  private timer: NodeJS.Timeout | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private stopped = false;
  private lastWarnings = new Set<string>();

  constructor(
    manager: Manager,
    private readonly o: IngressControllerOptions,
    private readonly log: Logger,
  ) {
    this.ingresses = manager.informer<Ingress>(INGRESSES);
    this.classes = manager.informer<IngressClass>(INGRESS_CLASSES);
    this.services = manager.informer<Service>(SERVICES);
    this.slices = manager.informer<EndpointSlice>(ENDPOINT_SLICES);
    this.secrets = manager.informer<Secret>(SECRETS, { fieldSelector: 'type=kubernetes.io/tls' });
    this.proxy = new IngressProxy({ ...o, logger: o.logger ? log : undefined });
    this.desired = publishedStatus(o.publishAddress);
    const schedule = () => this.schedule();
    for (const inf of [this.ingresses, this.classes, this.services, this.slices, this.secrets] as Informer[]) {
      inf.addEventHandler({ onAdd: schedule, onUpdate: schedule, onDelete: schedule });
    }
  }

  async run(signal: AbortSignal): Promise<void> {
    await new Promise<void>((r) => signal.addEventListener('abort', () => r(), { once: true }));
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    if (this.retryTimer) clearTimeout(this.retryTimer);
    await this.proxy.close(this.graceMs);
  }

  rebuild(): RouteTable {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const table = buildRoutes(
      {
        ingresses: this.ingresses.list(),
        ingressClasses: this.classes.list(),
        services: this.services.list(),
        endpointSlices: this.slices.list(),
        secrets: this.secrets.list(),
      },
      this.o,
    );
    this.proxy.setRoutes(table);
    const warnings = new Set(table.warnings);
    for (const w of warnings) if (!this.lastWarnings.has(w)) this.log.info(w);
    this.lastWarnings = warnings;
    if (this.desired) for (const ing of table.served) this.writeStatus(ing, this.desired);
    return table;
  }

  private schedule(): void {
    if (!this.timer && !this.stopped) this.timer = setTimeout(() => this.rebuild(), this.o.debounceMs ?? 100);
  }

  private writeStatus(ing: Ingress, desired: LoadBalancerIngress[]): void {
    const want = JSON.stringify(desired);
    const key = objectKey(ing);
    if (JSON.stringify(ing.status?.loadBalancer?.ingress ?? []) === want || this.inFlight.get(key) === want) return;
    this.inFlight.set(key, want);
    const { namespace, name } = ing.metadata;
    this.o.client
      .patch({ ...INGRESSES, namespace, name, subresource: 'status' }, { status: { loadBalancer: { ingress: desired } } }, { type: 'merge' })
      .catch((err: unknown) => {
        this.log.debug({ err, ingress: key }, 'status update failed');
        // Try again a little later (a deleted Ingress simply is not served next time).
        if (!this.retryTimer && !this.stopped) {
          this.retryTimer = setTimeout(() => {
            this.retryTimer = undefined;
            this.schedule();
          }, 1000);
        }
      })
      .finally(() => {
        if (this.inFlight.get(key) === want) this.inFlight.delete(key);
      });
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
