/**
 * Pods (upstream's pkg/registry/core/pod/strategy.go): a new Pod is Pending with its QoS
 * class and the default not-ready/unreachable tolerations; deletion is graceful once a node runs it; READY/STATUS/RESTARTS as kubectl shows.
 */
import { defaultPod, type KubeObject } from '@minik8s/api';
import { validatePod } from '@minik8s/api/validation';
import { type Any, ageColumn, nameColumn, none } from '../printers.ts';
import { defineStrategy } from '../strategy.ts';
import { admitDefaultTolerationSeconds } from './default-toleration-seconds.ts';

export const podStrategy = defineStrategy('', 'Pod', {
  prepareForCreate: (_r, obj) => {
    obj.status = { phase: 'Pending', qosClass: qosClass(obj) };
  },
  defaults: defaultPod,
  admit: (obj, _old, ctx) => admitDefaultTolerationSeconds(obj, ctx.admission.defaultTolerationSeconds),
  validate: validatePod,
  gracePeriodSeconds: podGracePeriod,
  columns: [
    nameColumn,
    { name: 'Ready', cell: (o) => podStatus(o).ready },
    { name: 'Status', cell: (o) => podStatus(o).status },
    { name: 'Restarts', cell: (o) => podStatus(o).restarts },
    ageColumn,
    { name: 'IP', priority: 1, cell: (o: Any) => none(o.status?.podIP) },
    { name: 'Node', priority: 1, cell: (o: Any) => none(o.spec?.nodeName) },
    { name: 'Nominated Node', priority: 1, cell: (o: Any) => none(o.status?.nominatedNodeName) },
    { name: 'Readiness Gates', priority: 1, cell: (o: Any) => none(o.spec?.readinessGates?.length ? String(o.spec.readinessGates.length) : '') },
  ],
});

/**
 * How long a Pod gets to stop (upstream's CheckGracefulDelete): the request's
 * gracePeriodSeconds, else the Pod's terminationGracePeriodSeconds (default 30); 0 for a
 * Pod no node runs (unscheduled) or one that has finished.
 */
function podGracePeriod(pod: KubeObject, requested: number | undefined): number {
  const spec = pod.spec as { nodeName?: string; terminationGracePeriodSeconds?: number } | undefined;
  const phase = (pod.status as { phase?: string } | undefined)?.phase;
  if (!spec?.nodeName || phase === 'Succeeded' || phase === 'Failed') return 0;
  return Math.max(0, requested ?? spec.terminationGracePeriodSeconds ?? 30);
}

/** Guaranteed when every container sets equal CPU and memory requests and limits; BestEffort when none sets any. */
function qosClass(pod: Any): string {
  const containers: Any[] = [...(pod.spec?.containers ?? []), ...(pod.spec?.initContainers ?? [])];
  let any = false;
  let guaranteed = containers.length > 0;
  for (const c of containers) {
    const req = c.resources?.requests ?? {};
    const lim = c.resources?.limits ?? {};
    if (Object.keys(req).length || Object.keys(lim).length) any = true;
    for (const res of ['cpu', 'memory']) {
      const l = lim[res];
      const q = req[res] ?? l;
      if (l === undefined || String(q) !== String(l)) guaranteed = false;
    }
  }
  return !any ? 'BestEffort' : guaranteed ? 'Guaranteed' : 'Burstable';
}

function podStatus(o: Any): { ready: string; status: string; restarts: string } {
  const statuses: Any[] = o.status?.containerStatuses ?? [];
  const total = o.spec?.containers?.length ?? 0;
  const ready = statuses.filter((c) => c.ready).length;
  let reason: string = o.status?.reason ?? o.status?.phase ?? 'Pending';
  let restarts = 0;
  for (const c of statuses) {
    restarts += c.restartCount ?? 0;
    const waiting = c.state?.waiting?.reason;
    const terminated = c.state?.terminated;
    if (waiting && waiting !== 'ContainerCreating') reason = waiting;
    else if (waiting && reason === 'Pending') reason = waiting;
    else if (terminated) reason = terminated.reason ?? (terminated.signal ? `Signal:${terminated.signal}` : `ExitCode:${terminated.exitCode}`);
  }
  if (o.metadata?.deletionTimestamp) reason = 'Terminating';
  return { ready: `${ready}/${total}`, status: reason, restarts: String(restarts) };
}
