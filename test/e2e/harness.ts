/**
 * End-to-end harness: the compose cluster brought up by `pnpm cluster up` in a state
 * directory of its own, driven with the stock kubectl, mkctl, the API and the Docker CLI.
 * Everything it starts is removed at the end (`pnpm cluster reset`).
 */
import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { KubeClient } from '@minik8s/client/kube';
import { must as mustRun, type Run, type RunOptions, run as runCommand } from '@minik8s/deploy';
import type { EventuallyOptions } from '@minik8s/testing';

export type { Run };

export const ROOT = join(import.meta.dirname, '..', '..');

/** Commands run from the repository root unless told otherwise. */
export const run = (cmd: string, args: string[], o: RunOptions = {}): Promise<Run> => runCommand(cmd, args, { cwd: ROOT, timeoutMs: 120_000, ...o });
export const must = (cmd: string, args: string[], o: RunOptions = {}): Promise<Run> => mustRun(cmd, args, { cwd: ROOT, timeoutMs: 120_000, ...o });

export interface Cluster {
  state: string;
  kubeconfig: string;
  env: NodeJS.ProcessEnv;
  client: KubeClient;
  /** `pnpm cluster <args>` for this cluster. */
  cluster(args: string[]): Promise<Run>;
  kubectl(args: string[], input?: string): Promise<Run>;
  mkctl(args: string[], input?: string): Promise<Run>;
  docker(args: string[]): Promise<Run>;
}

export async function clusterAlreadyRunning(): Promise<boolean> {
  const r = await run('docker', ['ps', '-q', '--filter', 'name=^minik8s-apiserver$']);
  return r.stdout.trim() !== '';
}

/** Brings a cluster up with its own state directory (crash-loop and Job back-offs shortened to 1 s). */
export async function startCluster(): Promise<Cluster> {
  const state = mkdtempSync('/var/tmp/minik8s-e2e-');
  const env = { MINIK8S_STATE: state, MINIK8S_CRASHLOOP_DELAY: '1s', MINIK8S_JOB_BACKOFF_DELAY: '1s' };
  const kubeconfig = join(state, 'pki', 'admin.kubeconfig');
  const cluster = (args: string[]) =>
    run(join(ROOT, 'node_modules', '.bin', 'tsx'), [join(ROOT, 'deploy', 'src', 'cluster.ts'), ...args], { env, timeoutMs: 600_000 });
  const up = await cluster(['up']);
  if (up.code !== 0) throw new Error(`pnpm cluster up failed:\n${up.stdout}${up.stderr}`);
  const kenv = { KUBECONFIG: kubeconfig, HOME: state };
  return {
    state,
    kubeconfig,
    env,
    client: KubeClient.fromKubeconfig({ kubeconfig }),
    cluster,
    kubectl: (args, input) => run('kubectl', args, { env: kenv, input }),
    mkctl: (args, input) => run(process.execPath, [join(ROOT, 'packages', 'kubectl', 'dist', 'cli.cjs'), ...args], { env: kenv, input }),
    docker: (args) => run('docker', args),
  };
}

/** How the end-to-end tests wait: a real cluster is slower than eventually()'s defaults allow. */
export const ON_CLUSTER = { timeoutMs: 60_000, intervalMs: 250 } satisfies EventuallyOptions;
