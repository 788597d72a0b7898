/**
 * `pnpm bench:workloads`: how the compose cluster's controllers handle workloads.
 *   node_failure_recovery_s: a 6-replica Deployment (busybox sleeping) spread over both
 *   nodes; `docker stop` of the node with more of them; the time until all 6 replicas are
 *   Running and Ready on the other node (polled every 250 ms through the API). Next to it,
 *   the window the compose cluster's settings allow for the deletions alone: the
 *   controller-manager's --node-monitor-grace-period plus the Pods' default unreachable
 *   toleration (15 s + 5 s), less up to one kubelet renewal (4 s: the last one came
 *   before the stop) and a second (`timeAdded` has whole seconds), plus up to one node
 *   monitor period (2 s). Scheduling and starting the replacements come on top. The node
 *   is started again afterwards, and the cluster stopped.
 *   job30_s, docker_job30_s, job_ratio: a Job of 30 completions, parallelism 10, next to
 *   the same 30 Pod-shaped pairs run in waves of 10 by a plain script (bench/jobs.ts).
 * Prints a table, then one JSON line last. Loops are bounded in time; all traffic goes to
 * 127.0.0.1 and the cluster's own containers.
 */
import { join } from 'node:path';
import { KubeClient } from '@minik8s/client/kube';
import { must as mustRun } from '@minik8s/deploy';
import { DockerPeer, log, now, ROOT, sleep } from './docker-peer.ts';
import { JOB_RATIO_TARGET, jobFigures } from './jobs.ts';

const STATE = process.env.MINIK8S_STATE ?? '/var/lib/minik8s';
const NS = 'bench-workloads';
const REPLICAS = 6;
/** The compose cluster's settings (deploy/docker-compose.yml): grace period and default toleration. */
const GRACE_S = 15;
const TOLERATION_S = Number(process.env.MINIK8S_TOLERATION_SECONDS ?? 5);
const RENEW_S = 4;
const MONITOR_PERIOD_S = 2;
/** The target for node_failure_recovery_s with the compose cluster's settings. */
const TARGET_S = 30;

interface PodLike {
  metadata: { name: string; uid?: string; deletionTimestamp?: string; [k: string]: unknown };
  spec?: { nodeName?: string };
  status?: { phase?: string; conditions?: Array<{ type: string; status: string }> };
  [k: string]: unknown;
}

const must = async (cmd: string, args: string[]) => (await mustRun(cmd, args, { cwd: ROOT, timeoutMs: 900_000 })).stdout;
const cluster = (args: string[]) => must(join(ROOT, 'node_modules', '.bin', 'tsx'), [join(ROOT, 'deploy', 'src', 'cluster.ts'), ...args]);
const isReady = (p: PodLike) => p.status?.phase === 'Running' && !!p.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');

/** Polls `fn` every 250 ms until it returns something, for at most `ms`. */
async function until<T>(ms: number, what: string, fn: () => Promise<T | undefined>): Promise<T> {
  const end = now() + ms;
  while (now() < end) {
    const v = await fn().catch(() => undefined);
    if (v !== undefined) return v;
    await sleep(250);
  }
  throw new Error(`timed out after ${ms / 1000} s waiting for ${what}`);
}

