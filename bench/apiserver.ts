/**
 * `pnpm bench:apiserver`: the API server under load from 32 concurrent clients (creates,
 * gets, lists of 1,000 pods, watch latency with 100 watchers), and the wall time of
 * `mkctl get pods` next to the stock `kubectl get pods` against the same server.
 * Prints a table, then one JSON line last. Everything talks to 127.0.0.1 only, and every
 * loop is bounded in count and time.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startApiServer } from '@minik8s/apiserver';
import { kubeconfigTls } from '@minik8s/client/kube';
import { Pool } from 'undici';
import { patchCopy, stalledWatchers } from './apiserver-hostile.ts';

const CONCURRENCY = 32;
const PODS = 1000;

const nowMs = () => performance.now();
const p99 = (xs: number[]) => Float64Array.from(xs).sort()[Math.min(xs.length - 1, Math.floor(xs.length * 0.99))] ?? 0;

async function run(n: number, concurrency: number, op: (i: number) => Promise<void>, seconds = 30): Promise<number> {
  let next = 0;
  let done = 0;
  const start = nowMs();
  const end = start + seconds * 1000;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < n && nowMs() < end) {
        await op(next++);
        done++;
      }
    }),
  );
  return done / ((nowMs() - start) / 1000);
}

function pod(name: string) {
  return JSON.stringify({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, labels: { app: 'bench' } },
    spec: { containers: [{ name: 'c', image: 'busybox:1.36', command: ['sleep', '3600'] }] },
  });
}

/** Median wall time of a command, over `n` runs (asynchronously: the server shares this process). */
async function timeCommand(cmd: string, args: string[], env: NodeJS.ProcessEnv, n = 5): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = nowMs();
    await promisify(execFile)(cmd, args, { env, timeout: 60_000 });
    times.push((nowMs() - t) / 1000);
  }
  return times.sort((a, b) => a - b)[Math.floor(n / 2)]!;
}

