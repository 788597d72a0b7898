/**
 * `pnpm bench:pods`: Pods on the compose cluster, next to Docker's own limits.
 *   (c) cluster start: `pnpm cluster up` (images present) until both nodes are Ready;
 *   (a) Pod startup latency at a steady churn: 2 Pods per second for 60 s, each timed
 *       from its create request to Running and Ready as seen through a watch (upstream's
 *       SLO counts from creationTimestamp, which has whole-second resolution; the create
 *       request comes just before it);
 *   (b) a burst: a 30-replica Deployment applied and timed to all Ready, next to the
 *       same machine's Docker running 30 busybox containers in parallel, and 30
 *       Pod-shaped pairs (a sandbox and a container in its namespace) in parallel.
 * Prints a table, then one JSON line last. Every loop is bounded in count and time; all
 * traffic goes to 127.0.0.1 and the cluster's own containers.
 */
import { join } from 'node:path';
import { KubeClient } from '@minik8s/client/kube';
import { must as mustRun } from '@minik8s/deploy';

const ROOT = join(import.meta.dirname, '..');
const STATE = process.env.MINIK8S_STATE ?? '/var/lib/minik8s';
const NS = 'bench-pods';
const CHURN_SECONDS = Number(process.env.BENCH_CHURN_SECONDS ?? 60);
const CHURN_PER_SECOND = 2;
const BURST = 30;

interface PodLike {
  metadata: { name?: string; labels?: Record<string, string>; deletionTimestamp?: string; [k: string]: unknown };
  status?: { phase?: string; conditions?: Array<{ type: string; status: string }> };
  [k: string]: unknown;
}

const now = () => performance.now();
const pct = (xs: number[], q: number) => Float64Array.from(xs).sort()[Math.min(xs.length - 1, Math.floor(xs.length * q))] ?? 0;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const must = async (cmd: string, args: string[]): Promise<string> => {
  const r = await mustRun(cmd, args, { cwd: ROOT });
  return r.stdout + r.stderr;
};

const cluster = (args: string[]) => must(join(ROOT, 'node_modules', '.bin', 'tsx'), [join(ROOT, 'deploy', 'src', 'cluster.ts'), ...args]);
const isReady = (p: PodLike) => p.status?.phase === 'Running' && !!p.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');

/** Times from `started[name]` to the first watch event showing the Pod Running and Ready. */
function readyTimes(client: KubeClient, labelSelector: string, signal: AbortSignal): { readyAt: Map<string, number>; done: Promise<void> } {
  const readyAt = new Map<string, number>();
  const w = client.watch<PodLike & { metadata: { name: string } }>({ version: 'v1', plural: 'pods', namespace: NS }, { labelSelector, signal });
  const done = (async () => {
    for await (const ev of w) {
      if (ev.type !== 'DELETED' && isReady(ev.object) && !readyAt.has(ev.object.metadata.name)) readyAt.set(ev.object.metadata.name, now());
    }
  })().catch(() => {});
  return { readyAt, done };
}

