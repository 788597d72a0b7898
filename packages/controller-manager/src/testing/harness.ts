/**
 * Integration-test helpers: a real API server, a client and the controller manager.
 * Pods are made Ready by writing their status, as a kubelet would.
 */
import type { KubeObject, Pod } from '@minik8s/api';
import { startTestApiServer, type TestApiServer } from '@minik8s/apiserver/testing';
import { Informer, type KubeClient, type ResourceRef } from '@minik8s/client/kube';
import { type ControllerManagerOptions, type RunningControllerManager, startControllerManager } from '../controller-manager.ts';
import { PODS, refTo } from '../internal/resources.ts';

export interface Harness {
  server: TestApiServer;
  client: KubeClient;
  cm: RunningControllerManager;
  close(): Promise<void>;
}

/** `options.clock` drives the controllers' time (queue delays, schedules); the API server keeps real time. */
export async function startHarness(controllers?: string[], options: Partial<ControllerManagerOptions> = {}): Promise<Harness> {
  const server = await startTestApiServer();
  const { client } = server;
  const cm = startControllerManager({ client, controllers, workers: 2, ...options });
  await cm.synced;
  return {
    server,
    client,
    cm,
    async close() {
      await cm.stop();
      await server.close();
    },
  };
}

export async function listPods(client: KubeClient, namespace: string, labelSelector?: string): Promise<Pod[]> {
  const list = await client.list<Pod & KubeObject>({ ...PODS, namespace }, { labelSelector });
  return list.items.filter((p) => !p.metadata.deletionTimestamp);
}

/** What a kubelet would write: Running, Ready=True since `readySince`. */
export async function makeReady(client: KubeClient, pod: Pod, readySince = new Date()): Promise<void> {
  const t = `${readySince.toISOString().slice(0, 19)}Z`;
  const fresh = await client.get<Pod & KubeObject>(refTo(PODS, pod.metadata!.namespace, pod.metadata!.name!));
  const body = { ...fresh } as Pod & KubeObject & { status: unknown };
  body.status = {
    ...fresh.status,
    phase: 'Running',
    conditions: [
      { type: 'Ready', status: 'True', lastTransitionTime: t },
      { type: 'ContainersReady', status: 'True', lastTransitionTime: t },
    ],
  };
  await client.updateStatus(refTo(PODS, pod.metadata!.namespace, pod.metadata!.name!), body);
}

export const ns = (o: KubeObject) => o.metadata.namespace!;

export async function createNamespace(client: KubeClient, name: string): Promise<void> {
  await client.create({ version: 'v1', plural: 'namespaces' } as ResourceRef, { apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
}

/**
 * A stand-in kubelet: every new Pod in `namespace` (except those labelled stuck=true)
 * turns Running and Ready after `delayMs`. `onPod` sees every change, for invariants.
 */
export function fakeKubelet(
  client: KubeClient,
  namespace: string,
  delayMs = 50,
  onPod?: (type: 'add' | 'update' | 'delete', p: Pod) => void,
): { stop(): Promise<void> } {
  const informer = new Informer<Pod & KubeObject>(client, { ...PODS, namespace });
  const timers = new Set<ReturnType<typeof setTimeout>>();
  const ready = (p: Pod) => {
    if (p.metadata?.labels?.stuck === 'true' || p.status?.phase === 'Running') return;
    const t = setTimeout(() => {
      timers.delete(t);
      makeReady(client, p).catch(() => {});
    }, delayMs);
    timers.add(t);
  };
  informer.addEventHandler({
    onAdd: (p) => {
      onPod?.('add', p);
      ready(p);
    },
    onUpdate: (_o, p) => onPod?.('update', p),
    onDelete: (p) => onPod?.('delete', p),
  });
  informer.start();
  return {
    async stop() {
      for (const t of timers) clearTimeout(t);
      await informer.stop();
    },
  };
}

/** What a Job's Pod does on the stand-in kubelet: exit with this code after `afterMs`, or run until deleted. */
export type PodOutcome = { exitCode: number; afterMs?: number } | 'run';

/**
 * A stand-in kubelet for run-to-completion Pods: every new Pod in `namespace` turns
 * Running and Ready, then (as `outcome` says) its container exits: phase Succeeded for
 * exit code 0, else Failed, with the code in containerStatuses[].state.terminated.
 */
export function jobKubelet(client: KubeClient, namespace: string, outcome: (p: Pod) => PodOutcome): { stop(): Promise<void> } {
  const informer = new Informer<Pod & KubeObject>(client, { ...PODS, namespace });
  const timers = new Set<ReturnType<typeof setTimeout>>();
  let stopped = false;
  const later = (ms: number, fn: () => Promise<void>) => {
    const t = setTimeout(() => {
      timers.delete(t);
      if (!stopped) fn().catch(() => {}); // the Pod went away meanwhile
    }, ms);
    timers.add(t);
  };
  const write = async (p: Pod, status: (fresh: Pod & KubeObject) => Pod['status']) => {
    const ref = refTo(PODS, namespace, p.metadata!.name!);
    const fresh = await client.get<Pod & KubeObject>(ref);
    if (fresh.metadata.uid !== p.metadata!.uid || fresh.status?.phase === 'Succeeded' || fresh.status?.phase === 'Failed') return;
    await client.updateStatus(ref, { ...fresh, status: status(fresh) } as Pod & KubeObject);
  };
  const names = (p: Pod) => (p.spec?.containers ?? []).map((c) => c.name);
  const now = () => `${new Date().toISOString().slice(0, 19)}Z`;
  informer.addEventHandler({
    onAdd: (p) => {
      if (p.metadata.deletionTimestamp || (p.status?.phase && p.status.phase !== 'Pending')) return;
      const o = outcome(p);
      const finish = () =>
        write(p, () => ({
          phase: o === 'run' || o.exitCode === 0 ? 'Succeeded' : 'Failed',
          conditions: [{ type: 'Ready', status: 'False', lastTransitionTime: now() }],
          containerStatuses: names(p).map((name) => ({
            name,
            image: 'x',
            imageID: '',
            ready: false,
            restartCount: 0,
            state: {
              terminated: { exitCode: o === 'run' ? 0 : o.exitCode, reason: o !== 'run' && o.exitCode !== 0 ? 'Error' : 'Completed', finishedAt: now() },
            },
          })),
        }));
      later(10, async () => {
        await write(p, () => ({
          phase: 'Running',
          conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: now() }],
          containerStatuses: names(p).map((name) => ({
            name,
            image: 'x',
            imageID: '',
            ready: true,
            restartCount: 0,
            state: { running: { startedAt: now() } },
          })),
        }));
        if (o !== 'run') later(o.afterMs ?? 30, finish);
      });
    },
  });
  informer.start();
  return {
    async stop() {
      stopped = true;
      for (const t of timers) clearTimeout(t);
      await informer.stop();
    },
  };
}
