/**
 * The TTL-after-finished controller (upstream pkg/controller/ttlafterfinished): a Job
 * with `ttlSecondsAfterFinished` is deleted that many seconds after it finished (its
 * Complete or Failed condition), in the foreground as upstream does, so the garbage
 * collector removes its Pods first.
 */
import type { Job } from '@minik8s/api';
import { isNotFound, objectKey } from '@minik8s/client/kube';
import { QueueLoop, type Runnable } from '@minik8s/client/runtime';
import type { Logger } from 'pino';
import type { ControllerContext } from '../internal/context.ts';
import { JOBS, refTo } from '../internal/resources.ts';

export const TTL_AFTER_FINISHED_CONTROLLER = 'ttl-after-finished-controller';

/** When the Job finished (completionTime, else its terminal condition's transition), or undefined. */
export function finishedAt(job: Job): number | undefined {
  const cond = job.status?.conditions?.find((c) => (c.type === 'Complete' || c.type === 'Failed') && c.status === 'True');
  if (!cond) return undefined;
  const t = cond.type === 'Complete' && job.status?.completionTime ? job.status.completionTime : cond.lastTransitionTime;
  return t ? Date.parse(t) : undefined;
}

/** Milliseconds until the Job expires (<= 0: expired), or undefined when it never does. */
export function timeLeft(job: Job, now: number): number | undefined {
  const ttl = job.spec?.ttlSecondsAfterFinished;
  if (ttl == null || job.metadata.deletionTimestamp) return undefined;
  const at = finishedAt(job);
  return at === undefined ? undefined : at + ttl * 1000 - now;
}

export class TTLAfterFinishedController implements Runnable {
  readonly name = TTL_AFTER_FINISHED_CONTROLLER;
  private readonly loop: QueueLoop;
  private readonly log: Logger;
  private readonly jobs;

  constructor(private readonly ctx: ControllerContext) {
    this.log = ctx.log.child({ component: TTL_AFTER_FINISHED_CONTROLLER });
    this.loop = new QueueLoop({ name: 'ttl-after-finished', workers: ctx.workers, clock: ctx.clock, log: this.log, reconcile: (k) => this.sync(k) });
    this.jobs = ctx.informers.for<Job>(JOBS);
    const enqueue = (j: Job) => {
      if (timeLeft(j, ctx.clock.now()) !== undefined) this.loop.enqueue(objectKey(j));
    };
    this.jobs.addEventHandler({ onAdd: enqueue, onUpdate: (_o, j) => enqueue(j) });
  }

  async run(signal: AbortSignal): Promise<void> {
    await this.jobs.waitForSync(signal);
    await this.loop.run(signal);
  }

  private async sync(key: string): Promise<{ requeueAfter?: number } | undefined> {
    const cached = this.jobs.get(key);
    if (!cached) return undefined;
    const left = timeLeft(cached, this.ctx.clock.now());
    if (left === undefined) return undefined;
    if (left > 0) return { requeueAfter: left };
    // The cache may be stale (the TTL changed): decide on a fresh copy.
    let fresh: Job;
    try {
      fresh = await this.ctx.client.get<Job>(refTo(JOBS, cached.metadata.namespace, cached.metadata.name!));
    } catch (e) {
      if (isNotFound(e)) return undefined;
      throw e;
    }
    const freshLeft = timeLeft(fresh, this.ctx.clock.now());
    if (freshLeft === undefined) return undefined;
    if (freshLeft > 0) return { requeueAfter: freshLeft };
    this.log.info({ job: key }, 'cleaning up Job');
    try {
      await this.ctx.client.delete(refTo(JOBS, fresh.metadata.namespace, fresh.metadata.name!), {
        propagationPolicy: 'Foreground',
        preconditions: { uid: fresh.metadata.uid },
      });
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }
    return undefined;
  }
}
