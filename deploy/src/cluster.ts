/**
 * `pnpm cluster up|down|status|reset`: the local cluster around docker compose.
 *
 * `up` builds what is missing (the workspace bundles, the base image offline, the
 * cluster image, the Pod sandbox image), starts compose, waits until the API answers
 * and every node is Ready, and prints how to use mkctl and kubectl. Each step prints
 * its progress and time; a second `up` with nothing changed only starts compose.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { KubeClient, type KubeObject } from '@minik8s/client/kube';
import { parse, stringify } from 'yaml';
import { must, type Run, run } from './process.ts';
import { COMPONENT_PACKAGES, stage } from './stage.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const COMPOSE_FILE = join(ROOT, 'deploy', 'docker-compose.yml');
const PROJECT = 'minik8s';
export const IMAGE = process.env.MINIK8S_IMAGE ?? 'minik8s/minik8s:dev';
export const STATE = process.env.MINIK8S_STATE ?? '/var/lib/minik8s';
const ONLINE_BASE = 'node:20-bookworm-slim';
const OFFLINE_BASE = 'minik8s/node-base:20';
const NODES = ['node-1', 'node-2'];

let stepNo = 0;
async function step<T>(title: string, f: () => Promise<T>): Promise<T> {
  stepNo++;
  const t0 = Date.now();
  process.stdout.write(`[${stepNo}] ${title}...\n`);
  const r = await f();
  process.stdout.write(`    done in ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
  return r;
}

/** `docker compose` (v2) if the plugin is there, else `docker-compose` (v1.29). */
export async function composeCommand(): Promise<string[]> {
  if ((await run('docker', ['compose', 'version'])).code === 0) return ['docker', 'compose'];
  if ((await run('docker-compose', ['version']).catch(() => ({ code: 1 }))).code === 0) return ['docker-compose'];
  throw new Error('neither `docker compose` nor `docker-compose` is installed');
}

export async function compose(args: string[], o: { show?: boolean } = {}): Promise<Run> {
  const [cmd, ...pre] = await composeCommand();
  return must(cmd as string, [...pre, '-p', PROJECT, '-f', COMPOSE_FILE, ...args], { ...o, env: { MINIK8S_STATE: STATE, MINIK8S_IMAGE: IMAGE } });
}

/** The cluster's containers that are running. */
async function composeRunning(): Promise<string[]> {
  return (await must('docker', ['ps', '-q', '--filter', `label=com.docker.compose.project=${PROJECT}`])).stdout.split('\n').filter(Boolean);
}

const imageExists = async (tag: string) => (await run('docker', ['image', 'inspect', tag])).code === 0;

/** A digest of what goes into the cluster image: rebuilt when it changes. */
function buildDigest(): string {
  const h = createHash('sha256');
  for (const f of [
    join(ROOT, 'deploy', 'Dockerfile'),
    join(ROOT, 'pnpm-lock.yaml'),
    join(ROOT, 'deploy', 'dist', 'minik8s.js'),
    ...Object.values(COMPONENT_PACKAGES).map((p) => join(ROOT, p, 'dist', 'cli.js')),
  ]) {
    h.update(f);
    h.update(readFileSync(f));
  }
  return h.digest('hex').slice(0, 16);
}

/** Builds what is missing; true if the cluster image was (re)built. */
export async function ensureImages(): Promise<boolean> {
  await step('building the workspace bundles (turbo)', () => must('pnpm', ['--dir', ROOT, 'build']));
  await step('Pod sandbox and test image minik8s/busybox (from busybox-static)', () =>
    must('bash', [join(ROOT, 'deploy', 'images', 'busybox.sh')], { show: true }),
  );
  let base = ONLINE_BASE;
  if (!(await imageExists(ONLINE_BASE))) {
    base = OFFLINE_BASE;
    if (!(await imageExists(OFFLINE_BASE))) {
      await step(`no ${ONLINE_BASE} here: building ${OFFLINE_BASE} offline (debootstrap, about 35 s)`, () =>
        must('bash', [join(ROOT, 'deploy', 'images', 'node-base.sh'), OFFLINE_BASE], { show: true }),
      );
    }
  }
  const digest = buildDigest();
  const current = await run('docker', ['image', 'inspect', '-f', '{{ index .Config.Labels "io.minik8s.build" }}', IMAGE]);
  if (current.code === 0 && current.stdout.trim() === digest) return false;
  await step(`building ${IMAGE} from ${base}`, async () => {
    const dir = join(ROOT, 'deploy', '.build', 'image');
    const s = stage(ROOT, dir);
    process.stdout.write(`    staged ${s.components.length} components and ${s.packages} npm packages\n`);
    await must('docker', [
      'build',
      '-q',
      '-t',
      IMAGE,
      '--label',
      `io.minik8s.build=${digest}`,
      '--build-arg',
      `BASE=${base}`,
      '-f',
      join(ROOT, 'deploy', 'Dockerfile'),
      dir,
    ]);
  });
  return true;
}

