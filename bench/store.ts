/**
 * `pnpm bench:store`: the same workloads against etcdlite and a real etcd, in one run,
 * both as their own processes, both over their HTTP JSON API, through the same client
 * (@minik8s/client/etcd), both syncing every acknowledged write to disk.
 * Prints a table, then one JSON line last.
 *
 * Every loop is bounded in count and in time, and talks only to 127.0.0.1.
 */
import { EtcdClient } from '@minik8s/client/etcd';
import { type RunningStore, startEtcdliteProcess, startEtcdProcess } from '@minik8s/etcdlite/testing';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 3);
/** Unmeasured run before each measurement, so both servers are warm (JIT, caches, files). */
const WARMUP_SECONDS = Number(process.env.BENCH_WARMUP_SECONDS ?? 2);
const VALUE = Buffer.alloc(1024, 'v');

interface Result {
  opsPerSec: number;
  p99Ms: number;
}

type Workload = (c: EtcdClient, url: string) => Promise<Result>;

function p99(samples: number[]): number {
  if (samples.length === 0) return 0;
  const sorted = Float64Array.from(samples).sort();
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * 0.99))]!;
}

const nowMs = () => performance.now();

/** Runs `op` unmeasured for WARMUP_SECONDS, then measured until `SECONDS` pass or `maxOps` are done. */
async function timed(concurrency: number, maxOps: number, op: (i: number) => Promise<unknown>): Promise<Result> {
  await run(concurrency, maxOps, (i) => op(maxOps + i), WARMUP_SECONDS);
  return run(concurrency, maxOps, op, SECONDS);
}

/** Runs `op` from `concurrency` loops until `seconds` pass or `maxOps` are done. */
async function run(concurrency: number, maxOps: number, op: (i: number) => Promise<unknown>, seconds: number): Promise<Result> {
  const lat: number[] = [];
  let next = 0;
  const start = nowMs();
  const end = start + seconds * 1000;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < maxOps && nowMs() < end) {
        const i = next++;
        const t = nowMs();
        await op(i);
        lat.push(nowMs() - t);
      }
    }),
  );
  const elapsed = (nowMs() - start) / 1000;
  return { opsPerSec: lat.length / elapsed, p99Ms: p99(lat) };
}

const workloads: Record<string, Workload> = {
  put_sequential_1k: (c) => timed(1, 100_000, (i) => c.put(`bench/seq/${i}`, VALUE)),
  put_32_concurrent_1k: (c) => timed(32, 500_000, (i) => c.put(`bench/par/${i}`, VALUE)),
  get_single_key: async (c) => {
    await c.put('bench/get', VALUE);
    return timed(1, 200_000, () => c.range('bench/get'));
  },
  get_single_key_32_concurrent: async (c) => {
    await c.put('bench/get', VALUE);
    return timed(32, 1_000_000, () => c.range('bench/get'));
  },
  range_prefix_1000_keys: async (c) => {
    await Promise.all(Array.from({ length: 1000 }, (_, i) => c.put(`bench/range/${String(i).padStart(4, '0')}`, VALUE)));
    return timed(1, 10_000, async () => {
      const r = await c.range('bench/range/', { prefix: true });
      if (r.kvs.length !== 1000) throw new Error(`range returned ${r.kvs.length} keys`);
    });
  },
  watch_100_watchers: (c) => watchFanOut(c, 100),
};

/**
 * 100 watchers on one prefix; 32 writers put `events` keys carrying their send time.
 * Reports deliveries per second (events x watchers) and the p99 of put-sent-to-delivered.
 * A first, unmeasured round of `warmup` events warms both ends up.
 */
