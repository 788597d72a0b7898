/**
 * The kubelet, wired: wait for Docker, register the Node, keep its status and Lease
 * fresh, watch the Pods bound to this node, sync each in a work queue (one worker per
 * Pod at a time), relist Docker every second (the PLEG) to notice containers that
 * changed, clean up containers of Pods that are gone, and serve :10250.
 * `startKubelet` runs it in-process and returns `stop()`.
 */
import { readFile } from 'node:fs/promises';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { networkInterfaces } from 'node:os';
import { isDeepStrictEqual } from 'node:util';
import { type KubeObject, type Node, type Pod, parseResolvConf } from '@minik8s/api';
import { type Clock, EventRecorder, Informer, isNotFound, type KubeClient, objectKey, realClock, runWorkers, sleep, WorkQueue } from '@minik8s/client/kube';
import { type Logger, pino } from 'pino';
import { Backoff } from './backoff.ts';
import type { KeyLookup } from './container-config.ts';
import { ImagePuller } from './images.ts';
import { cidrContains } from './internal/ip.ts';
import { type NodeConfig, postNodeStatus, registerNode, renewLease } from './node-status.ts';
import { PodWorkers } from './pod-worker.ts';
import { ProbeManager } from './probes.ts';
import { DockerRuntime } from './runtime/docker.ts';
import { LABEL_NODE, LABEL_POD_UID } from './runtime/labels.ts';
import { type ContainerRuntime, isRuntimeDown, type RuntimeInfo } from './runtime/runtime.ts';
import { createNodeServer } from './server.ts';

export const DEFAULT_INFRA_IMAGE = 'minik8s/busybox:latest';

export interface KubeletOptions {
  client: KubeClient;
  nodeName: string;
  podCidr?: string;
  /** Docker network the Pods join. Default minik8s-pods. */
  podNetwork?: string;
  /** InternalIP; default this host's address on the pod network, else its first non-internal IPv4. */
  nodeIP?: string;
  /** Node server port (0: any free one). Default 10250; undefined server: none. */
  port?: number;
  /** Address the node server listens on. Default 0.0.0.0. */
  address?: string;
  tls?: { cert: string | Buffer; key: string | Buffer; ca?: string | Buffer };
  infraImage?: string;
  /** The sandbox's command; default `sleep infinity` for the default image, the image's own otherwise. */
  infraCommand?: string[];
  crashLoopInitialMs?: number;
  crashLoopMaxMs?: number;
  imagePullInitialMs?: number;
  imagePullMaxMs?: number;
  cpus?: string;
  memory?: string;
  maxPods?: number;
  relistMs?: number;
  resyncMs?: number;
  nodeStatusMs?: number;
  leaseMs?: number;
  runtime?: ContainerRuntime;
  logger?: Logger;
  clock?: Clock;
  /** Labels put on every container (tests clean up by them). */
  extraLabels?: Record<string, string>;
  /** Pods worked on at once. Default 4. */
  workers?: number;
  /** Where per-Pod files go (a path that is the same on the host, as Docker mounts it). */
  rootDir?: string;
  /** `--cluster-dns`: with `rootDir`, Pods get a resolv.conf naming these (dnsPolicy ClusterFirst). */
  clusterDNS?: string[];
  /** `--cluster-domain`. Default cluster.local. */
  clusterDomain?: string;
  /** `--resolv-conf`: the node resolver configuration Pods build on. Default /etc/resolv.conf. */
  resolvConf?: string;
  /** Ranges every Pod routes through this node's address (the Service CIDR, where kube-proxy's rules are). */
  podRoutes?: string[];
}

export interface RunningKubelet {
  nodeName: string;
  /** The node server's port. */
  port: number;
  /** Pod syncs finished, of every Pod or of one UID (tests wait on this instead of sleeping). */
  podSyncs(uid?: string): number;
  stop(): Promise<void>;
}

/** The first non-internal IPv4 address of this machine, preferring one inside `cidr`. */
export function guessNodeIP(subnets: string[]): string | undefined {
  const addrs = Object.values(networkInterfaces())
    .flat()
    .filter((a) => a && a.family === 'IPv4' && !a.internal)
    .map((a) => a!.address);
  return addrs.find((a) => subnets.some((s) => cidrContains(s, a))) ?? addrs[0];
}

function sameSpecAndMeta(a: Pod, b: Pod): boolean {
  const meta = (p: Pod) => {
    const { resourceVersion: _r, managedFields: _m, ...rest } = p.metadata ?? {};
    return rest;
  };
  return isDeepStrictEqual(a.spec, b.spec) && isDeepStrictEqual(meta(a), meta(b));
}

