/**
 * The Job figures of `pnpm bench:workloads`, on a running compose cluster, next to Docker:
 * - `job30_s`: a Job of 30 completions, parallelism 10, each Pod running `sleep 1`, from
 *   its create request to its Complete condition (seen by polling every 100 ms);
 * - `docker_job30_s`: the same 30 Pod-shaped pairs (sandbox + container running
 *   `sleep 1`) run by a plain script in waves of 10 on the same Docker;
 * - `job_ratio = job30_s / docker_job30_s` (target ≤ 1.3).
 */
import type { KubeClient } from '@minik8s/client/kube';
import { BUSYBOX, type DockerPeer, log, now, sleep } from './docker-peer.ts';

const NS = 'bench-jobs';
const COMPLETIONS = 30;
const PARALLELISM = 10;
const COMMAND = ['sleep', '1'];
export const JOB_RATIO_TARGET = 1.3;

// biome-ignore lint/suspicious/noExplicitAny: objects read loosely
type Any = any;

export interface JobFigures {
  job30S: number;
  dockerJob30S: number;
  ratio: number;
}

async function job30(client: KubeClient): Promise<number> {
  const jobs = { group: 'batch', version: 'v1', plural: 'jobs', namespace: NS };
  const t0 = now();
  await client.create(jobs, {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name: 'job30' },
    spec: {
      completions: COMPLETIONS,
      parallelism: PARALLELISM,
      template: {
        spec: {
          restartPolicy: 'Never',
          terminationGracePeriodSeconds: 0,
          containers: [{ name: 'c', image: BUSYBOX, imagePullPolicy: 'IfNotPresent', command: COMMAND }],
        },
      },
    },
  });
  const end = t0 + 300_000;
  for (;;) {
    const j = (await client.get({ ...jobs, name: 'job30' })) as Any;
    if ((j.status?.conditions ?? []).some((c: Any) => c.type === 'Complete' && c.status === 'True')) break;
    if ((j.status?.conditions ?? []).some((c: Any) => c.type === 'Failed' && c.status === 'True')) throw new Error('the Job failed');
    if (now() > end) throw new Error(`the Job did not complete in 300 s: ${JSON.stringify(j.status)}`);
    await sleep(100);
  }
  const took = (now() - t0) / 1000;
  await client.delete({ ...jobs, name: 'job30' }, { propagationPolicy: 'Foreground' });
  return took;
}

export async function jobFigures(client: KubeClient, docker: DockerPeer): Promise<JobFigures> {
  await client.create({ version: 'v1', plural: 'namespaces' }, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } }).catch(() => {});
  log(`Docker: ${COMPLETIONS} Pod-shaped pairs running ${COMMAND.join(' ')}, in waves of ${PARALLELISM}...`);
  const dockerJob30S = await docker.waves(COMPLETIONS, PARALLELISM, COMMAND);
  await sleep(3000);
  log(`a Job of ${COMPLETIONS} completions, parallelism ${PARALLELISM}...`);
  const job30S = await job30(client);
  // Let the kubelets remove the Pods before anything else runs.
  const end = now() + 60_000;
  while (now() < end) {
    const left = await client.list({ version: 'v1', plural: 'pods', namespace: NS }).catch(() => undefined);
    if (left && left.items.length === 0) break;
    await sleep(500);
  }
  await client.delete({ version: 'v1', plural: 'namespaces', name: NS }).catch(() => {});
  // A namespace that is still going away would refuse the next run's Job.
  const gone = now() + 60_000;
  while (
    now() < gone &&
    (await client.get({ version: 'v1', plural: 'namespaces', name: NS }).then(
      () => true,
      () => false,
    ))
  )
    await sleep(250);
  return { job30S, dockerJob30S, ratio: job30S / dockerJob30S };
}
