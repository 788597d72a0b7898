/**
 * Test helpers: a real API server on loopback, mkctl run in-process against it, and the
 * stock kubectl run with the same kubeconfig for side-by-side comparisons.
 */
import { startTestApiServer, type TestApiServer } from '@minik8s/apiserver/testing';
import { type RunResult, run } from '../index.ts';

export interface Harness {
  server: TestApiServer;
  mk(args: string[], input?: string): Promise<RunResult>;
  kubectl(args: string[], input?: string): Promise<RunResult>;
  close(): Promise<void>;
}

export async function startHarness(): Promise<Harness> {
  const server = await startTestApiServer();
  const env = { KUBECONFIG: server.kubeconfigPath, HOME: server.dir, PATH: process.env.PATH };
  return {
    server,
    mk: (args, input) => run(args, { env, stdin: input }),
    kubectl: (args, input) => server.kubectl(args, input === undefined ? {} : { input }),
    close: () => server.close(),
  };
}

/** Ages (`5s`, `3m2s`, `2d`) replaced and runs of spaces collapsed, so two runs a second apart compare equal. */
export function withoutAges(text: string): string {
  return text
    .replace(/(^|\s)(\d+[smhdy])+(?=\s|$)/gm, '$1<age>')
    .replace(/ +/g, ' ')
    .replace(/ $/gm, '');
}
