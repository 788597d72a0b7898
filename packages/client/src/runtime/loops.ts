/**
 * Two common runnables: `oneShot`, a one-time task that may have to wait for the API
 * server (publishing a Service, making an IngressClass), tried until it succeeds or the
 * manager stops, with back-off (500 ms doubling to 5 s), quietly for the first attempts;
 * and `periodic`, a task run every so often until the manager stops, a failure logged
 * and tried again next time (a node's status, its Lease).
 */
import type { Logger } from 'pino';
import { type Clock, realClock, sleep } from '../kube/index.ts';
import type { Runnable } from './manager.ts';

export interface LoopOptions {
  log: Logger;
  /** Failures before they are logged (at warn). Default 10. */
  quietAttempts?: number;
  clock?: Clock;
}

export function oneShot(name: string, task: (signal: AbortSignal) => Promise<void>, o: LoopOptions): Runnable {
  const clock = o.clock ?? realClock;
  return {
    name,
    async run(signal) {
      for (let attempt = 0; !signal.aborted; attempt++) {
        try {
          await task(signal);
          return;
        } catch (err) {
          if (attempt >= (o.quietAttempts ?? 10)) o.log.warn({ err, task: name }, `${name}: not yet; retrying`);
          await sleep(clock, Math.min(500 * 2 ** attempt, 5000), signal).catch(() => undefined);
        }
      }
    },
  };
}

/** Runs `task` now and then every `everyMs` (after it ends) until stopped. */
export function periodic(name: string, everyMs: number, task: (signal: AbortSignal) => Promise<void>, o: LoopOptions): Runnable {
  const clock = o.clock ?? realClock;
  return {
    name,
    async run(signal) {
      while (!signal.aborted) {
        try {
          await task(signal);
        } catch (err) {
          if (!signal.aborted) o.log.warn({ err }, `${name} failed`);
        }
        await sleep(clock, everyMs, signal).catch(() => undefined);
      }
    },
  };
}
