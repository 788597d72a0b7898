/** What the controller manager hands every controller. */
import { type Clock, EventRecorder, type KubeClient } from '@minik8s/client/kube';
import type { SharedInformers } from '@minik8s/client/runtime';
import type { Logger } from 'pino';

export interface ControllerContext {
  client: KubeClient;
  informers: SharedInformers;
  /** Time for conditions, availability and queue delays. */
  clock: Clock;
  log: Logger;
  /** Workers per controller (kube-controller-manager's --concurrent-*-syncs). */
  workers: number;
}

export function eventRecorder(ctx: ControllerContext, component: string): EventRecorder {
  return new EventRecorder(ctx.client, { component }, { clock: ctx.clock, log: ctx.log.child({ component }) });
}

/** metav1.Time as upstream writes it: RFC 3339, whole seconds. */
export const timestamp = (ms: number) => `${new Date(ms).toISOString().slice(0, 19)}Z`;
