/**
 * A real API server on loopback for tests (embedded etcdlite in a temp directory, TLS,
 * admin kubeconfig), an admin client for it, and a way to run the stock kubectl against
 * it with its own cache directory. Other packages' tests import it as
 * `@minik8s/apiserver/testing` (a devDependency).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubeClient } from '@minik8s/client/kube';
import { type CommandResult, type RunCommandOptions, runCommand } from '@minik8s/testing';
import { type RunningApiServer, type StartOptions, startApiServer } from '../main.ts';

export interface TestApiServer extends RunningApiServer {
  dir: string;
  /** A client with the admin kubeconfig; `close()` closes it. */
  client: KubeClient;
  /** Runs the stock kubectl with the admin kubeconfig (and a cache directory of its own). */
  kubectl(args: string[], opts?: Omit<RunCommandOptions, 'env'>): Promise<CommandResult>;
}

/** Starts one in a temporary directory (its data in `<dir>/data`, certificates in `<dir>/data/pki`). */
export async function startTestApiServer(o: Partial<Omit<StartOptions, 'dataDir'>> = {}): Promise<TestApiServer> {
  const dir = mkdtempSync(join(tmpdir(), 'apiserver-test-'));
  try {
    const running = await startApiServer({ securePort: 0, ...o, dataDir: join(dir, 'data') });
    const client = KubeClient.fromKubeconfig({ kubeconfig: running.kubeconfigPath });
    return {
      ...running,
      dir,
      client,
      kubectl: (args, opts = {}) => runCommand('kubectl', args, { ...opts, env: { ...process.env, KUBECONFIG: running.kubeconfigPath, HOME: dir } }),
      async close() {
        await client.close();
        await running.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (e) {
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
}