function adminKubeconfig(): string {
  return join(STATE, 'pki', 'admin.kubeconfig');
}

/** Waits for the API server, for every node to be Ready, for the controllers to lead and the cluster DNS to publish itself. */
export async function waitReady(timeoutMs = 120_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!existsSync(adminKubeconfig())) {
    if (Date.now() > end) throw new Error(`no ${adminKubeconfig()} after ${timeoutMs / 1000} s: see \`docker logs minik8s-bootstrap\``);
    await sleep(100);
  }
  const client = KubeClient.fromKubeconfig({ kubeconfig: adminKubeconfig() }, { requestTimeoutMs: 5000 });
  try {
    await waitUntil(end, `the nodes were not Ready after ${timeoutMs / 1000} s: see \`docker logs minik8s-node-1\``, async () => {
      const nodes = await client.list<{ metadata: { name?: string }; status?: { conditions?: Array<{ type: string; status: string }> } }>({
        version: 'v1',
        plural: 'nodes',
      });
      const ready = nodes.items.filter((n) => n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')).map((n) => n.metadata.name);
      return { line: `nodes Ready: ${ready.length}/${NODES.length}`, done: NODES.every((n) => ready.includes(n)) };
    });
    // The scheduler and controller-manager of this `up` lead when their Leases name the
    // running containers (identity `<hostname>_<uuid>`). Until then a Pod would sit
    // unscheduled; after an unclean stop that lasts one lease duration (15 s).
    const components = ['scheduler', 'controller-manager'];
    const hostnames = new Map<string, string>();
    for (const c of components) hostnames.set(c, (await must('docker', ['inspect', '-f', '{{.Config.Hostname}}', `minik8s-${c}`])).stdout.trim());
    await waitUntil(end, 'the scheduler and controller-manager did not take their leader Leases: see `docker logs minik8s-scheduler`', async () => {
      const leading: string[] = [];
      for (const c of components) {
        const lease = await client
          .get<KubeObject & { spec?: { holderIdentity?: string } }>({
            group: 'coordination.k8s.io',
            version: 'v1',
            plural: 'leases',
            namespace: 'kube-system',
            name: `kube-${c}`,
          })
          .catch(() => undefined);
        if (lease?.spec?.holderIdentity?.startsWith(`${hostnames.get(c)}_`)) leading.push(c);
      }
      return { line: `leading: ${leading.length ? leading.join(', ') : 'none yet'} (of ${components.join(', ')})`, done: leading.length === components.length };
    });
    await waitUntil(end, 'the cluster DNS did not publish kube-system/kube-dns: see `docker logs minik8s-dns`', async () => {
      const slices = await client.list(
        { group: 'discovery.k8s.io', version: 'v1', plural: 'endpointslices', namespace: 'kube-system' },
        { labelSelector: 'kubernetes.io/service-name=kube-dns' },
      );
      return { line: `cluster DNS: ${slices.items.length ? 'kube-system/kube-dns published' : 'not yet'}`, done: slices.items.length > 0 };
    });
  } finally {
    await client.close();
  }
}

/** Polls `probe` every 100 ms until it is done, printing its line whenever it changes; a failed probe (the API server still starting) just waits. */
async function waitUntil(end: number, failure: string, probe: () => Promise<{ line: string; done: boolean }>): Promise<void> {
  let last = '';
  for (;;) {
    const r = await probe().catch(() => undefined);
    if (r && r.line !== last) process.stdout.write(`    ${r.line}\n`);
    last = r?.line ?? last;
    if (r?.done) return;
    if (Date.now() > end) throw new Error(failure);
    await sleep(100);
  }
}