async function main(): Promise<void> {
  log('starting the cluster (not timed)...');
  await cluster(['up']);
  const client = KubeClient.fromKubeconfig({ kubeconfig: join(STATE, 'pki', 'admin.kubeconfig') });
  const pods = async () => (await client.list<PodLike>({ version: 'v1', plural: 'pods', namespace: NS })).items;
  let stopped: string | undefined;
  try {
    await client.create({ version: 'v1', plural: 'namespaces' }, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } }).catch(() => {});
    await client.create(
      { group: 'apps', version: 'v1', plural: 'deployments', namespace: NS },
      {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: 'sleepers' },
        spec: {
          replicas: REPLICAS,
          selector: { matchLabels: { app: 'sleepers' } },
          template: {
            metadata: { labels: { app: 'sleepers' } },
            spec: { terminationGracePeriodSeconds: 1, containers: [{ name: 'c', image: 'minik8s/busybox:latest', command: ['sleep', '86400'] }] },
          },
        },
      },
    );
    const before = await until(180_000, `${REPLICAS} Ready replicas`, async () => {
      const ps = await pods();
      return ps.length === REPLICAS && ps.every(isReady) ? ps : undefined;
    });
    const on = (n: string) => before.filter((p) => p.spec?.nodeName === n).length;
    const victim = on('node-1') >= on('node-2') ? 'node-1' : 'node-2';
    const other = victim === 'node-1' ? 'node-2' : 'node-1';
    log(`replicas: node-1 ${on('node-1')}, node-2 ${on('node-2')}; stopping ${victim}...`);
    const t0 = now();
    stopped = victim;
    await must('docker', ['stop', `minik8s-${victim}`]);
    const stopS = (now() - t0) / 1000;
    await until(180_000, `${REPLICAS} Ready replicas on ${other}`, async () => {
      const live = (await pods()).filter((p) => !p.metadata.deletionTimestamp);
      return live.length === REPLICAS && live.every((p) => isReady(p) && p.spec?.nodeName === other) ? live : undefined;
    });
    const recoveryS = (now() - t0) / 1000;
    const due = [GRACE_S + TOLERATION_S - RENEW_S - 1, GRACE_S + TOLERATION_S + MONITOR_PERIOD_S];

    log(`starting ${victim} again...`);
    await must('docker', ['start', `minik8s-${victim}`]);
    stopped = undefined;
    await until(120_000, `${victim} Ready`, async () => {
      const n = await client.get<PodLike>({ version: 'v1', plural: 'nodes', name: victim });
      return n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ? n : undefined;
    });

    log('jobs: 30 completions, parallelism 10, next to Docker...');
    const jobs = await jobFigures(client, new DockerPeer());

    const rows: Array<[string, string, string]> = [
      ['replicas lost / total', `${on(victim)} / ${REPLICAS}`, ''],
      ['docker stop of the node (s)', stopS.toFixed(2), ''],
      ['node failure recovery (s)', recoveryS.toFixed(2), `< ${TARGET_S}`],
      ['  deletions due, by the settings (s)', due.join('-'), `grace ${GRACE_S}s + toleration ${TOLERATION_S}s, less a renewal, plus a period`],
      ['Job of 30, parallelism 10, to Complete (s)', jobs.job30S.toFixed(2), ''],
      ['docker: 30 pairs in waves of 10 (s)', jobs.dockerJob30S.toFixed(2), ''],
      ['job ratio (Job / docker)', jobs.ratio.toFixed(2), `<= ${JOB_RATIO_TARGET}`],
    ];
    for (const [k, v, target] of rows) process.stdout.write(`${k.padEnd(40)} ${v.padStart(8)}   ${target}\n`);
    process.stdout.write(
      `${JSON.stringify({
        node_failure_recovery_s: Number(recoveryS.toFixed(2)),
        node_failure_window_s: due,
        replicas_lost: on(victim),
        replicas: REPLICAS,
        job30_s: Number(jobs.job30S.toFixed(2)),
        docker_job30_s: Number(jobs.dockerJob30S.toFixed(2)),
        job_ratio: Number(jobs.ratio.toFixed(2)),
      })}\n`,
    );
  } finally {
    if (stopped) await must('docker', ['start', `minik8s-${stopped}`]).catch(() => '');
    await client.delete({ version: 'v1', plural: 'namespaces', name: NS }).catch(() => {});
    // Let the kubelets remove the Pods before `down` stops them.
    await until(60_000, 'the Pods removed', async () => ((await pods()).length === 0 ? true : undefined)).catch(() => {});
    await client.close();
    await cluster(['down']);
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`${e instanceof Error ? e.stack : String(e)}\n`);
  process.exit(1);
});
