/**
 * Every kind's strategy, looked up by group and kind; kinds not listed get the defaults.
 * Adding a kind's behaviour: a file `<group>/<kind>.ts` with `defineStrategy(...)`, and
 * one line below.
 */
import type { ResourceInfo } from '@minik8s/api';
import { controllerRevisionStrategy } from './apps/controller-revision.ts';
import { daemonSetStrategy } from './apps/daemon-set.ts';
import { deploymentStrategy } from './apps/deployment.ts';
import { replicaSetStrategy } from './apps/replica-set.ts';
import { statefulSetStrategy } from './apps/stateful-set.ts';
import { cronJobStrategy } from './batch/cron-job.ts';
import { jobStrategy } from './batch/job.ts';
import { configMapStrategy } from './core/config-map.ts';
import { endpointsStrategy } from './core/endpoints.ts';
import { eventStrategy } from './core/event.ts';
import { namespaceStrategy } from './core/namespace.ts';
import { nodeStrategy } from './core/node.ts';
import { persistentVolumeStrategy } from './core/persistent-volume.ts';
import { persistentVolumeClaimStrategy } from './core/persistent-volume-claim.ts';
import { podStrategy } from './core/pod.ts';
import { secretStrategy } from './core/secret.ts';
import { serviceStrategy } from './core/service.ts';
import { serviceAccountStrategy } from './core/service-account.ts';
import { endpointSliceStrategy } from './discovery/endpoint-slice.ts';
import { ingressStrategy } from './networking/ingress.ts';
import { podDisruptionBudgetStrategy } from './policy/pod-disruption-budget.ts';
import { defineStrategy, type Strategy } from './strategy.ts';

const STRATEGIES: readonly Strategy[] = [
  podStrategy,
  namespaceStrategy,
  serviceStrategy,
  endpointsStrategy,
  configMapStrategy,
  secretStrategy,
  nodeStrategy,
  serviceAccountStrategy,
  eventStrategy,
  persistentVolumeStrategy,
  persistentVolumeClaimStrategy,
  deploymentStrategy,
  replicaSetStrategy,
  statefulSetStrategy,
  daemonSetStrategy,
  controllerRevisionStrategy,
  jobStrategy,
  cronJobStrategy,
  ingressStrategy,
  endpointSliceStrategy,
  podDisruptionBudgetStrategy,
];

const byKind = new Map(STRATEGIES.map((s) => [`${s.group}/${s.kind}`, s]));

/** The strategy of a resource's kind (the defaults for a kind without one). */
export function strategyFor(r: Pick<ResourceInfo, 'group' | 'kind'>): Strategy {
  const key = `${r.group}/${r.kind}`;
  let s = byKind.get(key);
  if (!s) {
    s = defineStrategy(r.group, r.kind);
    byKind.set(key, s);
  }
  return s;
}

export { hasStatusSubresource, type Strategy, type StrategyContext } from './strategy.ts';
