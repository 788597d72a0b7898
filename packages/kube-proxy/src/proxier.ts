/**
 * kube-proxy's iptables proxier: watches Services and EndpointSlices, and after any
 * change (at most every `minSyncMs`, and every `syncMs` regardless) renders every rule
 * and loads it in one iptables-restore. The first sync after a start deletes chains of
 * Services that went away while it was down, so a restart leaves nothing stale. The
 * sync loop is a runnable of the component runtime's Manager, which owns the informers.
 */
import type { KubeObject, Service } from '@minik8s/api';
import { type Clock, type Informer, type KubeClient, realClock } from '@minik8s/client/kube';
import { Manager, type Runnable, withComponent } from '@minik8s/client/runtime';
import type { Logger } from 'pino';
import { Iptables } from './iptables.ts';
import { renderRules, type ServicePortInfo } from './rules.ts';

export interface EndpointSliceLike extends KubeObject {
  addressType?: string;
  endpoints?: Array<{ addresses?: string[]; conditions?: { ready?: boolean; serving?: boolean; terminating?: boolean } }>;
  ports?: Array<{ name?: string; port?: number; protocol?: string }>;
}

export interface ProxierOptions {
  client: KubeClient;
  /** This node's address: NodePorts and LoadBalancer ports are served on it. */
  nodeIP?: string;
  iptables?: Iptables;
  masqueradeAll?: boolean;
  /** Least time between two syncs (ms). Default 100. */
  minSyncMs?: number;
  /** A sync at least this often (ms). Default 30 s. */
  syncMs?: number;
  log?: Logger;
  clock?: Clock;
}

export interface RunningProxier {
  /** Resolves after the first sync that saw every Service and EndpointSlice. */
  synced: Promise<void>;
  /** Number of syncs done (tests wait on it). */
  syncs(): number;
  readonly manager: Manager;
  stop(): Promise<void>;
}

type Named<T> = T & { metadata: { name: string } };

/** Each Service port with the endpoints that serve it, from the caches. */
export function servicePorts(services: Service[], slices: EndpointSliceLike[]): ServicePortInfo[] {
  const byService = new Map<string, EndpointSliceLike[]>();
  for (const s of slices) {
    const svc = s.metadata?.labels?.['kubernetes.io/service-name'];
    if (!svc || (s.addressType && s.addressType !== 'IPv4')) continue;
    const key = `${s.metadata?.namespace}/${svc}`;
    byService.set(key, [...(byService.get(key) ?? []), s]);
  }
  const out: ServicePortInfo[] = [];
  for (const svc of services) {
    const spec = svc.spec ?? {};
    if (spec.type === 'ExternalName') continue;
    const ns = svc.metadata?.namespace ?? 'default';
    const name = svc.metadata?.name ?? '';
    const headless = !spec.clusterIP || spec.clusterIP === 'None';
    const affinity = spec.sessionAffinity === 'ClientIP' ? (spec.sessionAffinityConfig?.clientIP?.timeoutSeconds ?? 10800) : undefined;
    for (const p of spec.ports ?? []) {
      const protocol = (p.protocol ?? 'TCP') as ServicePortInfo['protocol'];
      const ready = new Set<string>();
      const terminating = new Set<string>();
      for (const slice of byService.get(`${ns}/${name}`) ?? []) {
        const sp = (slice.ports ?? []).find((x) => (x.name ?? '') === (p.name ?? '') && (x.protocol ?? 'TCP') === protocol);
        if (!sp?.port) continue;
        for (const ep of slice.endpoints ?? []) {
          const c = ep.conditions ?? {};
          const target = c.ready !== false ? ready : c.serving && c.terminating ? terminating : undefined;
          for (const a of ep.addresses ?? []) target?.add(`${a}:${sp.port}`);
        }
      }
      // Upstream: when no endpoint is ready, serving endpoints that are terminating
      // still take connections (they are draining, not dead).
      const endpoints = [...(ready.size ? ready : terminating)].sort();
      if (headless && !p.nodePort) continue;
      out.push({
        name: `${ns}/${name}${p.name ? `:${p.name}` : ''}`,
        protocol,
        clusterIP: headless ? undefined : spec.clusterIP,
        port: p.port,
        nodePort: spec.type === 'NodePort' || spec.type === 'LoadBalancer' ? p.nodePort : undefined,
        loadBalancer: spec.type === 'LoadBalancer',
        affinitySeconds: affinity,
        endpoints,
      });
    }
  }
  return out;
}