async function churn(client: KubeClient): Promise<number[]> {
  const ac = new AbortController();
  const { readyAt, done } = readyTimes(client, 'bench=churn', ac.signal);
  await sleep(300);
  const created = new Map<string, number>();
  const total = CHURN_SECONDS * CHURN_PER_SECOND;
  const t0 = now();
  for (let i = 0; i < total; i++) {
    const due = t0 + (i * 1000) / CHURN_PER_SECOND;
    if (due > now()) await sleep(due - now());
    const name = `churn-${i}`;
    created.set(name, now());
    void client
      .create(
        { version: 'v1', plural: 'pods', namespace: NS },
        {
          apiVersion: 'v1',
          kind: 'Pod',
          metadata: { name, labels: { bench: 'churn' } },
          spec: {
            terminationGracePeriodSeconds: 0,
            containers: [{ name: 'c', image: 'minik8s/busybox:latest', imagePullPolicy: 'IfNotPresent', command: ['sleep', '3600'] }],
          },
        },
      )
      .catch((e: unknown) => process.stderr.write(`create ${name}: ${String(e)}\n`));
    // Keep the node population steady: delete the Pod created 20 s ago.
    if (i >= 40) void client.delete({ version: 'v1', plural: 'pods', namespace: NS, name: `churn-${i - 40}` }, { gracePeriodSeconds: 0 }).catch(() => {});
  }
  const end = now() + 30_000;
  while (readyAt.size < total && now() < end) await sleep(100);
  ac.abort();
  await done;
  const lat: number[] = [];
  for (const [name, t] of created) {
    const r = readyAt.get(name);
    lat.push(r === undefined ? Number.POSITIVE_INFINITY : r - t);
  }
  await client.deleteCollection({ version: 'v1', plural: 'pods', namespace: NS }, { labelSelector: 'bench=churn', gracePeriodSeconds: 0 });
  return lat;
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
            containers: [{ name: 'c', image: 'minik8s/busybox:latest', imagePullPolicy: 'IfNotPresent', command: ['sleep', '3600'] }],
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

/**
 * `docker run` of BURST busybox containers in parallel; with `pairs`, each one Pod-shaped
 * as the kubelet makes it: a sandbox with its own address on the pod network (from
 * 10.244.200.0/24, which no node hands out) and a container joined to its namespace.
 */
async function dockerBurst(pairs = false): Promise<number> {
  const label = `minik8s-bench=${process.pid}`;
  const runOne = (args: string[]) => must('docker', ['run', '-d', '--label', label, ...args, 'minik8s/busybox:latest', 'sleep', '3600']);
  const t0 = now();
  await Promise.all(
    Array.from({ length: BURST }, async (_, i) => {
      if (!pairs) return runOne([]);
      const sandbox = (await runOne(['--network', 'minik8s-pods', '--ip', `10.244.200.${i + 2}`])).trim();
      return runOne(['--network', `container:${sandbox}`]);
    }),
  );
  const took = (now() - t0) / 1000;
  const ids = (await must('docker', ['ps', '-aq', '--filter', `label=${label}`])).split('\n').filter(Boolean);
  if (ids.length) await must('docker', ['rm', '-f', ...ids]);
  return took;
}

async function main(): Promise<void> {
  process.stderr.write('building and starting the cluster once (not timed)...\n');
  await cluster(['up']);
  await cluster(['down']);
  process.stderr.write('cluster start: up with images present, until both nodes are Ready...\n');
  let t = now();
  await cluster(['up', '--no-build']);
  const clusterStart = (now() - t) / 1000;

  const client = KubeClient.fromKubeconfig({ kubeconfig: join(STATE, 'pki', 'admin.kubeconfig') });
  try {
    await client.create({ version: 'v1', plural: 'namespaces' }, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } }).catch(() => {});
    process.stderr.write(`pod startup at ${CHURN_PER_SECOND}/s for ${CHURN_SECONDS} s...\n`);
    const lat = await churn(client);
    await sleep(5000);
    process.stderr.write(`burst of ${BURST} replicas...\n`);
    t = now();
    const burst30 = await burst(client);
    await sleep(5000);
    process.stderr.write(`docker run of ${BURST} containers in parallel...\n`);
    const docker30 = await dockerBurst();
    await sleep(2000);
    process.stderr.write(`docker run of ${BURST} Pod-shaped pairs (sandbox + container) in parallel...\n`);
    const dockerPairs30 = await dockerBurst(true);
    await client.delete({ version: 'v1', plural: 'namespaces', name: NS }).catch(() => {});

    const finite = lat.filter(Number.isFinite);
    const rows: Array<[string, string, string]> = [
      ['pod startup p50 (ms)', pct(finite, 0.5).toFixed(0), ''],
      ['pod startup p99 (ms)', (finite.length === lat.length ? pct(lat, 0.99) : Number.POSITIVE_INFINITY).toFixed(0), '<= 2000'],
      ['pods never Ready', String(lat.length - finite.length), '0'],
      [`burst of ${BURST} to all Ready (s)`, burst30.toFixed(2), `<= ${(docker30 * 1.5).toFixed(2)} (1.5x docker)`],
      [`docker run x${BURST} in parallel (s)`, docker30.toFixed(2), ''],
      [`docker run x${BURST} Pod-shaped pairs (s)`, dockerPairs30.toFixed(2), `burst / pairs = ${(burst30 / dockerPairs30).toFixed(2)}`],
      ['cluster start (s)', clusterStart.toFixed(2), '<= 10'],
    ];
    for (const [k, v, target] of rows) process.stdout.write(`${k.padEnd(36)} ${v.padStart(8)}   ${target}\n`);
    process.stdout.write(
      `${JSON.stringify({
        pod_startup_p50_ms: Math.round(pct(finite, 0.5)),
        pod_startup_p99_ms: finite.length === lat.length ? Math.round(pct(lat, 0.99)) : null,
        burst30_s: Number(burst30.toFixed(2)),
        docker_burst30_s: Number(docker30.toFixed(2)),
        docker_pairs30_s: Number(dockerPairs30.toFixed(2)),
        cluster_start_s: Number(clusterStart.toFixed(2)),
      })}\n`,
    );
  } finally {
    await client.close();
    // Leave the machine as the bench found it: the cluster stopped (its objects kept).
    await cluster(['down']);
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`${e instanceof Error ? e.stack : String(e)}\n`);
  process.exit(1);
});
