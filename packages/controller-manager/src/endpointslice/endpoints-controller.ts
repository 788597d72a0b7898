/**
 * The Endpoints controller (upstream pkg/controller/endpoint): the core/v1 Endpoints of
 * every Service with a selector, named as the Service, labelled with its labels (and
 * `service.kubernetes.io/headless` when it has no cluster IP). Ready Pods are in
 * `addresses`, the others in `notReadyAddresses`; terminating Pods are left out unless
 * the Service has `publishNotReadyAddresses` (which also makes every address ready).
 * Endpoints whose Service is gone are deleted, including those found at start-up.
 */
import type { KubeObject, Pod, Service } from '@minik8s/api';
import { type EventRecorder, isNotFound, NAMESPACE_INDEX, namespaceIndexFunc, objectKey } from '@minik8s/client/kube';
import { QueueLoop, type Runnable } from '@minik8s/client/runtime';
import type { Logger } from 'pino';
import { type ControllerContext, eventRecorder } from '../internal/context.ts';
import { PODS, refTo } from '../internal/resources.ts';
import { enqueueServicesOnChanges, isNamespaceTerminating, isServiceIPSet, managesEndpointsOf, selectedPods } from './service-pods.ts';
import { MAX_ENDPOINTS_CAPACITY, sameSubsets, serviceSubsets, truncateSubsets } from './subsets.ts';
import { ANNOTATION_LEADER, ANNOTATION_OVER_CAPACITY, ENDPOINTS, type Endpoints, LABEL_HEADLESS, SERVICES } from './types.ts';

export const ENDPOINT_CONTROLLER = 'endpoint-controller';
/** How soon to look again when the cache has not caught up with our writes. */
const STALE_CACHE_RETRY_MS = 100;

export class EndpointsController implements Runnable {
  readonly name = ENDPOINT_CONTROLLER;
  private readonly loop: QueueLoop;
  private readonly recorder: EventRecorder;
  private readonly log: Logger;
  private readonly services;
  private readonly pods;
  private readonly endpoints;
  /** staleEndpointsTracker: the resourceVersion each of our updates replaced (seeing it again means the cache lags). */
  private readonly replaced = new Map<string, string>();
  /** Endpoints we created that the cache has not shown yet. */
  private readonly created = new Set<string>();

  constructor(private readonly ctx: ControllerContext) {
    this.log = ctx.log.child({ component: ENDPOINT_CONTROLLER });
    this.recorder = eventRecorder(ctx, ENDPOINT_CONTROLLER);
    this.loop = new QueueLoop({ name: 'endpoint', workers: ctx.workers, clock: ctx.clock, log: this.log, reconcile: (k) => this.sync(k) });
    this.services = ctx.informers.index<Service>(SERVICES, NAMESPACE_INDEX, namespaceIndexFunc);
    this.pods = ctx.informers.index<Pod>(PODS, NAMESPACE_INDEX, namespaceIndexFunc);
    this.endpoints = ctx.informers.for<Endpoints>(ENDPOINTS);

    enqueueServicesOnChanges(this.services, this.pods, (k) => this.loop.enqueue(k));
    this.endpoints.addEventHandler({
      onDelete: (ep) => {
        this.created.delete(objectKey(ep));
        this.loop.enqueue(objectKey(ep)); // put back if its Service still wants it
      },
    });
  }

  async run(signal: AbortSignal): Promise<void> {
    await Promise.all([this.services, this.pods, this.endpoints].map((i) => i.waitForSync(signal)));
    this.checkLeftoverEndpoints();
    await this.loop.run(signal);
    await this.recorder.flush();
  }

  /** Once at start: look at every Endpoints, so those whose Service went while we were down go too. */
  private checkLeftoverEndpoints(): void {
    for (const ep of this.endpoints.list()) {
      if (ep.metadata.annotations?.[ANNOTATION_LEADER] !== undefined) continue; // an old-style leader election record
      this.loop.enqueue(objectKey(ep));
    }
  }

  // ------------------------------------------------------------------ sync

