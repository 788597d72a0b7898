/**
 * The kubelet, wired on the component runtime's Manager: wait for Docker, serve :10250,
 * register the Node; then runnables keep its status and Lease fresh, sync the Pods bound
 * to this node in a work queue (one worker per Pod at a time; pod-sync.ts), and relist
 * Docker every second (the PLEG) to notice containers that changed and clean up those
 * of Pods that are gone. `startKubelet` runs it in-process and returns `stop()`.
 */
import { readFile } from 'node:fs/promises';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { networkInterfaces } from 'node:os';
import { type KubeObject, type Node, type Pod, parseResolvConf } from '@minik8s/api';
import { type Clock, EventRecorder, isNotFound, type KubeClient, realClock, sleep, WorkQueue } from '@minik8s/client/kube';
import { Manager, periodic, type Runnable, withComponent } from '@minik8s/client/runtime';
import { ensureStateDir } from '@minik8s/client/state-dir';
import { type Logger, pino } from 'pino';
import { Backoff } from './backoff.ts';
import type { KeyLookup } from './container-config.ts';
import { ImagePuller } from './images.ts';
import { cidrContains } from './internal/ip.ts';
import { type NodeConfig, postNodeStatus, registerNode, renewLease } from './node-status.ts';
import { type BoundPod, PodSync, pleg } from './pod-sync.ts';
import { PodWorkers } from './pod-worker.ts';
import { ProbeManager } from './probes.ts';
import { DockerRuntime } from './runtime/docker.ts';
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
  /** Run a local image of the exact name when its pull fails, with a Warning (not upstream; default off). */
  localImageFallback?: boolean;
  cpus?: string;
  memory?: string;
  maxPods?: number;
  relistMs?: number;
  resyncMs?: number;
  /** `--node-status-update-frequency`. Default 10 s. */
  nodeStatusMs?: number;
  /** `--node-lease-duration-seconds` (nodeLeaseDurationSeconds). Default 40. */
  leaseDurationSeconds?: number;
  /** How often the Lease is renewed. Default a quarter of its duration (upstream's renew interval). */
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
  manager: Manager;
  /** Pod syncs finished, of every Pod or of one UID (tests wait on this instead of sleeping). */
  podSyncs(uid?: string): number;
  /** Rejects if a runnable fails. */
  done: Promise<void>;
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

export async function startKubelet(o: KubeletOptions): Promise<RunningKubelet> {
  const log = withComponent(o.logger ?? pino({ level: 'info' }), 'kubelet').child({ node: o.nodeName });
  const clock = o.clock ?? realClock;
  const runtime = o.runtime ?? new DockerRuntime();
  const client = o.client;
  const manager = new Manager({ client, log, clock, informers: { onError: (e) => log.debug({ err: e }, 'pod watch failed') } });
  // Pods bound here: the informer exists before anything that reads it.
  const pods = manager.informer<BoundPod>({ version: 'v1', plural: 'pods' }, { fieldSelector: `spec.nodeName=${o.nodeName}` });

  const docker = await waitForRuntime(runtime, log, clock);
  const nodeIP = o.nodeIP ?? guessNodeIP(await runtime.networkSubnets(o.podNetwork ?? 'minik8s-pods').catch(() => [] as string[]));
  const server = createNodeServer({
    runtime,
    log,
    tls: o.tls,
    podUid: (namespace, name) => pods.get(`${namespace}/${name}`)?.metadata.uid,
    probe: (path) => manager.probe(path),
  });
  const port = await listen(server, o.port ?? 10250, o.address ?? '0.0.0.0');
  const cfg: NodeConfig = { nodeName: o.nodeName, podCidr: o.podCidr, nodeIP, port, maxPods: o.maxPods ?? 110, cpus: o.cpus, memory: o.memory };
  const node = await register(client, cfg, docker.info, log, clock);

  const recorder = new EventRecorder(client, { component: 'kubelet', host: o.nodeName }, { clock, log });
  const leaseSeconds = o.leaseDurationSeconds ?? 40;
  const queue = new WorkQueue({ name: 'pods', clock });
  const event = (pod: Pod, type: 'Normal' | 'Warning', reason: string, message: string, fieldPath?: string) =>
    recorder.event({ ...pod, apiVersion: 'v1', kind: 'Pod' } as never, type, reason, message, fieldPath);
  const probes = new ProbeManager({ runtime, clock, onChange: (key) => queue.add(key), event });
  const podWorkers = await newPodWorkers(o, { runtime, log, clock, nodeIP, probes, event, requeue: (key) => queue.add(key) });
  const podSync = new PodSync({ informer: pods, queue, podWorkers, probes, log, workers: o.workers ?? 4 });

  manager
    .add(closing('node-server', () => new Promise<void>((r) => server.close(() => r()))))
    .add(closing('events', () => recorder.flush()))
    .add(
      periodic('node status update', o.nodeStatusMs ?? 10_000, async () => postNodeStatus(client, cfg, ...(await docker.refresh()), clock.now()), {
        log,
        clock,
      }),
    )
    .add(
      periodic('lease renewal', o.leaseMs ?? leaseSeconds * 250, () => renewLease(client, o.nodeName, node.metadata?.uid, clock.now(), leaseSeconds), {
        log,
        clock,
      }),
    )
    .add(podSync)
    .add(pleg({ runtime, nodeName: o.nodeName, podSync, informer: pods, queue, everyMs: o.relistMs ?? 1000, log, clock }))
    .start();
  await manager.waitForCacheSync().catch(() => undefined);
  return { nodeName: o.nodeName, port, manager, podSyncs: (uid) => podWorkers.syncs(uid), done: manager.done, stop: () => manager.stop() };
}

