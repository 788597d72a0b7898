/**
 * `pnpm bench:pods`: Pods on the compose cluster, each figure next to what this machine's
 * Docker does on its own in the same run, so the ratios hold on a slower machine.
 *   (c) cluster start: `pnpm cluster up --no-build` (images present) until the nodes are
 *       Ready, next to `compose up -d` of the same compose file (no readiness wait);
 *   (d) Docker's rate for Pod-shaped pairs (a sandbox on the pod network and a container
 *       joined to its network namespace, as the kubelet makes them): 30 pairs started in
 *       parallel; their throughput (30 / time) is the most this Docker starts per second;
 *   (a) Pod startup at a steady churn of half that rate for 60 s (each Pod deleted 20 s
 *       after it was created), each timed from its create request to Running and Ready as
 *       seen through a watch (upstream's SLO counts from creationTimestamp, which has
 *       whole-second resolution; the create request comes just before it), next to the
 *       same pairs started by this script at the same rate with the same lifetime;
 *   (b) a burst: a 30-replica Deployment to all Ready, next to the 30 pairs of (d) and to
 *       30 plain busybox containers in parallel.
 * Prints a table, then one JSON line last. Every loop is bounded in count and time; all
 * traffic goes to 127.0.0.1 and the cluster's own containers.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { KubeClient } from '@minik8s/client/kube';
import { must as mustRun, run } from '@minik8s/deploy';
import { BUSYBOX, DockerPeer, log, must, now, paced, ROOT, sleep } from './docker-peer.ts';

const STATE = process.env.MINIK8S_STATE ?? '/var/lib/minik8s';
const IMAGE = process.env.MINIK8S_IMAGE ?? 'minik8s/minik8s:dev';
const NS = 'bench-pods';
const CHURN_SECONDS = Number(process.env.BENCH_CHURN_SECONDS ?? 60);
/** At least this many Pods in a churn, however slow the machine, so p99 means something. */
const CHURN_MIN = 30;
/** How long a churned Pod (or pair) lives before it is deleted: the nodes hold rate x this. */
const LIFETIME_SECONDS = 20;
const BURST = 30;
/** Targets, as ratios to this machine's Docker measured in the same run. */
const STARTUP_RATIO_TARGET = 2;
const BURST_RATIO_TARGET = 1.25;

interface PodLike {
  metadata: { name?: string; labels?: Record<string, string>; deletionTimestamp?: string; [k: string]: unknown };
  spec?: { nodeName?: string; [k: string]: unknown };
  status?: { phase?: string; conditions?: Array<{ type: string; status: string }> };
  [k: string]: unknown;
}

const pct = (xs: number[], q: number) => Float64Array.from(xs).sort()[Math.min(xs.length - 1, Math.floor(xs.length * q))] ?? 0;

const cluster = (args: string[]) => must(join(ROOT, 'node_modules', '.bin', 'tsx'), [join(ROOT, 'deploy', 'src', 'cluster.ts'), ...args]);
const isReady = (p: PodLike) => p.status?.phase === 'Running' && !!p.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');

/** `docker compose up -d` of the cluster's compose file, as `pnpm cluster up` runs it, without waiting for anything to be Ready. */
async function composeUp(): Promise<void> {
  const v2 = (await run('docker', ['compose', 'version'])).code === 0;
  const [cmd, ...pre] = v2 ? ['docker', 'compose'] : ['docker-compose'];
  const args = [...pre, '-p', 'minik8s', '-f', join(ROOT, 'deploy', 'docker-compose.yml'), 'up', '-d', '--remove-orphans'];
  await mustRun(cmd as string, args, { cwd: ROOT, env: { MINIK8S_STATE: STATE, MINIK8S_IMAGE: IMAGE } });
}

