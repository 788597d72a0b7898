/**
 * The generic reconcile loop (controller-runtime's controller): a work queue of keys fed
 * by informer handlers, and workers running a level-based `reconcile(key)` that returns
 * `{ requeueAfter? }` or throws (then the key is retried with per-key back-off).
 */
import type { Logger } from 'pino';
import { type Clock, type ReconcileResult, realClock, runWorkers, WorkQueue } from '../kube/index.ts';

export interface QueueLoopOptions {
  name: string;
  /** Concurrent workers. Default 1. */
  workers?: number;
  clock?: Clock;
  log: Logger;
  // biome-ignore lint/suspicious/noConfusingVoidType: a reconcile may return nothing
  reconcile: (key: string) => Promise<ReconcileResult | undefined | void>;
}

/** A work queue and its workers; `run` resolves once `signal` aborts and the workers drain. */
export class QueueLoop {
  readonly queue: WorkQueue;
  private readonly clock: Clock;

  constructor(private readonly o: QueueLoopOptions) {
    this.clock = o.clock ?? realClock;
    this.queue = new WorkQueue({ name: o.name, clock: this.clock });
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
        const started = this.clock.now();
        try {
          return await this.o.reconcile(key);
        } finally {
          this.o.log.debug({ key, ms: this.clock.now() - started }, 'synced');
        }
      },
      {
        workers: this.o.workers ?? 1,
        onError: (key, err) => this.o.log.warn({ key, err }, 'sync failed; will retry'),
      },
    );
  }
}
