/**
 * For integration tests: the busybox image, a Docker network of the test's own (a /24
 * in 10.251.0.0/16), and clean-up of every container and network by a per-run label.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import Docker from 'dockerode';

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
      await Promise.all(cs.map((c) => docker.getContainer(c.Id).remove({ force: true }).catch(() => undefined)));
      await docker.getNetwork(network).remove().catch(() => undefined);
    },
  };
}

export async function waitFor<T>(what: string, fn: () => Promise<T | undefined | false>, timeoutMs = 20_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