/** When a watch first showed each Pod bound to a node and Running and Ready (performance.now() ms). */
function readyTimes(
  client: KubeClient,
  labelSelector: string,
  signal: AbortSignal,
): { readyAt: Map<string, number>; boundAt: Map<string, number>; done: Promise<void> } {
  const readyAt = new Map<string, number>();
  const boundAt = new Map<string, number>();
  const w = client.watch<PodLike & { metadata: { name: string } }>({ version: 'v1', plural: 'pods', namespace: NS }, { labelSelector, signal });
  const done = (async () => {
    for await (const ev of w) {
      if (ev.type === 'DELETED') continue;
      const name = ev.object.metadata.name;
      if (ev.object.spec?.nodeName && !boundAt.has(name)) boundAt.set(name, now());
      if (isReady(ev.object) && !readyAt.has(name)) readyAt.set(name, now());
    }
  })().catch(() => {});
  return { readyAt, boundAt, done };
}

/** CPU seconds used so far: the whole machine, the cluster's own containers (compose), and dockerd plus containerd. */
interface CpuSnapshot {
  machine: number;
  cluster: number;
  docker: number;
}

const TICK = 100; // USER_HZ

/** Reads /proc and the containers' cpuacct cgroups (cgroup v1, as Docker's cgroupfs driver makes them); NaN where they are not there. */
async function cpuSnapshot(): Promise<CpuSnapshot> {
  const read = (f: string) => {
    try {
      return readFileSync(f, 'utf8');
    } catch {
      return undefined;
    }
  };
  const [, ...ticks] = (read('/proc/stat') ?? '').split('\n')[0]!.trim().split(/\s+/).map(Number);
  const [user = Number.NaN, nice = 0, system = 0, , , irq = 0, softirq = 0, steal = 0] = ticks;
  const machine = (user + nice + system + irq + softirq + steal) / TICK;
  const ids = (await must('docker', ['ps', '-q', '--no-trunc', '--filter', 'label=com.docker.compose.project=minik8s'])).split('\n').filter(Boolean);
  let cluster = 0;
  for (const id of ids) cluster += Number(read(`/sys/fs/cgroup/cpuacct/docker/${id}/cpuacct.usage`) ?? Number.NaN) / 1e9;
  let docker = 0;
  for (const name of ['dockerd', 'containerd']) {
    const pid = (await run('pidof', ['-s', name])).stdout.trim();
    // Fields after the command's closing parenthesis: utime and stime are the 12th and 13th.
    const fields = (read(`/proc/${pid}/stat`) ?? '').split(') ')[1]?.split(' ') ?? [];
    docker += (Number(fields[11]) + Number(fields[12])) / TICK;
  }
  return { machine, cluster, docker };
}

/** CPU seconds between two snapshots, per wall second: cores busy on average. */
const coresBusy = (a: CpuSnapshot, b: CpuSnapshot, seconds: number): CpuSnapshot => ({
  machine: (b.machine - a.machine) / seconds,
  cluster: (b.cluster - a.cluster) / seconds,
  docker: (b.docker - a.docker) / seconds,
});

/** What Docker did for each Pod, by Pod name: wall-clock ms of its sandbox's and its app container's create and start. */
interface PodTrace {
  sandboxCreate?: number;
  sandboxStart?: number;
  /** The end of the first exec in the sandbox: the kubelet's Service route. */
  routeDone?: number;
  appCreate?: number;
  appStart?: number;
}