async function watchFanOut(c: EtcdClient, watchers: number): Promise<Result> {
  const warmup = 500;
  const events = 2000;
  const lat: number[] = [];
  let delivered = 0;
  let start = 0;
  const watches = Array.from({ length: watchers }, () => c.watch('bench/watch/', { prefix: true }));
  await Promise.all(watches.map((w) => w.created));
  const seenBy: number[] = [];
  const done = watches.map(async (w, wi) => {
    let seen = 0;
    for await (const r of w) {
      const at = nowMs();
      for (const e of r.events) {
        seen++;
        if (seen <= warmup) continue;
        lat.push(at - Number(e.kv.value.subarray(0, 24).toString()));
        delivered++;
      }
      seenBy[wi] = seen;
      if (seen >= warmup + events) break;
    }
  });
  const stamped = (i: number) => c.put(`bench/watch/${i}`, Buffer.concat([Buffer.from(nowMs().toFixed(3).padEnd(24)), VALUE]));
  await run(32, warmup, stamped, 60);
  await until(() => seenBy.length === watchers && seenBy.every((n) => n >= warmup), 60_000);
  start = nowMs();
  await run(32, events, (i) => stamped(warmup + i), 60);
  await Promise.race([Promise.all(done), new Promise((r) => setTimeout(r, 60_000))]);
  const elapsed = (nowMs() - start) / 1000;
  for (const w of watches) w.cancel();
  if (delivered < events * watchers) {
    throw new Error(`only ${delivered} of ${events * watchers} events delivered in ${elapsed.toFixed(1)} s: ${seenBy.join(' ')}`);
  }
  return { opsPerSec: delivered / elapsed, p99Ms: p99(lat) };
}

async function until(cond: () => boolean, timeoutMs: number): Promise<void> {
  const end = nowMs() + timeoutMs;
  while (!cond()) {
    if (nowMs() > end) throw new Error('timed out waiting for the warm-up events');
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** BENCH_ONLY=a,b runs only those workloads. */
function selected(): Array<[string, Workload]> {
  const only = process.env.BENCH_ONLY?.split(',');
  return Object.entries(workloads).filter(([w]) => !only || only.includes(w));
}

async function runAll(name: string, start: () => Promise<RunningStore>): Promise<Record<string, Result>> {
  const out: Record<string, Result> = {};
  for (const [w, fn] of selected()) {
    // A fresh server per workload, so no workload pays for another's data.
    const server = await start();
    const client = new EtcdClient({ endpoint: server.url, connections: 32 });
    try {
      process.stderr.write(`  ${name.padEnd(9)} ${w} ...`);
      out[w] = await fn(client, server.url);
      process.stderr.write(` ${out[w]!.opsPerSec.toFixed(0)}/s\n`);
    } finally {
      await client.close();
      await server.close();
    }
  }
  return out;
}

async function main() {
  process.stderr.write(`store benchmark: ${SECONDS} s per workload, each on a fresh server\n`);
  const lite = await runAll('etcdlite', startEtcdliteProcess);
  const etcd = await runAll('etcd', startEtcdProcess);
  const report: Record<string, unknown> = {};
  const rows: string[][] = [['workload', 'etcdlite ops/s', 'etcd ops/s', 'ratio', 'etcdlite p99 ms', 'etcd p99 ms']];
  for (const [w] of selected()) {
    const a = lite[w]!;
    const b = etcd[w]!;
    const ratio = a.opsPerSec / b.opsPerSec;
    rows.push([w, a.opsPerSec.toFixed(0), b.opsPerSec.toFixed(0), ratio.toFixed(2), a.p99Ms.toFixed(2), b.p99Ms.toFixed(2)]);
    report[w] = {
      etcdlite: Math.round(a.opsPerSec),
      etcd: Math.round(b.opsPerSec),
      ratio: Number(ratio.toFixed(2)),
      p99_ms: { etcdlite: Number(a.p99Ms.toFixed(2)), etcd: Number(b.p99Ms.toFixed(2)) },
    };
  }
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  for (const r of rows) console.log(r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  '));
  console.log(JSON.stringify({ workloads: report }));
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
