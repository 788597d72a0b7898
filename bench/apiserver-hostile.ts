/**
 * Two figures of `pnpm bench:apiserver` about hostile clients, each next to a peer from
 * the same run:
 * - `patch_copy_26_ms`: the time to refuse the 1,133-byte JSON patch whose 26 `copy`
 *   operations would double a value 26 times (2^26 copies), next to an ordinary one-op
 *   patch of the same object (`patch_small_ms`). Median of 21 each.
 * - `stalled_watchers_rss_mb`: how much more the server's peak RSS grows while 1,000
 *   updates of a 100 KiB ConfigMap stream to 4 watchers that never read than while the
 *   same 1,000 updates stream to nobody (`updates_rss_mb`, that run's own growth). The
 *   server closes a watcher once 8 MiB wait for it, so the difference stays bounded.
 *   This server runs in a process of its own, so its RSS is its own.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type TLSSocket, connect as tlsConnect } from 'node:tls';
import { kubeconfigTls } from '@minik8s/client/kube';
import { Pool } from 'undici';

const nowMs = () => performance.now();
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const MiB = 1024 * 1024;

async function send(pool: Pool, method: 'POST' | 'PUT' | 'PATCH', path: string, body: string, type = 'application/json'): Promise<number> {
  const r = await pool.request({ method, path, body, headers: { 'content-type': type } });
  await r.body.dump();
  return r.statusCode;
}

export async function patchCopy(pool: Pool): Promise<{ copy26Ms: number; smallMs: number }> {
  const base = '/api/v1/namespaces/default/configmaps';
  await send(pool, 'POST', base, JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'copy-target' }, data: { a: '1' } }));
  const bomb = JSON.stringify([{ op: 'add', path: '/zz', value: [[1]] }, ...Array.from({ length: 26 }, () => ({ op: 'copy', from: '/zz', path: '/zz/0' }))]);
  const small = JSON.stringify([{ op: 'replace', path: '/data/a', value: '2' }]);
  const time = async (body: string, expectRefused: boolean) => {
    const t = nowMs();
    const code = await send(pool, 'PATCH', `${base}/copy-target`, body, 'application/json-patch+json');
    const ms = nowMs() - t;
    if (expectRefused ? code < 400 || code >= 500 : code !== 200) throw new Error(`patch answered ${code}`);
    return ms;
  };
  const copy: number[] = [];
  const plain: number[] = [];
  for (let i = 0; i < 21; i++) {
    copy.push(await time(bomb, true));
    plain.push(await time(small, false));
  }
  return { copy26Ms: median(copy), smallMs: median(plain) };
}

interface Tls {
  ca: string;
  cert: string;
  key: string;
}

/** A watch whose client never reads: the request is sent, then the socket is paused for good. */
async function stalledWatch(url: string, tls: Tls): Promise<TLSSocket> {
  const u = new URL(url);
  const socket = tlsConnect({ host: u.hostname, port: Number(u.port), servername: 'localhost', ...tls });
  socket.on('error', () => {});
  await new Promise<void>((resolve, reject) => {
    socket.once('secureConnect', resolve);
    socket.once('error', reject);
  });
  socket.write('GET /api/v1/namespaces/default/configmaps?watch=true&fieldSelector=metadata.name%3Dbig HTTP/1.1\r\nHost: localhost\r\n\r\n');
  socket.pause();
  return socket;
}

/** The API server as its own process (so its RSS is its own), logging warnings. */
async function serverProcess(dir: string): Promise<{ url: string; kubeconfig: string; pid: number; logs: () => string; stop: () => Promise<void> }> {
  const cli = join(import.meta.dirname, '..', 'packages', 'apiserver', 'src', 'cli.ts');
  const child = spawn(process.execPath, ['--import', 'tsx', cli, '--data-dir', dir, '--secure-port', '0', '--log-level', 'warn'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => {
    out += d;
  });
  child.stderr.on('data', (d: Buffer) => {
    err += d;
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const deadline = nowMs() + 60_000;
  while (!/apiserver at (\S+);/.test(out)) {
    if (child.exitCode !== null || nowMs() > deadline) throw new Error(`the API server did not start: ${err}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  const [, url, kubeconfig] = /apiserver at (\S+); kubeconfig: (\S+)/.exec(out)!;
  return {
    url: url!,
    kubeconfig: kubeconfig!,
    pid: child.pid!,
    logs: () => out + err,
    async stop() {
      child.kill('SIGTERM');
      await exited;
    },
  };
}

const rssOf = (pid: number) => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) * 1024;

/** Peak RSS (MiB) of process `pid` over `updates` PUTs of a 100 KiB ConfigMap named `big`. */
async function updatesPeakRss(pool: Pool, pid: number, updates: number): Promise<number> {
  let peak = rssOf(pid);
  const sampler = setInterval(() => {
    peak = Math.max(peak, rssOf(pid));
  }, 10);
  try {
    for (let i = 0; i < updates; i++) {
      const body = JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'big' }, data: { v: String(i % 10).repeat(100 * 1024) } });
      const code = await send(pool, 'PUT', '/api/v1/namespaces/default/configmaps/big', body);
      if (code !== 200) throw new Error(`update ${i}: ${code}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  } finally {
    clearInterval(sampler);
  }
  return Math.max(peak, rssOf(pid)) / MiB;
}

/** Peak RSS growth (MiB) of a fresh server over 1,000 updates with `stalled` watchers that never read. */
async function growth(stalled: number): Promise<{ mb: number; closed: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-stalled-'));
  const server = await serverProcess(join(dir, 'data'));
  const tls = kubeconfigTls(server.kubeconfig);
  const pool = new Pool(server.url, { connections: 1, connect: tls });
  const watchers: TLSSocket[] = [];
  try {
    const base = '/api/v1/namespaces/default/configmaps';
    await send(pool, 'POST', base, JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'big' }, data: { v: '' } }));
    for (let i = 0; i < stalled; i++) watchers.push(await stalledWatch(server.url, tls));
    await new Promise((r) => setTimeout(r, 200));
    const idle = rssOf(server.pid) / MiB;
    const peak = await updatesPeakRss(pool, server.pid, 1000);
    const closed = server.logs().split('closed a watch whose client is not reading').length - 1;
    return { mb: peak - idle, closed };
  } finally {
    for (const w of watchers) w.destroy();
    await pool.close();
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * The same 1,000 updates on fresh servers, each in a process of its own: with nobody
 * watching (`plainMb`, peak RSS growth) and with 4 stalled watchers (`stalledMb`, what
 * that growth adds to the first: the watchers' own cost). `closed` is the fewest watches
 * a server with stalled watchers said it closed.
 */
export async function stalledWatchers(): Promise<{ stalledMb: number; plainMb: number; closed: number }> {
  // V8 collects when it likes, so one pair varies by ±30 MB: the median of three pairs.
  const plain: number[] = [];
  const stalled: number[] = [];
  let closed = 4;
  for (let i = 0; i < 3; i++) {
    plain.push((await growth(0)).mb);
    const s = await growth(4);
    stalled.push(s.mb);
    closed = Math.min(closed, s.closed);
  }
  return { stalledMb: median(stalled) - median(plain), plainMb: median(plain), closed };
}