/** Follows `docker events` for the kubelets' containers, to tell where a Pod's startup time goes. Stop it with `stop()`. */
function traceDocker(): { traces: Map<string, PodTrace>; stop(): void } {
  const traces = new Map<string, PodTrace>();
  const child = spawn('docker', ['events', '--filter', 'label=io.minik8s.node', '--filter', 'type=container', '--format', '{{json .}}'], {
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  createInterface({ input: child.stdout }).on('line', (line) => {
    let ev: { status?: string; timeNano?: number; Actor?: { Attributes?: Record<string, string> } };
    try {
      ev = JSON.parse(line);
    } catch {
      return;
    }
    const a = ev.Actor?.Attributes ?? {};
    const pod = a['io.kubernetes.pod.name'];
    const sandbox = a['io.kubernetes.docker.type'] === 'podsandbox';
    if (pod && sandbox && ev.status?.startsWith('exec_die')) {
      const t = traces.get(pod) ?? {};
      t.routeDone ??= (ev.timeNano ?? 0) / 1e6;
      traces.set(pod, t);
    }
    if (!pod || (ev.status !== 'create' && ev.status !== 'start')) return;
    const t = traces.get(pod) ?? {};
    const key = `${sandbox ? 'sandbox' : 'app'}${ev.status === 'create' ? 'Create' : 'Start'}` as keyof PodTrace;
    t[key] ??= (ev.timeNano ?? 0) / 1e6;
    traces.set(pod, t);
  });
  return { traces, stop: () => void child.kill() };
}

/** `count` Pods created at `perSecond`, each timed to Ready, with Docker's events for them. */
interface ChurnResult {
  /** Startup latency of each Pod in creation order (ms; Infinity for one never Ready). */
  lat: number[];
  /** Where the time went, per Pod that became Ready (ms). */
  phases: Record<'bind' | 'queue' | 'sandbox' | 'route' | 'toApp' | 'app' | 'status', number[]>;
}

async function churn(client: KubeClient, perSecond: number, count: number): Promise<ChurnResult> {
  const ac = new AbortController();
  const { readyAt, boundAt, done } = readyTimes(client, 'bench=churn', ac.signal);
  const docker = traceDocker();
  const created = new Map<string, number>();
  const pods = { version: 'v1', plural: 'pods', namespace: NS } as const;
  try {
    await sleep(300);
    await paced(
      perSecond,
      count,
      LIFETIME_SECONDS,
      async (i) => {
        created.set(`churn-${i}`, now());
        await client.create(pods, {
          apiVersion: 'v1',
          kind: 'Pod',
          metadata: { name: `churn-${i}`, labels: { bench: 'churn' } },
          spec: {
            terminationGracePeriodSeconds: 0,
            containers: [{ name: 'c', image: BUSYBOX, imagePullPolicy: 'IfNotPresent', command: ['sleep', '3600'] }],
          },
        });
      },
      (i) => client.delete({ ...pods, name: `churn-${i}` }, { gracePeriodSeconds: 0 }).then(() => {}),
    );
    const end = now() + 30_000;
    while (readyAt.size < count && now() < end) await sleep(100);
  } finally {
    docker.stop();
  }
  ac.abort();
  await done;
  const lat: number[] = [];
  const phases: ChurnResult['phases'] = { bind: [], queue: [], sandbox: [], route: [], toApp: [], app: [], status: [] };
  const wall = (t: number) => t + performance.timeOrigin;
  for (const [name, t] of created) {
    const r = readyAt.get(name);
    lat.push(r === undefined ? Number.POSITIVE_INFINITY : r - t);
    const d = docker.traces.get(name);
    if (r === undefined || !d?.sandboxCreate || !d.sandboxStart || !d.appCreate || !d.appStart) continue;
    const routeDone = d.routeDone ?? d.sandboxStart;
    const bound = boundAt.get(name) ?? t;
    phases.bind.push(bound - t);
    phases.queue.push(d.sandboxCreate - wall(bound));
    phases.sandbox.push(d.sandboxStart - d.sandboxCreate);
    phases.route.push(routeDone - d.sandboxStart);
    phases.toApp.push(d.appCreate - routeDone);
    phases.app.push(d.appStart - d.appCreate);
    phases.status.push(wall(r) - d.appStart);
  }
  await client.deleteCollection(pods, { labelSelector: 'bench=churn', gracePeriodSeconds: 0 });
  return { lat, phases };
}

async function burst(client: KubeClient): Promise<number> {
  const ac = new AbortController();
  const { readyAt, done } = readyTimes(client, 'bench=burst', ac.signal);
  await sleep(300);
  const t0 = now();
  await client.create(
    { group: 'apps', version: 'v1', plural: 'deployments', namespace: NS },
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'burst' },
      spec: {
        replicas: BURST,
        selector: { matchLabels: { bench: 'burst' } },
        template: {
          metadata: { labels: { bench: 'burst' } },
          spec: {
            terminationGracePeriodSeconds: 0,
            containers: [{ name: 'c', image: BUSYBOX, imagePullPolicy: 'IfNotPresent', command: ['sleep', '3600'] }],
          },
        },
      },
    },
  );
  const end = t0 + 120_000;
  while (readyAt.size < BURST && now() < end) await sleep(50);
  const took = readyAt.size >= BURST ? (Math.max(...readyAt.values()) - t0) / 1000 : Number.POSITIVE_INFINITY;
  ac.abort();
  await done;
  await client.delete({ group: 'apps', version: 'v1', plural: 'deployments', namespace: NS, name: 'burst' });
  return took;
}