/** A runnable that only does something when stopped (last, being added first). */
function closing(name: string, close: () => Promise<void>): Runnable {
  return {
    name,
    async run(signal) {
      await new Promise<void>((r) => signal.addEventListener('abort', () => r(), { once: true }));
      await close();
    },
  };
}

/** Docker first: without it there is nothing to run Pods on. Retry, never crash. */
async function waitForRuntime(runtime: ContainerRuntime, log: Logger, clock: Clock) {
  let info: RuntimeInfo | undefined;
  for (let attempt = 0; !info; attempt++) {
    try {
      info = await runtime.info();
    } catch (e) {
      if (attempt === 0 || attempt % 10 === 0) log.error({ err: e }, `cannot reach the Docker daemon (${(e as Error).message}); retrying`);
      await sleep(clock, Math.min(1000 * 2 ** attempt, 10_000));
    }
  }
  const docker = {
    info,
    /** The runtime's info now (or the last known) and what is wrong with it, for the node status. */
    async refresh(): Promise<[RuntimeInfo, string | undefined]> {
      try {
        docker.info = await runtime.info();
        return [docker.info, undefined];
      } catch (e) {
        return [docker.info, isRuntimeDown(e) ? 'cannot reach the Docker daemon' : (e as Error).message];
      }
    },
  };
  return docker;
}

async function listen(server: Server, port: number, address: string): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, address, () => resolve());
  });
  return (server.address() as AddressInfo).port;
}

/** Registers the Node, retrying until the API server takes it. */
async function register(client: KubeClient, cfg: NodeConfig, info: RuntimeInfo, log: Logger, clock: Clock): Promise<Node> {
  for (let attempt = 0; ; attempt++) {
    try {
      const node = await registerNode(client, cfg, info);
      log.info({ podCidr: cfg.podCidr, nodeIP: cfg.nodeIP }, 'registered the node');
      return node;
    } catch (e) {
      log.warn({ err: e }, 'could not register the node; retrying');
      await sleep(clock, Math.min(500 * 2 ** attempt, 10_000));
    }
  }
}

interface PodWorkerWiring {
  runtime: ContainerRuntime;
  log: Logger;
  clock: Clock;
  nodeIP: string | undefined;
  probes: ProbeManager;
  event: (pod: Pod, type: 'Normal' | 'Warning', reason: string, message: string, fieldPath?: string) => void;
  requeue: (key: string) => void;
}

async function newPodWorkers(o: KubeletOptions, w: PodWorkerWiring): Promise<PodWorkers> {
  // The node's Pod files are private to the kubelet, as every state directory (0700).
  if (o.rootDir) ensureStateDir(o.rootDir);
  const infraImage = o.infraImage ?? DEFAULT_INFRA_IMAGE;
  const { clock, runtime, nodeIP } = w;
  return new PodWorkers({
    ...w,
    nodeName: o.nodeName,
    client: o.client,
    podNetwork: o.podNetwork ?? 'minik8s-pods',
    podCidr: o.podCidr,
    hostIP: nodeIP,
    infraImage,
    infraCommand: o.infraCommand ?? (infraImage === DEFAULT_INFRA_IMAGE ? ['sleep', 'infinity'] : undefined),
    crashBackoff: new Backoff({ initialMs: o.crashLoopInitialMs ?? 10_000, maxMs: o.crashLoopMaxMs ?? 300_000, clock }),
    images: new ImagePuller(
      runtime,
      new Backoff({ initialMs: o.imagePullInitialMs ?? 10_000, maxMs: o.imagePullMaxMs ?? 300_000, clock }),
      o.localImageFallback,
    ),
    lookup: keyLookup(o.client),
    extraLabels: o.extraLabels ?? {},
    resyncMs: o.resyncMs ?? 10_000,
    rootDir: o.rootDir,
    dns: {
      clusterDNS: o.clusterDNS ?? [],
      clusterDomain: o.clusterDomain ?? 'cluster.local',
      host: parseResolvConf(await readFile(o.resolvConf ?? '/etc/resolv.conf', 'utf8').catch(() => '')),
    },
    podRoutes: o.podRoutes?.length && nodeIP ? { cidrs: o.podRoutes, via: nodeIP } : undefined,
  });
}

/** ConfigMap and Secret keys for env and volumes (Secret values decoded). */
function keyLookup(client: KubeClient): KeyLookup {
  return async (kind, namespace, name) => {
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
}