async function main() {
  const dir = mkdtempSync(join(tmpdir(), 'bench-apiserver-'));
  const server = await startApiServer({ dataDir: join(dir, 'data'), securePort: 0 });
  const connect = kubeconfigTls(server.kubeconfigPath);
  const pool = new Pool(server.url, { connections: CONCURRENCY, connect });
  // Each watch holds a connection for its whole life: they get their own pool.
  const watchPool = new Pool(server.url, { connections: 101, connect });
  const call = async (method: 'GET' | 'POST', path: string, body?: string) => {
    const r = await pool.request({ method, path, body, headers: body ? { 'content-type': 'application/json' } : {} });
    if (r.statusCode >= 300) throw new Error(`${method} ${path}: ${r.statusCode} ${await r.body.text()}`);
    await r.body.dump();
  };
  try {
    process.stderr.write('warming up...\n');
    await run(500, CONCURRENCY, (i) => call('POST', '/api/v1/namespaces/kube-public/pods', pod(`warm-${i}`)));
    await run(2000, CONCURRENCY, (i) => call('GET', `/api/v1/namespaces/kube-public/pods/warm-${i % 500}`));

    process.stderr.write(`creating ${PODS} pods from ${CONCURRENCY} clients...\n`);
    const creates = await run(PODS, CONCURRENCY, (i) => call('POST', '/api/v1/namespaces/default/pods', pod(`p-${i}`)));
    process.stderr.write('getting...\n');
    const gets = await run(20_000, CONCURRENCY, (i) => call('GET', `/api/v1/namespaces/default/pods/p-${i % PODS}`), 10);
    process.stderr.write(`listing ${PODS} pods...\n`);
    const lists = await run(200, CONCURRENCY, () => call('GET', '/api/v1/namespaces/default/pods'), 10);

    process.stderr.write('watch latency with 100 watchers...\n');
    const watchP99 = await watchLatency(pool, watchPool, 100, 200);

    process.stderr.write('refusing the 26-copy JSON patch...\n');
    const patch = await patchCopy(pool);
    process.stderr.write('1,000 updates of 100 KiB, without and with 4 stalled watchers...\n');
    const stalled = await stalledWatchers();

    process.stderr.write('mkctl get pods vs kubectl get pods...\n');
    const env = { ...process.env, KUBECONFIG: server.kubeconfigPath, HOME: dir };
    const kubectlGet = await timeCommand('kubectl', ['get', 'pods'], env);
    const mkctl = join(import.meta.dirname, '..', 'packages', 'kubectl', 'dist', 'cli.cjs');
    const mkctlGet = await timeCommand(process.execPath, [mkctl, 'get', 'pods'], env);
    // The same for a short answer (4 namespaces), where start-up is all there is.
    const kubectlGetNs = await timeCommand('kubectl', ['get', 'namespaces'], env);
    const mkctlGetNs = await timeCommand(process.execPath, [mkctl, 'get', 'namespaces'], env);

    const rows: Array<[string, string]> = [
      ['creates/s (32 clients)', creates.toFixed(0)],
      ['gets/s (32 clients)', gets.toFixed(0)],
      [`lists/s of ${PODS} pods`, lists.toFixed(1)],
      ['watch p99 ms (100 watchers)', watchP99.toFixed(1)],
      ['patch_copy_26 ms (refused)', patch.copy26Ms.toFixed(1)],
      ['one-op patch ms', patch.smallMs.toFixed(1)],
      ['RSS MB, 1,000 x 100 KiB updates', stalled.plainMb.toFixed(1)],
      ['  the same, 4 stalled watchers', stalled.stalledMb.toFixed(1)],
      ['  stalled watchers closed', `${stalled.closed}/4`],
      ['mkctl get pods s', mkctlGet.toFixed(3)],
      ['kubectl get pods s', kubectlGet.toFixed(3)],
      ['mkctl get namespaces s', mkctlGetNs.toFixed(3)],
      ['kubectl get namespaces s', kubectlGetNs.toFixed(3)],
    ];
    for (const [k, v] of rows) console.log(`${k.padEnd(30)} ${v.padStart(10)}`);
    console.log(
      JSON.stringify({
        creates_per_s: Math.round(creates),
        gets_per_s: Math.round(gets),
        lists_per_s: Number(lists.toFixed(1)),
        watch_p99_ms: Number(watchP99.toFixed(1)),
        mkctl_get_s: Number(mkctlGet.toFixed(3)),
        kubectl_get_s: Number(kubectlGet.toFixed(3)),
        patch_copy_26_ms: Number(patch.copy26Ms.toFixed(1)),
        patch_small_ms: Number(patch.smallMs.toFixed(1)),
        stalled_watchers_rss_mb: Number(stalled.stalledMb.toFixed(1)),
        updates_rss_mb: Number(stalled.plainMb.toFixed(1)),
        stalled_watchers_closed: stalled.closed,
      }),
    );
  } finally {
    await pool.close();
    await watchPool.destroy();
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * 100 watchers on the configmaps of one namespace; `events` updates, each stamped with
 * its send time; latency = delivery time - send time, over every delivery.
 */
async function watchLatency(pool: Pool, watchPool: Pool, watchers: number, events: number): Promise<number> {
  await pool
    .request({
      method: 'POST',
      path: '/api/v1/namespaces/default/configmaps',
      body: JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'tick' }, data: { t: '0' } }),
      headers: { 'content-type': 'application/json' },
    })
    .then((r) => r.body.dump());
  const lat: number[] = [];
  const controllers: AbortController[] = [];
  let delivered = 0;
  const streams = await Promise.all(
    Array.from({ length: watchers }, async () => {
      const ac = new AbortController();
      controllers.push(ac);
      const res = await watchPool.request({
        method: 'GET',
        path: '/api/v1/namespaces/default/configmaps?watch=true&fieldSelector=metadata.name%3Dtick&resourceVersion=0',
        signal: ac.signal,
      });
      return res.body;
    }),
  );
  for (const body of streams) {
    void (async () => {
      let buf = '';
      try {
        for await (const chunk of body) {
          buf += chunk.toString();
          const lines = buf.split('\n');
          buf = lines.pop()!;
          for (const line of lines) {
            const e = JSON.parse(line);
            if (e.type !== 'MODIFIED') continue;
            lat.push(nowMs() - Number(e.object.data.t));
            delivered++;
          }
        }
      } catch {
        // aborted at the end
      }
    })();
  }
  await new Promise((r) => setTimeout(r, 300));
  for (let i = 0; i < events; i++) {
    const body = JSON.stringify({ data: { t: nowMs().toFixed(3) } });
    const r = await pool.request({
      method: 'PATCH',
      path: '/api/v1/namespaces/default/configmaps/tick',
      body,
      headers: { 'content-type': 'application/merge-patch+json' },
    });
    await r.body.dump();
  }
  const deadline = nowMs() + 30_000;
  while (delivered < watchers * events && nowMs() < deadline) await new Promise((r) => setTimeout(r, 20));
  for (const ac of controllers) ac.abort();
  if (delivered < watchers * events) throw new Error(`only ${delivered} of ${watchers * events} watch events arrived`);
  return p99(lat);
}

// A promise nothing can settle would otherwise let Node exit quietly with 0.
const guard = setInterval(() => {}, 1 << 30);
main()
  .then(() => clearInterval(guard))
  .catch((e) => {
    console.error(e);
    process.exit(1);
  });