/** Adds (or replaces) cluster, user and context `minik8s` in ~/.kube/config and makes it current. */
function mergeKubeconfig(): string {
  const target = process.env.KUBECONFIG?.split(':')[0] || join(homedir(), '.kube', 'config');
  const ours = parse(readFileSync(adminKubeconfig(), 'utf8'));
  const cfg = existsSync(target) ? (parse(readFileSync(target, 'utf8')) ?? {}) : { apiVersion: 'v1', kind: 'Config' };
  for (const k of ['clusters', 'users', 'contexts'] as const) {
    cfg[k] = [...(cfg[k] ?? []).filter((e: { name: string }) => e.name !== 'minik8s'), ...ours[k]];
  }
  cfg['current-context'] = 'minik8s';
  mkdirSync(dirname(target), { recursive: true });
  writeFileSync(target, stringify(cfg), { mode: 0o600 });
  return target;
}

/** Removes the Pod containers the kubelets made (compose does not know them; they hold the network). */
async function removePods(): Promise<number> {
  const ids = (await must('docker', ['ps', '-aq', '--filter', 'label=io.minik8s.node'])).stdout.split('\n').filter(Boolean);
  if (ids.length) await must('docker', ['rm', '-f', ...ids]);
  return ids.length;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function up(o: { merge: boolean; build: boolean }): Promise<void> {
  const t0 = Date.now();
  if ((await run('docker', ['info'])).code !== 0) throw new Error('the Docker daemon does not answer (is dockerd running?)');
  const rebuilt = o.build && (await ensureImages());
  if (rebuilt && (await composeRunning()).length) {
    // Compose recreates changed containers in no particular order. Stopping the API
    // server's clients first lets the controllers hand back their Leases while it still
    // answers (else the new ones wait out the lease); Pods keep running meanwhile.
    await step('stopping the running components that use the API server', () => compose(['stop', ...NODES, 'scheduler', 'controller-manager']));
  }
  await step('starting the cluster (compose up)', () => compose(['up', '-d', '--remove-orphans']));
  await step('waiting for the API server, both nodes, the controllers and the DNS', () => waitReady());
  process.stdout.write(`\nminik8s is up in ${((Date.now() - t0) / 1000).toFixed(1)} s.\n`);
  process.stdout.write(`  admin kubeconfig: ${adminKubeconfig()}\n`);
  if (o.merge) process.stdout.write(`  merged into ${mergeKubeconfig()} as context minik8s (now current)\n`);
  const env = o.merge ? '' : `KUBECONFIG=${adminKubeconfig()} `;
  process.stdout.write(`\n  ${env}kubectl get nodes\n  ${env}pnpm mkctl get pods -A -o wide\n`);
  if (!o.merge) process.stdout.write('  (pnpm cluster up --merge-kubeconfig adds the context minik8s to ~/.kube/config)\n');
}

async function main(): Promise<void> {
  const { values: v, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      'merge-kubeconfig': { type: 'boolean', default: false },
      'no-build': { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  const cmd = positionals[0];
  if (v.help || !cmd) {
    process.stdout.write(`Usage: pnpm cluster <up|down|status|reset> [--merge-kubeconfig] [--no-build]

  up      build what is missing, start the cluster, wait until both nodes are Ready
  down    stop the cluster; objects and certificates are kept in ${STATE}
  status  the containers and the nodes
  reset   down, then delete ${STATE} (store, certificates, node files)
`);
    return;
  }
  switch (cmd) {
    case 'up':
      return up({ merge: v['merge-kubeconfig']!, build: !v['no-build'] });
    case 'down': {
      // The kubelets first, or they would recreate the Pods being removed.
      await compose(['stop', ...NODES]);
      const n = await removePods();
      await compose(['down', '--remove-orphans']);
      process.stdout.write(`minik8s is down (${n} Pod containers removed; objects kept in ${STATE}).\n`);
      return;
    }
    case 'status': {
      process.stdout.write((await compose(['ps'])).stdout);
      if (existsSync(adminKubeconfig())) {
        const r = await run('kubectl', ['--kubeconfig', adminKubeconfig(), 'get', 'nodes', '-o', 'wide']);
        process.stdout.write(r.code === 0 ? r.stdout : r.stderr);
      }
      return;
    }
    case 'reset': {
      await compose(['stop', ...NODES]);
      await removePods();
      await compose(['down', '--remove-orphans', '--volumes']);
      rmSync(STATE, { recursive: true, force: true });
      process.stdout.write(`minik8s is reset (${STATE} deleted).\n`);
      return;
    }
    default:
      throw new Error(`unknown command "${cmd}" (up, down, status, reset)`);
  }
}

if (process.argv[1] && import.meta.filename === process.argv[1]) {
  main().catch((e: unknown) => {
    process.stderr.write(`cluster: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
  });
}
