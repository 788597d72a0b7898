/**
 * What every controller shares: a work queue of `ns/name` keys fed by informer
 * handlers, and workers running a level-based reconcile with per-key back-off.
 */
import { type Clock, type ReconcileResult, runWorkers, WorkQueue } from '@minik8s/client/kube';
import type { Logger } from 'pino';

export interface Controller {
  readonly name: string;
  /** Runs until stop(): waits for the caches, then processes keys. */
  run(signal: AbortSignal): Promise<void>;
}

export interface QueueLoopOptions {
  name: string;
  workers: number;
  clock: Clock;
  log: Logger;
  // biome-ignore lint/suspicious/noConfusingVoidType: a reconcile may return nothing
  reconcile: (key: string) => Promise<ReconcileResult | undefined | void>;
}

/** A work queue and its workers; `run` resolves once `signal` aborts and the workers drain. */
export class QueueLoop {
  readonly queue: WorkQueue;

  constructor(private readonly o: QueueLoopOptions) {
    this.queue = new WorkQueue({ name: o.name, clock: o.clock });
  }

  enqueue(key: string): void {
    this.queue.add(key);
  }

  enqueueAfter(key: string, ms: number): void {
    this.queue.addAfter(key, ms);
  }

  async run(signal: AbortSignal): Promise<void> {
    if (signal.aborted) return;
    signal.addEventListener('abort', () => this.queue.shutDown(), { once: true });
    await runWorkers(
      this.queue,
      async (key) => {
        const started = this.o.clock.now();
        try {
          return await this.o.reconcile(key);
        } finally {
          this.o.log.debug({ key, ms: this.o.clock.now() - started }, 'synced');
        }
      },
      {
        workers: this.o.workers,
        onError: (key, err) => this.o.log.warn({ key, err }, 'sync failed; will retry'),
      },
    );
  }
}
