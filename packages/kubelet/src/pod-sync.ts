/**
 * The kubelet's two Pod loops as runnables of the component runtime's Manager:
 * `PodSync` turns changes of the Pods bound here into keys of a work queue and syncs
 * each Pod (one worker per Pod at a time) through the pod workers; `pleg` relists Docker
 * every second to notice containers that changed (exits, removals) and orphans.
 */
import { isDeepStrictEqual } from 'node:util';
import type { Pod } from '@minik8s/api';
import { type Informer, objectKey, runWorkers, type WorkQueue } from '@minik8s/client/kube';
import { type LoopOptions, periodic, type Runnable } from '@minik8s/client/runtime';
import type { Logger } from 'pino';
import type { PodWorkers } from './pod-worker.ts';
import type { ProbeManager } from './probes.ts';
import { LABEL_NODE, LABEL_POD_UID } from './runtime/labels.ts';
import { type ContainerRuntime, isRuntimeDown } from './runtime/runtime.ts';

export type BoundPod = Pod & { metadata: { name: string } };

export interface PodSyncOptions {
  informer: Informer<BoundPod>;
  queue: WorkQueue;
  podWorkers: PodWorkers;
  probes: ProbeManager;
  log: Logger;
  /** Pods worked on at once. */
  workers: number;
}

function sameSpecAndMeta(a: Pod, b: Pod): boolean {
  const meta = (p: Pod) => {
    const { resourceVersion: _r, managedFields: _m, ...rest } = p.metadata ?? {};
    return rest;
  };
  return isDeepStrictEqual(a.spec, b.spec) && isDeepStrictEqual(meta(a), meta(b));
}

export class PodSync implements Runnable {
  readonly name = 'pod-sync';

  constructor(private readonly o: PodSyncOptions) {
    const { informer, queue } = o;
    informer.addEventHandler({
      onAdd: (p) => queue.add(objectKey(p)),
      // Our own status writes come back as updates: like upstream's pod config, only a
      // change of spec or metadata wakes the worker (else ErrImagePull would flip to
      // ImagePullBackOff at once).
      onUpdate: (a, p) => {
        if (!sameSpecAndMeta(a, p)) queue.add(objectKey(p));
      },
      onDelete: (p) => queue.add(objectKey(p)),
    });
  }

  liveUids(): Set<string> {
    return new Set(this.o.informer.list().map((p) => p.metadata.uid ?? ''));
  }

  cleanupOrphans(): Promise<void> {
    return this.o.podWorkers.cleanupOrphans(this.liveUids());
  }

  async run(signal: AbortSignal): Promise<void> {
    const { informer, queue, podWorkers, log } = this.o;
    signal.addEventListener(
      'abort',
      () => {
        queue.shutDown();
        this.o.probes.stop();
      },
      { once: true },
    );
    await informer.waitForSync(signal).catch(() => undefined);
    const sync = async (key: string) => {
      const pod = informer.get(key);
      if (!pod) return this.cleanupOrphans();
      return podWorkers.sync(pod);
    };
    const onError = (key: string, e: unknown) => {
      if (isRuntimeDown(e)) log.warn({ pod: key }, `cannot reach the Docker daemon: ${(e as Error).message}`);
      else log.warn({ pod: key, err: e }, 'pod sync failed');
    };
    await runWorkers(queue, sync, { workers: this.o.workers, onError });
  }
}

/** The PLEG: relists this node's containers; a changed one wakes its Pod, an orphan is cleaned up. */
export function pleg(
  o: { runtime: ContainerRuntime; nodeName: string; podSync: PodSync; informer: Informer<BoundPod>; queue: WorkQueue; everyMs: number } & LoopOptions,
): Runnable {
  let seen = new Map<string, string>();
  let runtimeDownLogged = false;
  return periodic(
    'relist',
    o.everyMs,
    async () => {
      // Until the Pods bound here are known, every container would look orphaned.
      if (!o.informer.hasSynced()) return;
      let list: Awaited<ReturnType<ContainerRuntime['list']>>;
      try {
        list = await o.runtime.list({ [LABEL_NODE]: o.nodeName });
        if (runtimeDownLogged) o.log.info('the Docker daemon is back');
        runtimeDownLogged = false;
      } catch (e) {
        if (!runtimeDownLogged) o.log.error({ err: e }, `cannot reach the Docker daemon (${(e as Error).message}); retrying`);
        runtimeDownLogged = true;
        return;
      }
      const now = new Map(list.map((c) => [c.id, `${c.state}/${c.labels[LABEL_POD_UID]}`]));
      const changed = new Set<string>();
      for (const [id, s] of now) if (seen.get(id) !== s) changed.add(s.split('/')[1] ?? '');
      for (const [id, s] of seen) if (!now.has(id)) changed.add(s.split('/')[1] ?? '');
      seen = now;
      for (const uid of changed) {
        const pod = o.informer.list().find((p) => p.metadata.uid === uid);
        if (pod) o.queue.add(objectKey(pod));
      }
      const live = o.podSync.liveUids();
      if ([...now.values()].some((s) => !live.has(s.split('/')[1] ?? ''))) await o.podSync.cleanupOrphans();
    },
    o,
  );
}
