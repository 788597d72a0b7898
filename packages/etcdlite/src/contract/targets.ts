/**
 * The two stores the contract suite runs against: a real etcd (the reference) and
 * etcdlite. Each `start()` gives a fresh, empty server on loopback in its own temp
 * directory; `close()` stops it and removes the directory.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { constants } from 'node:fs';
import { access, mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEtcdlite } from '../index.ts';

export interface RunningStore {
  /** `http://127.0.0.1:<port>` */
  url: string;
  close(): Promise<void>;
}

export interface StoreTarget {
  name: 'etcd' | 'etcdlite';
  start(): Promise<RunningStore>;
}

/** The etcd binary (Debian's etcd-server); override with ETCD_BIN. */
export const ETCD_BIN = process.env.ETCD_BIN ?? '/usr/bin/etcd';

export const etcdTarget: StoreTarget = { name: 'etcd', start: startEtcd };

export const etcdliteTarget: StoreTarget = {
  name: 'etcdlite',
  async start() {
    const dir = await mkdtemp(join(tmpdir(), 'etcdlite-contract-'));
    try {
      const server = await startEtcdlite({ dataDir: join(dir, 'data'), host: '127.0.0.1', port: 0 });
      return {
        url: server.url,
        async close() {
          try {
            await server.close();
          } finally {
            await rm(dir, { recursive: true, force: true });
          }
        },
      };
    } catch (e) {
      await rm(dir, { recursive: true, force: true });
      throw e;
    }
  },
};

export const targets: StoreTarget[] = [etcdTarget, etcdliteTarget];

// ---- etcd -----------------------------------------------------------------------------

/** Children still running, killed if the test process exits without closing them. */
const live = new Set<ChildProcess>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const child of live) child.kill('SIGKILL');
  });
}

async function freePorts(n: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from(
      { length: n },
      () =>
        new Promise<import('node:net').Server>((resolve, reject) => {
          const s = createServer();
          s.once('error', reject);
          s.listen(0, '127.0.0.1', () => resolve(s));
        }),
    ),
  );
  const ports = servers.map((s) => (s.address() as import('node:net').AddressInfo).port);
  await Promise.all(servers.map((s) => new Promise<void>((r) => s.close(() => r()))));
  return ports;
}

async function startEtcd(): Promise<RunningStore> {
  try {
    await access(ETCD_BIN, constants.X_OK);
  } catch {
    throw new Error(
      `the store contract suite needs a real etcd, but ${ETCD_BIN} is missing or not executable. ` +
        'Install it (Debian/Ubuntu: apt-get install etcd-server) or set ETCD_BIN to its path.',
    );
  }
  installExitHook();
  let lastError: unknown;
  // A port picked as free can be taken before etcd binds it: retry with new ports.
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      return await startEtcdOnce();
    } catch (e) {
      lastError = e;
      if (!String((e as Error).message).includes('address already in use')) throw e;
    }
  }
  throw lastError;
}

async function startEtcdOnce(): Promise<RunningStore> {
  const dir = await mkdtemp(join(tmpdir(), 'etcd-contract-'));
  const [clientPort, peerPort] = (await freePorts(2)) as [number, number];
  const url = `http://127.0.0.1:${clientPort}`;
  const peerUrl = `http://127.0.0.1:${peerPort}`;
  const child = spawn(
    ETCD_BIN,
    [
      '--name=contract',
      `--data-dir=${join(dir, 'data')}`,
      `--listen-client-urls=${url}`,
      `--advertise-client-urls=${url}`,
      `--listen-peer-urls=${peerUrl}`,
      `--initial-advertise-peer-urls=${peerUrl}`,
      `--initial-cluster=contract=${peerUrl}`,
      '--initial-cluster-state=new',
      '--initial-cluster-token=contract',
      '--logger=zap',
      '--log-level=error',
      '--log-outputs=stderr',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  live.add(child);
  let log = '';
  const keep = (chunk: Buffer) => {
    log = (log + chunk.toString('utf8')).slice(-8192);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<number | null>((resolve) => {
    child.once('exit', (code) => {
      live.delete(child);
      resolve(code);
    });
    child.once('error', (e) => {
      keep(Buffer.from(String(e)));
      live.delete(child);
      resolve(-1);
    });
  });

  const close = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    }
    await rm(dir, { recursive: true, force: true });
  };

  try {
    const deadline = Date.now() + 20_000;
    let healthy = false;
    while (!healthy) {
      if (child.exitCode !== null || child.signalCode !== null) {
        throw new Error(`etcd exited (${child.exitCode ?? child.signalCode}) before it was healthy:\n${log}`);
      }
      if (Date.now() > deadline) throw new Error(`etcd at ${url} was not healthy after 20 s:\n${log}`);
      healthy = await fetch(`${url}/health`, { signal: AbortSignal.timeout(1000) })
        .then(async (r) => r.ok && ((await r.json()) as { health?: string }).health === 'true')
        .catch(() => false);
      if (!healthy) await Promise.race([exited, new Promise((r) => setTimeout(r, 100))]);
    }
    return { url, close };
  } catch (e) {
    await close();
    throw e;
  }
}