  private async sync(key: string): Promise<{ requeueAfter?: number } | undefined> {
    const [namespace, name] = key.split('/') as [string, string];
    const svc = this.services.get(key);
    if (!svc) {
      try {
        await this.ctx.client.delete(refTo(ENDPOINTS, namespace, name));
      } catch (e) {
        if (!isNotFound(e)) throw e;
      }
      this.replaced.delete(key);
      this.created.delete(key);
      return undefined;
    }
    if (!managesEndpointsOf(svc)) return undefined;

    const subsets = serviceSubsets(svc, selectedPods(svc, this.pods.byIndex(NAMESPACE_INDEX, namespace)));
    const current = this.endpoints.get(key);
    if (current) this.created.delete(key);
    if (current ? this.replaced.get(key) === current.metadata.resourceVersion : this.created.has(key)) {
      this.log.debug({ key }, 'Endpoints informer cache is out of date');
      return { requeueAfter: STALE_CACHE_RETRY_MS };
    }
    const svcLabels = svc.metadata.labels ?? {};
    if (
      current &&
      sameSubsets(current.subsets, subsets) &&
      sameLabels(withoutHeadless(current.metadata.labels), svcLabels) &&
      capacityAnnotationRight(current)
    ) {
      return undefined;
    }

    const next: Endpoints = current
      ? { ...structuredClone(current), apiVersion: 'v1', kind: 'Endpoints' }
      : { apiVersion: 'v1', kind: 'Endpoints', metadata: { name, namespace } };
    const { subsets: kept, truncated } = truncateSubsets(subsets);
    if (kept.length > 0) next.subsets = kept;
    else delete next.subsets;
    const labels: Record<string, string> = { ...svcLabels };
    if (!isServiceIPSet(svc)) labels[LABEL_HEADLESS] = '';
    else delete labels[LABEL_HEADLESS];
    next.metadata.labels = labels;
    const annotations = { ...(next.metadata.annotations ?? {}) };
    if (truncated) annotations[ANNOTATION_OVER_CAPACITY] = 'truncated';
    else delete annotations[ANNOTATION_OVER_CAPACITY];
    if (Object.keys(annotations).length > 0) next.metadata.annotations = annotations;
    else delete next.metadata.annotations;

    try {
      if (!current) {
        await this.ctx.client.create<Endpoints>({ ...ENDPOINTS, namespace }, next);
        this.created.add(key);
      } else {
        const updated = await this.ctx.client.update<Endpoints>(refTo(ENDPOINTS, namespace, name), next);
        if (updated.metadata.resourceVersion !== current.metadata.resourceVersion) this.replaced.set(key, current.metadata.resourceVersion ?? '');
      }
    } catch (e) {
      if (!current && isNamespaceTerminating(e)) return undefined;
      const [reason, message] = current
        ? ['FailedToUpdateEndpoint', `Failed to update endpoint ${key}: ${(e as Error).message}`]
        : ['FailedToCreateEndpoint', `Failed to create endpoint for service ${key}: ${(e as Error).message}`];
      this.recorder.event(next as KubeObject, 'Warning', reason, message);
      throw e;
    }
    return undefined;
  }
}

function withoutHeadless(labels: Record<string, string> | undefined): Record<string, string> {
  const { [LABEL_HEADLESS]: _h, ...rest } = labels ?? {};
  return rest;
}

function sameLabels(a: Record<string, string>, b: Record<string, string>): boolean {
  const ka = Object.keys(a);
  return ka.length === Object.keys(b).length && ka.every((k) => a[k] === b[k]);
}

/** Over capacity it must be (re)written; under it, the over-capacity annotation must be absent. */
function capacityAnnotationRight(ep: Endpoints): boolean {
  let n = 0;
  for (const s of ep.subsets ?? []) n += (s.addresses?.length ?? 0) + (s.notReadyAddresses?.length ?? 0);
  if (n > MAX_ENDPOINTS_CAPACITY) return false;
  return ep.metadata.annotations?.[ANNOTATION_OVER_CAPACITY] === undefined;
}
