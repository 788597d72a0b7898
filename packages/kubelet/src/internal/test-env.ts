/**
 * For integration tests: the busybox image, a Docker network of the test's own (a /24
 * in 10.251.0.0/16), and clean-up of every container and network by a per-run label.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { Pod } from '@minik8s/api';
import { startTestApiServer, type TestApiServer } from '@minik8s/apiserver/testing';
import type { KubeClient, Lease } from '@minik8s/client/kube';
import { type EventuallyOptions, eventually } from '@minik8s/testing';
import Docker from 'dockerode';
import { pino } from 'pino';
import { type RunningKubelet, startKubelet } from '../kubelet.ts';
import { LABEL_CONTAINER_NAME, LABEL_POD_UID, LABEL_TYPE, TYPE_CONTAINER } from '../runtime/labels.ts';

const run = promisify(execFile);
const ROOT = join(dirname(fileURLToPath(import.meta.url)), '../../../..');
export const TEST_LABEL = 'io.minik8s.test-run';

export interface DockerTestEnv {
  docker: Docker;
  runId: string;
  network: string;
  subnet: string;
  labels: Record<string, string>;
  cleanup(): Promise<void>;
}

export async function ensureBusybox(): Promise<void> {
  await run('bash', [join(ROOT, 'deploy/images/busybox.sh')], { timeout: 120_000 });
}

export async function dockerTestEnv(prefix: string): Promise<DockerTestEnv> {
  const docker = new Docker();
  const runId = `${prefix}-${randomBytes(4).toString('hex')}`;
  const labels = { [TEST_LABEL]: runId };
  const network = `minik8s-kubelet-test-${runId}`;
  let subnet = '';
  for (let i = 0; i < 40 && !subnet; i++) {
    const candidate = `10.251.${1 + Math.floor(Math.random() * 250)}.0/24`;
    try {
      await docker.createNetwork({ Name: network, Driver: 'bridge', Labels: labels, IPAM: { Config: [{ Subnet: candidate }] } });
      subnet = candidate;
    } catch (e) {
      if (!/overlap|already/i.test(String((e as Error).message))) throw e;
    }
  }
  if (!subnet) throw new Error('no free /24 in 10.251.0.0/16 for the test network');
  return {
    docker,
    runId,
    network,
    subnet,
    labels,
    async cleanup() {
      const cs = await docker.listContainers({ all: true, filters: { label: [`${TEST_LABEL}=${runId}`] } });
      await Promise.all(
        cs.map((c) =>
          docker
            .getContainer(c.Id)
            .remove({ force: true })
            .catch(() => undefined),
        ),
      );
      await docker
        .getNetwork(network)
        .remove()
        .catch(() => undefined);
    },
  };
}

/** How kubelet tests wait on Docker: longer than eventually()'s default, and gentler on the engine. */
export const ON_DOCKER = { timeoutMs: 20_000, intervalMs: 200 } satisfies EventuallyOptions;

/**
 * An in-process API server, a Docker test network and a kubelet on it (fast back-offs,
 * short resyncs), with the helpers the kubelet's integration tests share.
 */
export interface KubeletTestBed {
  api: TestApiServer;
  client: KubeClient;
  env: DockerTestEnv;
  nodeName: string;
  /** The node's address (the test network's gateway). */
  gateway: string;
  kubelet: RunningKubelet;
  /** Stops the kubelet and starts a new one (adoption). */
  restart(): Promise<void>;
  createPod(name: string, spec: Partial<NonNullable<Pod['spec']>>): Promise<Pod & { metadata: { name: string; uid: string } }>;
  getPod(name: string): Promise<Pod & { metadata: { name: string } }>;
  /** The Pod's app containers as `docker ps -a` lists them (optionally one container name's). */
  appContainers(uid: string, name?: string): Promise<Docker.ContainerInfo[]>;
  /** The kubelet's logs endpoint. */
  logs(pod: string, container: string, query?: string): Promise<string>;
  /**
   * Waits until the kubelet renews its node Lease `times` more times (every 2 s here, as
   * often as it resyncs; it relists every 300 ms): proof that it ran its loops that long.
   */
  leaseRenewals(times: number): Promise<void>;
  close(): Promise<void>;
}

export async function kubeletTestBed(prefix: string): Promise<KubeletTestBed> {
  await ensureBusybox();
  const [api, env] = await Promise.all([startTestApiServer(), dockerTestEnv(prefix)]);
  const { client } = api;
  const nodeName = `node-${env.runId}`;
  const rootDir = mkdtempSync(join(tmpdir(), 'minik8s-kubelet-'));
  const gateway = env.subnet.replace(/\.0\/24$/, '.1');
  const PODS = { version: 'v1', plural: 'pods', namespace: 'default' } as const;
  const LEASES = { group: 'coordination.k8s.io', version: 'v1', plural: 'leases', namespace: 'kube-node-lease' } as const;
  const start = () =>
    startKubelet({
      client,
      nodeName,
      podCidr: env.subnet,
      podNetwork: env.network,
      // The test network's gateway (this host) plays the node: Pods route the Service range through it.
      nodeIP: gateway,
      rootDir,
      clusterDNS: ['10.96.0.10'],
      podRoutes: ['10.96.0.0/16'],
      port: 0,
      address: '127.0.0.1',
      crashLoopInitialMs: 1000,
      crashLoopMaxMs: 4000,
      imagePullInitialMs: 3000,
      relistMs: 300,
      resyncMs: 2000,
      nodeStatusMs: 2000,
      leaseMs: 2000,
      extraLabels: env.labels,
      logger: pino({ level: process.env.KUBELET_TEST_LOG ?? 'silent' }),
    });
  const bed: KubeletTestBed = {
    gateway,
    api,
    client,
    env,
    nodeName,
    kubelet: await start(),
    async restart() {
      await bed.kubelet.stop();
      bed.kubelet = await start();
    },
    createPod: (name, spec) =>
      client.create(PODS, {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name },
        spec: { nodeName, terminationGracePeriodSeconds: 1, containers: [], ...spec },
      } as never),
    getPod: (name) => client.get({ ...PODS, name }),
    async appContainers(uid, name) {
      const cs = await env.docker.listContainers({ all: true, filters: { label: [`${LABEL_POD_UID}=${uid}`] } });
      return cs.filter((c) => c.Labels[LABEL_TYPE] === TYPE_CONTAINER && (!name || c.Labels[LABEL_CONTAINER_NAME] === name));
    },
    async logs(pod, container, query = '') {
      const res = await fetch(`http://127.0.0.1:${bed.kubelet.port}/containerLogs/default/${pod}/${container}${query}`);
      return res.text();
    },
    async leaseRenewals(times) {
      const renewTime = async () => (await client.get<Lease>({ ...LEASES, name: nodeName })).spec?.renewTime;
      const seen = [await renewTime()];
      await eventually(
        async () => {
          const t = await renewTime();
          if (t !== seen.at(-1)) seen.push(t);
          return seen.length > times;
        },
        { ...ON_DOCKER, message: `the kubelet to renew its Lease ${times} times` },
      );
    },
    async close() {
      await bed.kubelet.stop().catch(() => undefined);
      await env.cleanup();
      await api.close();
      rmSync(rootDir, { recursive: true, force: true });
    },
  };
  return bed;
}