export async function startProxier(o: ProxierOptions): Promise<RunningProxier> {
  const manager = new Manager({ client: o.client, log: o.log, clock: o.clock });
  const proxier = new Proxier(manager, o);
  await proxier.prepare();
  manager.add(proxier).start();
  return { synced: proxier.synced, syncs: () => proxier.syncs, manager, stop: () => manager.stop() };
}

/** Renders and loads the rules after changes, at most every `minSyncMs` and at least every `syncMs`. */
export class Proxier implements Runnable {
  readonly name = 'iptables-proxier';
  syncs = 0;
  /** Resolves after the first sync that saw every Service and EndpointSlice. */
  readonly synced: Promise<void>;
  private readonly log: Logger;
  private readonly clock: Clock;
  private readonly iptables: Iptables;
  private readonly services: Informer<Named<Service>>;
  private readonly slices: Informer<Named<EndpointSliceLike>>;
  private existing = new Set<string>();
  private dirty = true;
  private running: Promise<void> | undefined;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private lastSync = 0;
  private stopped = false;
  private lastInput = '';
  private firstSync!: () => void;

  constructor(
    private readonly manager: Manager,
    private readonly o: ProxierOptions,
  ) {
    this.log = withComponent(manager.log, 'kube-proxy');
    this.clock = o.clock ?? realClock;
    this.iptables = o.iptables ?? new Iptables();
    this.services = manager.informer<Named<Service>>({ version: 'v1', plural: 'services' });
    this.slices = manager.informer<Named<EndpointSliceLike>>({ group: 'discovery.k8s.io', version: 'v1', plural: 'endpointslices' });
    const kick = () => this.kick();
    for (const inf of [this.services, this.slices] as Informer[]) inf.addEventHandler({ onAdd: kick, onUpdate: kick, onDelete: kick });
    this.synced = new Promise((resolve) => {
      this.firstSync = resolve;
    });
  }

  /** The jumps into our chains, and the Service chains already there (a restart deletes stale ones). */
  async prepare(): Promise<void> {
    await this.iptables.ensureJumps();
    this.existing = await this.iptables.serviceChains();
  }

  async run(signal: AbortSignal): Promise<void> {
    const periodic = setInterval(() => this.kick(), this.o.syncMs ?? 30_000);
    const stopped = new Promise<void>((r) => signal.addEventListener('abort', () => r(), { once: true }));
    void this.manager.waitForCacheSync(signal).then(
      async () => {
        const before = this.syncs;
        this.kick();
        while (this.syncs === before && !signal.aborted) await new Promise((r) => setTimeout(r, 20));
        this.firstSync();
      },
      () => this.firstSync(),
    );
    await stopped;
    this.stopped = true;
    clearInterval(periodic);
    if (this.timer) clearTimeout(this.timer);
    await this.running;
  }

  private kick(): void {
    this.dirty = true;
    if (this.stopped || this.running || this.timer) return;
    const wait = Math.max(0, this.lastSync + (this.o.minSyncMs ?? 100) - this.clock.now());
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.running = this.sync()
        .catch((e) => {
          this.dirty = true;
          this.lastSync = this.clock.now() + 1000; // retry in about a second, not in a tight loop
          this.log.warn({ err: e }, 'syncing the rules failed');
        })
        .finally(() => {
          this.running = undefined;
          if (this.dirty) this.kick();
        });
    }, wait);
  }

  private async sync(): Promise<void> {
    this.dirty = false;
    this.lastSync = this.clock.now();
    const ports = servicePorts(this.services.list(), this.slices.list());
    const r = renderRules(ports, { nodeIP: this.o.nodeIP, masqueradeAll: this.o.masqueradeAll, existingChains: this.existing });
    const input = r.nat + r.filter;
    if (input !== this.lastInput) {
      const t0 = performance.now();
      await this.iptables.restore(input);
      this.lastInput = input;
      this.log.debug({ servicePorts: ports.length, ms: Math.round(performance.now() - t0) }, 'rules loaded');
    }
    this.existing = r.natChains;
    this.syncs++;
  }
}