const round2 = (x: number) => (Number.isFinite(x) ? Number(x.toFixed(2)) : null);

async function main(): Promise<void> {
  log('building and starting the cluster once (not timed)...');
  await cluster(['up']);
  await cluster(['down']);
  const docker = new DockerPeer();
  let client: KubeClient | undefined;
  try {
    log('compose up -d of the same compose file, no readiness wait...');
    let t = now();
    await composeUp();
    const composeUpS = (now() - t) / 1000;
    await cluster(['up', '--no-build']); // until Ready, so the controllers hand back their Leases on `down`
    await cluster(['down']);
    log('cluster start: up with images present, until both nodes are Ready...');
    t = now();
    await cluster(['up', '--no-build']);
    const clusterStartS = (now() - t) / 1000;

    client = KubeClient.fromKubeconfig({ kubeconfig: join(STATE, 'pki', 'admin.kubeconfig') });
    await client.create({ version: 'v1', plural: 'namespaces' }, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } }).catch(() => {});
    log(`docker run of ${BURST} Pod-shaped pairs (sandbox + container) in parallel...`);
    const dockerPairs30 = await docker.burst(BURST, true);
    const rate = BURST / dockerPairs30 / 2;
    const count = Math.max(CHURN_MIN, Math.round(rate * CHURN_SECONDS));
    await sleep(2000);
    log(`Docker's pairs at ${rate.toFixed(2)}/s (half of ${(2 * rate).toFixed(2)}/s), ${count} of them...`);
    let cpu0 = await cpuSnapshot();
    let t0 = now();
    const pairLat = await docker.churn(rate, count, LIFETIME_SECONDS);
    const pairCpu = coresBusy(cpu0, await cpuSnapshot(), (now() - t0) / 1000);
    await sleep(5000);
    log(`pod startup at ${rate.toFixed(2)}/s, ${count} Pods...`);
    cpu0 = await cpuSnapshot();
    t0 = now();
    const { lat, phases } = await churn(client, rate, count);
    const podCpu = coresBusy(cpu0, await cpuSnapshot(), (now() - t0) / 1000);
    await sleep(5000);
    log(`burst of ${BURST} replicas...`);
    const burst30 = await burst(client);
    await sleep(5000);
    log(`docker run of ${BURST} containers in parallel...`);
    const docker30 = await docker.burst(BURST, false);
    await client.delete({ version: 'v1', plural: 'namespaces', name: NS }).catch(() => {});
    // Let the kubelets finish removing the Pods before `down` stops them: a sandbox still
    // being torn down when compose removes the network can leave Docker with a stale
    // endpoint on it (the network then cannot be removed).
    const end = now() + 60_000;
    while (now() < end) {
      const left = await client.list({ version: 'v1', plural: 'pods', namespace: NS }).catch(() => undefined);
      if (left && left.items.length === 0) break;
      await sleep(500);
    }

    const finite = lat.filter(Number.isFinite);
    const p99 = finite.length === lat.length ? pct(lat, 0.99) : Number.POSITIVE_INFINITY;
    const pairP50 = pct(pairLat, 0.5);
    const pairP99 = pct(pairLat, 0.99);
    const startupRatio = p99 / pairP99;
    /** p50 of the first and of the last third (in start order): it grows when work queues up. */
    const thirds = (xs: number[]) => {
      const n = Math.floor(xs.length / 3);
      return `${pct(xs.slice(0, n), 0.5).toFixed(0)} / ${pct(xs.slice(xs.length - n), 0.5).toFixed(0)}`;
    };
    const cpuCell = (c: CpuSnapshot) => [c.machine, c.cluster, c.docker].map((x) => x.toFixed(2)).join(' / ');
    const phaseCell = (k: keyof typeof phases) => `${pct(phases[k], 0.5).toFixed(0)} / ${pct(phases[k], 0.99).toFixed(0)}`;
    const burstRatio = burst30 / dockerPairs30;
    const rows: Array<[string, string, string]> = [
      ['churn (Pods/s, half Docker pairs)', rate.toFixed(2), `${count} Pods`],
      ['pod startup p50 (ms)', pct(finite, 0.5).toFixed(0), ''],
      ['pod startup p99 (ms)', p99.toFixed(0), ''],
      ['pods never Ready', String(lat.length - finite.length), '0'],
      ['  p50, first / last third of the Pods', thirds(lat), 'grows if Pods queue'],
      ['  request -> bound (seen by watch)', phaseCell('bind'), 'p50 / p99: API server, scheduler'],
      ['  bound -> sandbox created', phaseCell('queue'), 'kubelet: watch, queue, list, address, create call'],
      ['  sandbox created -> started', phaseCell('sandbox'), 'Docker'],
      ['  sandbox started -> route set', phaseCell('route'), 'docker exec ip route'],
      ['  route set -> app created', phaseCell('toApp'), 'inspect, image, create call'],
      ['  app created -> app started', phaseCell('app'), 'Docker'],
      ['  app started -> Ready seen', phaseCell('status'), 'status write, watch'],
      ['docker pair p50 (ms), same rate', pairP50.toFixed(0), ''],
      ['docker pair p99 (ms), same rate', pairP99.toFixed(0), ''],
      ['  p50, first / last third of the pairs', thirds(pairLat), ''],
      ['startup ratio (pod p99 / pair p99)', startupRatio.toFixed(2), `<= ${STARTUP_RATIO_TARGET}`],
      ['cores busy, pair churn', cpuCell(pairCpu), 'machine / cluster containers / dockerd+containerd'],
      ['cores busy, Pod churn', cpuCell(podCpu), 'machine / cluster containers / dockerd+containerd'],
      [`burst of ${BURST} to all Ready (s)`, burst30.toFixed(2), ''],
      [`docker run x${BURST} Pod-shaped pairs (s)`, dockerPairs30.toFixed(2), ''],
      ['burst ratio (burst / pairs)', burstRatio.toFixed(2), `<= ${BURST_RATIO_TARGET}`],
      [`docker run x${BURST} in parallel (s)`, docker30.toFixed(2), ''],
      ['cluster start (s)', clusterStartS.toFixed(2), ''],
      ['compose up -d, no wait (s)', composeUpS.toFixed(2), `start - compose = ${(clusterStartS - composeUpS).toFixed(2)} s`],
    ];
    for (const [k, v, target] of rows) process.stdout.write(`${k.padEnd(38)} ${v.padStart(8)}   ${target}\n`);
    process.stdout.write(
      `${JSON.stringify({
        churn_pods_per_s: round2(rate),
        pod_startup_p50_ms: Math.round(pct(finite, 0.5)),
        pod_startup_p99_ms: Number.isFinite(p99) ? Math.round(p99) : null,
        pods_never_ready: lat.length - finite.length,
        pod_phases_p50_ms: Object.fromEntries(Object.entries(phases).map(([k, xs]) => [k, Math.round(pct(xs, 0.5))])),
        docker_pair_p50_ms: Math.round(pairP50),
        docker_pair_p99_ms: Math.round(pairP99),
        startup_ratio: round2(startupRatio),
        cores_busy_pair_churn: { machine: round2(pairCpu.machine), cluster: round2(pairCpu.cluster), docker: round2(pairCpu.docker) },
        cores_busy_pod_churn: { machine: round2(podCpu.machine), cluster: round2(podCpu.cluster), docker: round2(podCpu.docker) },
        burst30_s: round2(burst30),
        docker_burst30_s: round2(docker30),
        docker_pairs30_s: round2(dockerPairs30),
        burst_ratio: round2(burstRatio),
        cluster_start_s: round2(clusterStartS),
        compose_up_s: round2(composeUpS),
      })}\n`,
    );
  } finally {
    await client?.close();
    await docker.removeAll();
    // Leave the machine as the bench found it: the cluster stopped (its objects kept).
    await cluster(['down']);
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`${e instanceof Error ? e.stack : String(e)}\n`);
  process.exit(1);
});
