/**
 * kube-proxy's iptables proxier: watches Services and EndpointSlices, and after any
 * change (at most every `minSyncMs`, and every `syncMs` regardless) renders every rule
 * and loads it in one iptables-restore. The first sync after a start deletes chains of
 * Services that went away while it was down, so a restart leaves nothing stale.
 */
import type { KubeObject, Service } from '@minik8s/api';
import { type Clock, Informer, type KubeClient, realClock } from '@minik8s/client/kube';
import { type Logger, pino } from 'pino';
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
  const log = (o.log ?? pino({ level: 'silent' })).child({ component: 'kube-proxy' });
  const clock = o.clock ?? realClock;
  const iptables = o.iptables ?? new Iptables();
  const minSyncMs = o.minSyncMs ?? 100;
  await iptables.ensureJumps();
  let existing = await iptables.serviceChains();

  const services = new Informer<Named<Service>>(o.client as never, { version: 'v1', plural: 'services' }, { clock });
  const slices = new Informer<Named<EndpointSliceLike>>(o.client as never, { group: 'discovery.k8s.io', version: 'v1', plural: 'endpointslices' }, { clock });

  let syncs = 0;
  let dirty = true;
  let running: Promise<void> | undefined;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let lastSync = 0;
  let stopped = false;
  let lastInput = '';

  const sync = async () => {
    dirty = false;
    lastSync = clock.now();
    const ports = servicePorts(services.list(), slices.list());
    const r = renderRules(ports, { nodeIP: o.nodeIP, masqueradeAll: o.masqueradeAll, existingChains: existing });
    const input = r.nat + r.filter;
    if (input !== lastInput) {
      const t0 = performance.now();
      await iptables.restore(input);
      lastInput = input;
      log.debug({ servicePorts: ports.length, ms: Math.round(performance.now() - t0) }, 'rules loaded');
    }
    existing = r.natChains;
    syncs++;
  };
  const kick = () => {
    dirty = true;
    if (stopped || running || timer) return;
    const wait = Math.max(0, lastSync + minSyncMs - clock.now());
    timer = setTimeout(() => {
      timer = undefined;
      running = sync()
        .catch((e) => {
          dirty = true;
          lastSync = clock.now() + 1000; // retry in about a second, not in a tight loop
          log.warn({ err: e }, 'syncing the rules failed');
        })
        .finally(() => {
          running = undefined;
          if (dirty) kick();
        });
    }, wait);
  };
  for (const inf of [services, slices]) inf.addEventHandler({ onAdd: kick, onUpdate: kick, onDelete: kick });
  services.start();
  slices.start();
  const periodic = setInterval(kick, o.syncMs ?? 30_000);

  const synced = (async () => {
    await Promise.all([services.waitForSync(), slices.waitForSync()]);
    const before = syncs;
    kick();
    while (syncs === before && !stopped) await new Promise((r) => setTimeout(r, 20));
  })();

  return {
    synced,
    syncs: () => syncs,
    async stop() {
      stopped = true;
      clearInterval(periodic);
      if (timer) clearTimeout(timer);
      await running;
      await Promise.all([services.stop(), slices.stop()]);
    },
  };
}
