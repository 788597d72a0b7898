/**
 * A real API server on loopback for tests (embedded etcdlite in a temp directory, TLS,
 * admin kubeconfig), an admin client for it, and a way to run the stock kubectl against
 * it with its own cache directory. Other packages' tests import it as
 * `@minik8s/apiserver/testing` (a devDependency).
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubeClient } from '@minik8s/client/kube';
import { type RunningApiServer, type StartOptions, startApiServer } from '../main.ts';

export interface TestApiServer extends RunningApiServer {
  dir: string;
  /** A client with the admin kubeconfig; `close()` closes it. */
  client: KubeClient;
  kubectl(args: string[], opts?: { input?: string; timeoutMs?: number }): Promise<{ code: number; stdout: string; stderr: string }>;
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
      kubectl: (args, opts = {}) =>
        new Promise((resolve) => {
          const child = execFile(
            'kubectl',
            args,
            {
              env: { ...process.env, KUBECONFIG: running.kubeconfigPath, HOME: dir },
              timeout: opts.timeoutMs ?? 20_000,
            },
            (err, stdout, stderr) => {
              const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
              resolve({ code, stdout, stderr });
            },
          );
          if (opts.input !== undefined) child.stdin!.end(opts.input);
        }),
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
