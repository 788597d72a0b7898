/**
 * Docker on its own, the peer the cluster benchmarks measure against: Pod-shaped pairs
 * as the kubelet makes them (a sandbox with its own address on the pod network, from
 * 10.244.200.0/24, which no node hands out, and a container joined to its network
 * namespace), started by a plain script. Every container is labelled, so `removeAll()`
 * leaves nothing. Also the small helpers the benchmarks share.
 */
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { must as mustRun } from '@minik8s/deploy';

export const ROOT = join(import.meta.dirname, '..');
export const BUSYBOX = 'minik8s/busybox:latest';

export const now = () => performance.now();
export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** Progress on stderr, with the load average: other work on the machine shows in the figures. */
export const log = (line: string) => process.stderr.write(`[load ${loadavg()[0]!.toFixed(1)}] ${line}\n`);

export const must = async (cmd: string, args: string[]): Promise<string> => {
  const r = await mustRun(cmd, args, { cwd: ROOT });
  return r.stdout + r.stderr;
};

/**
 * Runs `start(i)` for i = 0..count-1 at `perSecond`, each on its own schedule (a slow
 * start does not delay the next), and `stop(i - lag)` alongside start i so that about
 * `lifetimeS` worth of them are alive at once. Resolves when every start has settled.
 */
export async function paced(
  perSecond: number,
  count: number,
  lifetimeS: number,
  start: (i: number) => Promise<void>,
  stop: (i: number) => Promise<void>,
): Promise<void> {
  const lag = Math.max(1, Math.round(perSecond * lifetimeS));
  const pending: Array<Promise<void>> = [];
  const t0 = now();
  for (let i = 0; i < count; i++) {
    const due = t0 + (i * 1000) / perSecond;
    if (due > now()) await sleep(due - now());
    pending.push(start(i).catch((e: unknown) => void log(`start ${i}: ${String(e)}`)));
    if (i >= lag) void stop(i - lag).catch(() => {});
  }
  await Promise.all(pending);
}

export class DockerPeer {
  private readonly label = `minik8s-bench=${process.pid}`;

  private runOne(args: string[], command = ['sleep', '3600']): Promise<string> {
    return must('docker', ['run', '-d', '--label', this.label, ...args, BUSYBOX, ...command]).then((out) => out.trim());
  }

  /** Starts pair `i` (its sandbox, then its container running `command`); resolves with the time it took in ms and the container's id. */
  async pair(i: number, command?: string[]): Promise<{ ms: number; container: string }> {
    const t0 = now();
    const pairLabel = ['--label', `minik8s-bench-pair=${i}`];
    const sandbox = await this.runOne([...pairLabel, '--network', 'minik8s-pods', '--ip', `10.244.200.${(i % 250) + 2}`]);
    const container = await this.runOne([...pairLabel, '--network', `container:${sandbox}`], command);
    return { ms: now() - t0, container };
  }

  async removePair(i: number): Promise<void> {
    const ids = (await must('docker', ['ps', '-aq', '--filter', `label=${this.label}`, '--filter', `label=minik8s-bench-pair=${i}`]))
      .split('\n')
      .filter(Boolean);
    if (ids.length) await must('docker', ['rm', '-f', ...ids]);
  }

  async removeAll(): Promise<void> {
    const ids = (await must('docker', ['ps', '-aq', '--filter', `label=${this.label}`])).split('\n').filter(Boolean);
    if (ids.length) await must('docker', ['rm', '-f', ...ids]);
  }

  /** `n` containers (or, with `pairs`, `n` pairs) started in parallel; seconds until all run. */
  async burst(n: number, pairs: boolean): Promise<number> {
    const t0 = now();
    await Promise.all(Array.from({ length: n }, (_, i) => (pairs ? this.pair(i) : this.runOne([]))));
    const took = (now() - t0) / 1000;
    await this.removeAll();
    return took;
  }

  /** `count` pairs started at `perSecond`, each removed `lifetimeS` later, as a Pod churn does; each pair's start time in ms, in start order. */
  async churn(perSecond: number, count: number, lifetimeS: number): Promise<number[]> {
    const lat: number[] = [];
    try {
      await paced(
        perSecond,
        count,
        lifetimeS,
        async (i) => {
          lat[i] = (await this.pair(i)).ms;
        },
        (i) => this.removePair(i),
      );
    } finally {
      await this.removeAll();
    }
    return lat.filter(Number.isFinite); // in start order, without pairs that failed
  }

  /**
   * A Job's work done by hand: `total` pairs whose container runs `command` to its end, in
   * waves of `parallel` (each wave started together, waited for with `docker wait`, then
   * removed). Seconds for all of them.
   */
  async waves(total: number, parallel: number, command: string[]): Promise<number> {
    const t0 = now();
    try {
      for (let first = 0; first < total; first += parallel) {
        const wave = Array.from({ length: Math.min(parallel, total - first) }, (_, k) => first + k);
        await Promise.all(
          wave.map(async (i) => {
            const { container } = await this.pair(i, command);
            await must('docker', ['wait', container]);
            await this.removePair(i);
          }),
        );
      }
      return (now() - t0) / 1000;
    } finally {
      await this.removeAll();
    }
  }
}
