/**
 * Stores as child processes on loopback, for tests and benchmarks: a real etcd (Debian's
 * etcd-server) and etcdlite's own command. Each gets a fresh temp data directory on free
 * ports, waits until /health answers, and `close()` stops it and removes the directory.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { constants } from 'node:fs';
import { access, mkdtemp, rm } from 'node:fs/promises';
import { type AddressInfo, createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface RunningStore {
  /** `http://127.0.0.1:<port>` */
  url: string;
  close(): Promise<void>;
}

/** The etcd binary (Debian's etcd-server); override with ETCD_BIN. */
export const ETCD_BIN = process.env.ETCD_BIN ?? '/usr/bin/etcd';

const CLI = join(dirname(fileURLToPath(import.meta.url)), '..', 'cli.ts');

/** Children still running, killed if this process exits without closing them. */
const live = new Set<ChildProcess>();
let exitHookInstalled = false;

export async function freePorts(n: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from(
      { length: n },
      () =>
        new Promise<Server>((resolve, reject) => {
          const s = createServer();
          s.once('error', reject);
          s.listen(0, '127.0.0.1', () => resolve(s));
        }),
    ),
  );
  const ports = servers.map((s) => (s.address() as AddressInfo).port);
  await Promise.all(servers.map((s) => new Promise<void>((r) => s.close(() => r()))));
  return ports;
}

/** A real etcd on loopback. Fails with install advice when the binary is missing. */
export async function startEtcdProcess(): Promise<RunningStore> {
  try {
    await access(ETCD_BIN, constants.X_OK);
  } catch {
    throw new Error(
      `a real etcd is needed, but ${ETCD_BIN} is missing or not executable. ` +
        'Install it (Debian/Ubuntu: apt-get install etcd-server) or set ETCD_BIN to its path.',
    );
  }
  return withPortRetry(2, async ([clientPort, peerPort], dir) => {
    const url = `http://127.0.0.1:${clientPort}`;
    const peerUrl = `http://127.0.0.1:${peerPort}`;
    return startProcess(
      'etcd',
      ETCD_BIN,
      [
        '--name=test',
        `--data-dir=${join(dir, 'data')}`,
        `--listen-client-urls=${url}`,
        `--advertise-client-urls=${url}`,
        `--listen-peer-urls=${peerUrl}`,
        `--initial-advertise-peer-urls=${peerUrl}`,
        `--initial-cluster=test=${peerUrl}`,
        '--initial-cluster-state=new',
        '--initial-cluster-token=test',
        '--logger=zap',
        '--log-level=error',
        '--log-outputs=stderr',
      ],
      url,
      dir,
    );
  });
}

/** etcdlite's command (run from source with tsx) on loopback. */
export async function startEtcdliteProcess(extraArgs: string[] = []): Promise<RunningStore> {
  return withPortRetry(1, async ([port], dir) => {
    const url = `http://127.0.0.1:${port}`;
    return startProcess(
      'etcdlite',
      process.execPath,
      ['--import', 'tsx', CLI, `--data-dir=${join(dir, 'data')}`, `--listen-client-urls=${url}`, '--log-level=error', ...extraArgs],
      url,
      dir,
    );
  });
}

/** A port picked as free can be taken before the server binds it: retry with new ports. */
async function withPortRetry(nPorts: number, start: (ports: number[], dir: string) => Promise<RunningStore>): Promise<RunningStore> {
  let lastError: unknown;
  for (let attempt = 0; attempt < 3; attempt++) {
    const dir = await mkdtemp(join(tmpdir(), 'store-process-'));
    try {
      return await start(await freePorts(nPorts), dir);
    } catch (e) {
      await rm(dir, { recursive: true, force: true });
      lastError = e;
      if (!/address already in use|EADDRINUSE/.test(String((e as Error).message))) throw e;
    }
  }
  throw lastError;
}

async function startProcess(name: string, bin: string, args: string[], url: string, dir: string): Promise<RunningStore> {
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.once('exit', () => {
      for (const child of live) child.kill('SIGKILL');
    });
  }
  const child = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  live.add(child);
  let log = '';
  const keep = (chunk: Buffer) => {
    log = (log + chunk.toString('utf8')).slice(-8192);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<void>((resolve) => {
    child.once('exit', () => {
      live.delete(child);
      resolve();
    });
    child.once('error', (e) => {
      keep(Buffer.from(String(e)));
      live.delete(child);
      resolve();
    });
  });
  const running = () => child.exitCode === null && child.signalCode === null;

  const close = async () => {
    if (running()) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    }
    await rm(dir, { recursive: true, force: true });
  };

  try {
    const deadline = Date.now() + 20_000;
    for (;;) {
      if (!running()) throw new Error(`${name} exited (${child.exitCode ?? child.signalCode}) before it was healthy:\n${log}`);
      if (Date.now() > deadline) throw new Error(`${name} at ${url} was not healthy after 20 s:\n${log}`);
      const healthy = await fetch(`${url}/health`, { signal: AbortSignal.timeout(1000) })
        .then(async (r) => r.ok && ((await r.json()) as { health?: string }).health === 'true')
        .catch(() => false);
      if (healthy) return { url, close };
      await Promise.race([exited, new Promise((r) => setTimeout(r, 100))]);
    }
  } catch (e) {
    await close();
    throw e;
  }
}
