/**
 * The EndpointSlice controller (upstream pkg/controller/endpointslice): for every Service
 * with a selector, EndpointSlices listing the Pods it selects, with their readiness, node,
 * zone and the ports their targetPorts resolve to. Slices carry the Service's labels plus
 * `kubernetes.io/service-name` and `endpointslice.kubernetes.io/managed-by`, and a
 * controller ownerReference to the Service, so the garbage collector removes them with it
 * (as upstream, the controller itself does not). Services without a selector are left to
 * whoever writes their slices.
 */
import type { Node, Pod, Service } from '@minik8s/api';
import { type EventRecorder, isNotFound, NAMESPACE_INDEX, namespaceIndexFunc } from '@minik8s/client/kube';
import { QueueLoop, type Runnable } from '@minik8s/client/runtime';
import type { Logger } from 'pino';
import { type ControllerContext, eventRecorder } from '../internal/context.ts';
import { PODS, refTo } from '../internal/resources.ts';
import { planEndpointSlices } from './reconciler.ts';
import { enqueueServicesOnChanges, isNamespaceTerminating, managesEndpointsOf, selectedPods, serviceObject } from './service-pods.ts';
import { EndpointSliceTracker, serviceKeyOf } from './slice-tracker.ts';
import { ENDPOINT_SLICES, type EndpointSlice, LABEL_MANAGED_BY, LABEL_SERVICE_NAME, NODES, SERVICES } from './types.ts';

export const ENDPOINTSLICE_CONTROLLER = 'endpointslice-controller';
/** The managed-by label value of the slices this controller owns. */
export const ENDPOINTSLICE_MANAGED_BY = 'endpointslice-controller.k8s.io';
/** Upstream's default --max-endpoints-per-slice. */
export const MAX_ENDPOINTS_PER_SLICE = 100;
/** endpointSliceChangeMinSyncDelay: a slice changed by someone else is looked at this much later. */
const SLICE_CHANGE_SYNC_DELAY_MS = 1000;
/** How soon to look again when the cache has not caught up with our writes. */
const STALE_CACHE_RETRY_MS = 100;
const BY_SERVICE = 'endpointslice/service';

export interface EndpointSliceControllerOptions {
  maxEndpointsPerSlice?: number;
}

export class EndpointSliceController implements Runnable {
  readonly name = ENDPOINTSLICE_CONTROLLER;
  private readonly loop: QueueLoop;
  private readonly recorder: EventRecorder;
  private readonly log: Logger;
  private readonly tracker = new EndpointSliceTracker();
  private readonly maxEndpointsPerSlice: number;
  private readonly services;
  private readonly pods;
  private readonly slices;
  private readonly nodes;

  constructor(
    private readonly ctx: ControllerContext,
    o: EndpointSliceControllerOptions = {},
  ) {
    this.maxEndpointsPerSlice = o.maxEndpointsPerSlice ?? MAX_ENDPOINTS_PER_SLICE;
    this.log = ctx.log.child({ component: ENDPOINTSLICE_CONTROLLER });
    this.recorder = eventRecorder(ctx, ENDPOINTSLICE_CONTROLLER);
    this.loop = new QueueLoop({ name: 'endpoint_slice', workers: ctx.workers, clock: ctx.clock, log: this.log, reconcile: (k) => this.sync(k) });
    this.services = ctx.informers.index<Service>(SERVICES, NAMESPACE_INDEX, namespaceIndexFunc);
    this.pods = ctx.informers.index<Pod>(PODS, NAMESPACE_INDEX, namespaceIndexFunc);
    this.slices = ctx.informers.index<EndpointSlice>(ENDPOINT_SLICES, BY_SERVICE, (s) => (this.managed(s) ? [serviceKeyOf(s)] : []));
    this.nodes = ctx.informers.for<Node>(NODES);

    enqueueServicesOnChanges(this.services, this.pods, (k) => this.loop.enqueue(k));
    this.slices.addEventHandler({
      onAdd: (s) => {
        if (this.managed(s) && this.tracker.shouldSync(s)) this.enqueueForSlice(s);
      },
      onUpdate: (old, s) => {
        if (old.metadata.labels?.[LABEL_SERVICE_NAME] !== s.metadata.labels?.[LABEL_SERVICE_NAME]) {
          this.tracker.handleDeletion(old); // no longer one of that Service's slices
          this.enqueueForSlice(s);
          this.enqueueForSlice(old);
          return;
        }
        if (this.managed(old) !== this.managed(s)) {
          if (!this.managed(s)) this.tracker.handleDeletion(old);
          this.enqueueForSlice(s);
        } else if (this.managed(s) && this.tracker.shouldSync(s)) {
          this.enqueueForSlice(s);
        }
      },
      onDelete: (s) => {
        // A slice we did not expect to go: put it back.
        if (this.managed(s) && this.tracker.has(s) && !this.tracker.handleDeletion(s)) this.enqueueForSlice(s);
      },
    });
  }

