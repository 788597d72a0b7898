/**
 * Test helpers: a real API server on loopback, mkctl run in-process against it, and the
 * stock kubectl run with the same kubeconfig for side-by-side comparisons.
 */
import { startTestApiServer, type TestApiServer } from '@minik8s/apiserver/testing';
import { type RunResult, run } from '../index.ts';

export interface Harness {
  server: TestApiServer;
  /** `onStdout` sees the output as it is printed, for a test that waits on it. */
  mk(args: string[], input?: string, o?: { onStdout?: (text: string) => void }): Promise<RunResult>;
  kubectl(args: string[], input?: string, o?: { onStdout?: (text: string) => void }): Promise<RunResult>;
  close(): Promise<void>;
}

export async function startHarness(): Promise<Harness> {
  const server = await startTestApiServer();
  const env = { KUBECONFIG: server.kubeconfigPath, HOME: server.dir, PATH: process.env.PATH };
  return {
    server,
    mk: (args, input, o = {}) => run(args, { env, stdin: input, stdout: o.onStdout }),
    kubectl: (args, input, o = {}) => server.kubectl(args, { ...(input === undefined ? {} : { input }), onStdout: o.onStdout }),
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
