/**
 * LoadBalancer Services on a local cluster, the way k3s's ServiceLB does it: there is no
 * cloud, so a LoadBalancer Service is given the addresses of the Ready nodes
 * (`status.loadBalancer.ingress`), and every kube-proxy serves the Service's ports on its
 * node's address. The host reaches the nodes on the pod network, so `curl <ingress ip>:<port>`
 * works from the host. Two LoadBalancer Services cannot share a port and protocol: the
 * younger one stays pending (no ingress) with a warning event until the port is free.
 * Services with a `loadBalancerClass` belong to another implementation and are left alone.
 * Events follow upstream's service controller (EnsuringLoadBalancer, EnsuredLoadBalancer).
 */
import type { Node, Service } from '@minik8s/api';
import { type EventRecorder, objectKey } from '@minik8s/client/kube';
import { QueueLoop, type Runnable } from '@minik8s/client/runtime';
import type { Logger } from 'pino';
import { type ControllerContext, eventRecorder } from '../internal/context.ts';
import { refTo } from '../internal/resources.ts';

export const SERVICE_LB_CONTROLLER = 'service-lb-controller';
const SERVICES = { version: 'v1', plural: 'services' } as const;
const NODES = { version: 'v1', plural: 'nodes' } as const;

type LoadBalancerIngress = { ip?: string; hostname?: string };

const isLoadBalancer = (s: Service) => s.spec?.type === 'LoadBalancer' && !s.spec.loadBalancerClass;
const portKeys = (s: Service) => (s.spec?.ports ?? []).map((p) => `${p.protocol ?? 'TCP'}/${p.port}`);

export function nodeAddresses(nodes: Node[]): string[] {
  const ready = nodes.filter((n) => !n.spec?.unschedulable && n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'));
  return ready
    .map((n) => n.status?.addresses?.find((a) => a.type === 'InternalIP')?.address)
    .filter((a): a is string => !!a)
    .sort();
}

/** The LoadBalancer Services that hold one of `svc`'s ports: older ones win (then by name). */
export function portHolders(svc: Service, all: Service[]): Service[] {
  const mine = new Set(portKeys(svc));
  const age = (s: Service) => `${s.metadata?.creationTimestamp ?? ''} ${s.metadata?.namespace}/${s.metadata?.name}`;
  return all.filter(
    (o) => o !== svc && o.metadata?.uid !== svc.metadata?.uid && isLoadBalancer(o) && age(o) < age(svc) && portKeys(o).some((k) => mine.has(k)),
  );
}

export class ServiceLBController implements Runnable {
  readonly name = SERVICE_LB_CONTROLLER;
  private readonly loop: QueueLoop;
  private readonly recorder: EventRecorder;
  private readonly log: Logger;
  private readonly services;
  private readonly nodes;
  /** Pending Services already warned about (one event per wait, not per sync). */
  private readonly pendingReported = new Set<string>();

  constructor(private readonly ctx: ControllerContext) {
    this.log = ctx.log.child({ component: SERVICE_LB_CONTROLLER });
    this.recorder = eventRecorder(ctx, 'service-controller');
    this.loop = new QueueLoop({ name: 'service-lb', workers: 1, clock: ctx.clock, log: this.log, reconcile: (k) => this.sync(k) });
    this.services = ctx.informers.for<Service & { metadata: { name: string } }>(SERVICES);
    this.nodes = ctx.informers.for<Node & { metadata: { name: string } }>(NODES);
    const all = () => {
      for (const s of this.services.list()) if (isLoadBalancer(s) || s.status?.loadBalancer?.ingress?.length) this.loop.enqueue(objectKey(s));
    };
    this.services.addEventHandler({
      onAdd: (s) => this.loop.enqueue(objectKey(s)),
      onUpdate: (_o, s) => this.loop.enqueue(objectKey(s)),
      // A freed port may let a pending Service through.
      onDelete: all,
    });
    this.nodes.addEventHandler({ onAdd: all, onUpdate: all, onDelete: all });
  }

  async run(signal: AbortSignal): Promise<void> {
    await Promise.all([this.services.waitForSync(signal), this.nodes.waitForSync(signal)]);
    await this.loop.run(signal);
    await this.recorder.flush();
  }

  private async sync(key: string): Promise<undefined> {
    const svc = this.services.get(key);
    if (!svc) return undefined;
    const current: LoadBalancerIngress[] = svc.status?.loadBalancer?.ingress ?? [];
    let wanted: LoadBalancerIngress[] = [];
    if (isLoadBalancer(svc)) {
      const holders = portHolders(svc, this.services.list());
      if (holders.length) {
        const h = holders[0]!;
        if (current.length || !this.pendingReported.has(key)) {
          this.recorder.event(
            { ...svc, apiVersion: 'v1', kind: 'Service' },
            'Warning',
            'SyncLoadBalancerFailed',
            `Error syncing load balancer: port ${portKeys(svc).join(', ')} is already served for ${h.metadata?.namespace}/${h.metadata?.name}`,
          );
          this.pendingReported.add(key);
        }
      } else {
        wanted = nodeAddresses(this.nodes.list()).map((ip) => ({ ip }));
        this.pendingReported.delete(key);
      }
    }
    if (JSON.stringify(current) === JSON.stringify(wanted)) return undefined;
    const ref = { ...svc, apiVersion: 'v1', kind: 'Service' };
    if (wanted.length) this.recorder.event(ref, 'Normal', 'EnsuringLoadBalancer', 'Ensuring load balancer');
    await this.ctx.client.patch(
      refTo(SERVICES, svc.metadata.namespace, svc.metadata.name, 'status'),
      { status: { loadBalancer: { ingress: wanted.length ? wanted : null } } },
      { type: 'merge' },
    );
    if (wanted.length) this.recorder.event(ref, 'Normal', 'EnsuredLoadBalancer', 'Ensured load balancer');
    else if (!isLoadBalancer(svc)) this.recorder.event(ref, 'Normal', 'DeletedLoadBalancer', 'Deleted load balancer');
    return undefined;
  }
}