  async run(signal: AbortSignal): Promise<void> {
    await Promise.all([this.services, this.pods, this.slices, this.nodes].map((i) => i.waitForSync(signal)));
    await this.loop.run(signal);
    await this.recorder.flush();
  }

  private managed(s: EndpointSlice): boolean {
    return s.metadata.labels?.[LABEL_MANAGED_BY] === ENDPOINTSLICE_MANAGED_BY;
  }

  private enqueueForSlice(s: EndpointSlice): void {
    if (!s.metadata.labels?.[LABEL_SERVICE_NAME]) return;
    this.loop.enqueueAfter(serviceKeyOf(s), SLICE_CHANGE_SYNC_DELAY_MS);
  }

  // ------------------------------------------------------------------ sync

  private async sync(key: string): Promise<{ requeueAfter?: number } | undefined> {
    const svc = this.services.get(key);
    if (!svc) {
      // Its slices go with it: they are the garbage collector's (ownerReferences).
      this.tracker.deleteService(key);
      return undefined;
    }
    if (!managesEndpointsOf(svc)) return undefined;
    const ns = svc.metadata.namespace!;
    const pods = selectedPods(svc, this.pods.byIndex(NAMESPACE_INDEX, ns));
    const existing = this.slices.byIndex(BY_SERVICE, key).filter((s) => !s.metadata.deletionTimestamp);
    if (this.tracker.stale(svc, existing)) {
      this.log.debug({ key }, 'EndpointSlice informer cache is out of date');
      return { requeueAfter: STALE_CACHE_RETRY_MS };
    }
    const plan = planEndpointSlices({
      service: svc,
      pods,
      existing,
      node: (name) => this.nodes.get(name),
      maxEndpointsPerSlice: this.maxEndpointsPerSlice,
      managedBy: ENDPOINTSLICE_MANAGED_BY,
    });
    let error: Error | undefined;
    try {
      await this.write(svc, plan.create, plan.update, plan.delete);
    } catch (e) {
      error = e as Error;
    }
    const messages = [...(error ? [error.message] : []), ...plan.errors];
    if (messages.length > 0) {
      const message = messages.length === 1 ? messages[0]! : `[${messages.join(', ')}]`;
      this.recorder.event(serviceObject(svc), 'Warning', 'FailedToUpdateEndpointSlices', `Error updating Endpoint Slices for Service ${key}: ${message}`);
      throw error ?? new Error(message);
    }
    return undefined;
  }

  /** Creates, then updates, then deletes; stops at the first failure (the sync is retried). */
  private async write(svc: Service, create: EndpointSlice[], update: EndpointSlice[], remove: EndpointSlice[]): Promise<void> {
    const ns = svc.metadata.namespace!;
    const id = `${ns}/${svc.metadata.name}`;
    // Not while the Service is going: the garbage collector is deleting its slices.
    if (!svc.metadata.deletionTimestamp) {
      for (const s of create) {
        try {
          this.tracker.update(await this.ctx.client.create<EndpointSlice>({ ...ENDPOINT_SLICES, namespace: ns }, s));
        } catch (e) {
          if (isNamespaceTerminating(e)) return;
          throw new Error(`failed to create EndpointSlice for Service ${id}: ${(e as Error).message}`, { cause: e });
        }
      }
    }
    for (const s of update) {
      try {
        this.tracker.update(await this.ctx.client.update<EndpointSlice>(refTo(ENDPOINT_SLICES, ns, s.metadata.name!), s));
      } catch (e) {
        throw new Error(`failed to update ${s.metadata.name} EndpointSlice for Service ${id}: ${(e as Error).message}`, { cause: e });
      }
    }
    for (const s of remove) {
      try {
        await this.ctx.client.delete(refTo(ENDPOINT_SLICES, ns, s.metadata.name!), { preconditions: { uid: s.metadata.uid } });
        this.tracker.expectDeletion(s);
      } catch (e) {
        if (isNotFound(e)) continue;
        throw new Error(`failed to delete ${s.metadata.name} EndpointSlice for Service ${id}: ${(e as Error).message}`, { cause: e });
      }
    }
  }
}