export async function startKubelet(o: KubeletOptions): Promise<RunningKubelet> {
  const log = (o.logger ?? pino({ level: 'info' })).child({ component: 'kubelet', node: o.nodeName });
  const clock = o.clock ?? realClock;
  const runtime = o.runtime ?? new DockerRuntime();
  const podNetwork = o.podNetwork ?? 'minik8s-pods';
  const infraImage = o.infraImage ?? DEFAULT_INFRA_IMAGE;
  const stopper = new AbortController();
  const client = o.client;

  // Docker first: without it there is nothing to run Pods on. Retry, never crash.
  let info: RuntimeInfo | undefined;
  let runtimeError: string | undefined;
  for (let attempt = 0; !info; attempt++) {
    try {
      info = await runtime.info();
    } catch (e) {
      runtimeError = (e as Error).message;
      if (attempt === 0 || attempt % 10 === 0) log.error({ err: e }, `cannot reach the Docker daemon (${runtimeError}); retrying`);
      await sleep(clock, Math.min(1000 * 2 ** attempt, 10_000), stopper.signal);
    }
  }
  runtimeError = undefined;
  let nodeIP = o.nodeIP;
  if (!nodeIP) {
    const subnets = await runtime.networkSubnets(podNetwork).catch(() => [] as string[]);
    nodeIP = guessNodeIP(subnets);
  }
  const cfg: NodeConfig = {
    nodeName: o.nodeName,
    podCidr: o.podCidr,
    nodeIP,
    port: o.port ?? 10250,
    maxPods: o.maxPods ?? 110,
    cpus: o.cpus,
    memory: o.memory,
  };

  const recorder = new EventRecorder(client, { component: 'kubelet', host: o.nodeName }, { clock, log });
  const event = (pod: Pod, type: 'Normal' | 'Warning', reason: string, message: string, fieldPath?: string) =>
    recorder.event({ ...pod, apiVersion: 'v1', kind: 'Pod' } as never, type, reason, message, fieldPath);
  const queue = new WorkQueue({ name: 'pods', clock });
  const probes = new ProbeManager({ runtime, clock, onChange: (key) => queue.add(key), event });
  const lookup: KeyLookup = async (kind, namespace, name) => {
    try {
      const obj = await client.get<KubeObject & { data?: Record<string, string> }>({
        version: 'v1',
        plural: kind === 'ConfigMap' ? 'configmaps' : 'secrets',
        namespace,
        name,
      });
      const data = obj.data ?? {};
      if (kind === 'Secret') return Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Buffer.from(v, 'base64').toString('utf8')]));
      return data;
    } catch (e) {
      if (isNotFound(e)) return undefined;
      throw e;
    }
  };
  const workers = new PodWorkers({
    nodeName: o.nodeName,
    runtime,
    client,
    event,
    log,
    clock,
    podNetwork,
    podCidr: o.podCidr,
    hostIP: nodeIP,
    infraImage,
    infraCommand: o.infraCommand ?? (infraImage === DEFAULT_INFRA_IMAGE ? ['sleep', 'infinity'] : undefined),
    crashBackoff: new Backoff({ initialMs: o.crashLoopInitialMs ?? 10_000, maxMs: o.crashLoopMaxMs ?? 300_000, clock }),
    images: new ImagePuller(runtime, new Backoff({ initialMs: o.imagePullInitialMs ?? 10_000, maxMs: o.imagePullMaxMs ?? 300_000, clock })),
    probes,
    lookup,
    extraLabels: o.extraLabels ?? {},
    requeue: (key) => queue.add(key),
    resyncMs: o.resyncMs ?? 10_000,
    rootDir: o.rootDir,
    dns: {
      clusterDNS: o.clusterDNS ?? [],
      clusterDomain: o.clusterDomain ?? 'cluster.local',
      host: parseResolvConf(await readFile(o.resolvConf ?? '/etc/resolv.conf', 'utf8').catch(() => '')),
    },
    podRoutes: o.podRoutes?.length && nodeIP ? { cidrs: o.podRoutes, via: nodeIP } : undefined,
  });

  const informerRef: { current?: Informer<Pod & { metadata: { name: string } }> } = {};
  // The node server.
  const server: Server = createNodeServer({
    runtime,
    log,
    tls: o.tls,
    podUid: (namespace, name) => informerRef.current?.get(`${namespace}/${name}`)?.metadata.uid,
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(cfg.port, o.address ?? '0.0.0.0', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  cfg.port = port;

  // The Node, its status and its Lease.
  let node: Node | undefined;
  for (let attempt = 0; !node; attempt++) {
    try {
      node = await registerNode(client, cfg, info);
      log.info({ podCidr: o.podCidr, nodeIP }, 'registered the node');
    } catch (e) {
      log.warn({ err: e }, 'could not register the node; retrying');
      await sleep(clock, Math.min(500 * 2 ** attempt, 10_000), stopper.signal);
    }
  }
  const nodeUid = node.metadata?.uid;
  const loop = (name: string, everyMs: number, fn: () => Promise<void>) => {
    const run = async () => {
      while (!stopper.signal.aborted) {
        try {
          await fn();
        } catch (e) {
          if (!stopper.signal.aborted) log.warn({ err: e }, `${name} failed`);
        }
        await sleep(clock, everyMs, stopper.signal).catch(() => undefined);
      }
    };
    return run();
  };
  const loops: Promise<void>[] = [];
  loops.push(
    loop('node status update', o.nodeStatusMs ?? 10_000, async () => {
      try {
        info = await runtime.info();
        runtimeError = undefined;
      } catch (e) {
        runtimeError = isRuntimeDown(e) ? 'cannot reach the Docker daemon' : (e as Error).message;
      }
      await postNodeStatus(client, cfg, info, runtimeError, clock.now());
    }),
  );
  loops.push(loop('lease renewal', o.leaseMs ?? 10_000, () => renewLease(client, o.nodeName, nodeUid, clock.now())));

  // Pods bound here.
  const informer = new Informer<Pod & { metadata: { name: string } }>(
    client as never,
    { version: 'v1', plural: 'pods' },
    { fieldSelector: `spec.nodeName=${o.nodeName}`, clock, onError: (e) => log.debug({ err: e }, 'pod watch failed') },
  );
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
  informerRef.current = informer;
  informer.start();
  await informer.waitForSync(stopper.signal).catch(() => undefined);
  const podByKey = (key: string) => informer.get(key);
  const liveUids = () => new Set(informer.list().map((p) => p.metadata.uid ?? ''));

  const working = runWorkers(
    queue,
    async (key) => {
      const pod = podByKey(key);
      if (!pod) {
        await workers.cleanupOrphans(liveUids());
        return;
      }
      return workers.sync(pod);
    },
    {
      workers: o.workers ?? 4,
      onError: (key, e) => {
        if (isRuntimeDown(e)) log.warn({ pod: key }, `cannot reach the Docker daemon: ${(e as Error).message}`);
        else log.warn({ pod: key, err: e }, 'pod sync failed');
      },
    },
  );

  // PLEG: notice container changes (exits, removals) and orphans.
  let seen = new Map<string, string>();
  let runtimeDownLogged = false;
  loops.push(
    loop('relist', o.relistMs ?? 1000, async () => {
      let list: Awaited<ReturnType<ContainerRuntime['list']>>;
      try {
        list = await runtime.list({ [LABEL_NODE]: o.nodeName });
        if (runtimeDownLogged) log.info('the Docker daemon is back');
        runtimeDownLogged = false;
      } catch (e) {
        if (!runtimeDownLogged) log.error({ err: e }, `cannot reach the Docker daemon (${(e as Error).message}); retrying`);
        runtimeDownLogged = true;
        return;
      }
      const now = new Map(list.map((c) => [c.id, `${c.state}/${c.labels[LABEL_POD_UID]}`]));
      const changed = new Set<string>();
      for (const [id, s] of now) if (seen.get(id) !== s) changed.add(s.split('/')[1] ?? '');
      for (const [id, s] of seen) if (!now.has(id)) changed.add(s.split('/')[1] ?? '');
      seen = now;
      const live = liveUids();
      let orphans = false;
      for (const uid of changed) {
        const pod = informer.list().find((p) => p.metadata.uid === uid);
        if (pod) queue.add(objectKey(pod));
      }
      for (const s of now.values()) if (!live.has(s.split('/')[1] ?? '')) orphans = true;
      if (orphans) await workers.cleanupOrphans(live);
    }),
  );

  return {
    nodeName: o.nodeName,
    port,
    podSyncs: (uid) => workers.syncs(uid),
    async stop() {
      stopper.abort(new Error('kubelet stopping'));
      await informer.stop();
      queue.shutDown();
      probes.stop();
      await working;
      await Promise.all(loops);
      await recorder.flush();
      await new Promise<void>((r) => server.close(() => r()));
      log.debug('stopped');
    },
  };
}
