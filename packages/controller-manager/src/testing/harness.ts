/**
 * Integration-test helpers: a real API server, a client and the controller manager.
 * Pods are made Ready by writing their status, as a kubelet would.
 */
import type { KubeObject, Pod } from '@minik8s/api';
import { startTestApiServer, type TestApiServer } from '@minik8s/apiserver/testing';
import { type Clock, Informer, type KubeClient, type ResourceRef } from '@minik8s/client/kube';
import { type RunningControllerManager, startControllerManager } from '../controller-manager.ts';
import { PODS, refTo } from '../internal/resources.ts';

export interface Harness {
  server: TestApiServer;
  client: KubeClient;
  cm: RunningControllerManager;
  close(): Promise<void>;
}

/** `clock` drives the controllers' time (queue delays, schedules); the API server keeps real time. */
export async function startHarness(controllers?: string[], o: { clock?: Clock } = {}): Promise<Harness> {
  const server = await startTestApiServer();
  const { client } = server;
  const cm = startControllerManager({ client, controllers, workers: 2, clock: o.clock });
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
