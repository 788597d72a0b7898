/**
 * The fuzz suite: a few thousand seeded requests against a real in-process API server —
 * JSON, YAML and protobuf bodies made from a valid object of every registered kind and
 * mutated, every verb and subresource, the four patch types, mutated query parameters
 * and paths — and four checks over the run:
 *   1. every answer is 2xx, or a 4xx whose body is a metav1.Status with that code, a
 *      reason and a message: never a 5xx (but for the two upstream gives too, see
 *      `allowed5xx`);
 *   2. a 4xx (and a dry run, and a read) leaves the store's revision where it was;
 *   3. what the run leaves live on the heap after a full collection stays under
 *      HEAP_GROWTH_LIMIT (a leak), and the process's RSS under RSS_GROWTH_LIMIT (runaway
 *      growth such as an amplifying request);
 *   4. no request blocks the event loop for MAX_EVENT_LOOP_DELAY_MS or more (GC pauses
 *      and waits without the CPU to account for them are logged, not counted).
 * MINIK8S_FUZZ_SEED and MINIK8S_FUZZ_ITERATIONS override the seed and the count; every
 * failure names the seed, the iteration and the request, and how to replay the run.
 */
import { join } from 'node:path';
import { monitorEventLoopDelay, PerformanceObserver } from 'node:perf_hooks';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Registry } from '@minik8s/api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { yamlWorkerMs } from '../plugins/yaml-decoder.ts';
import { startTestApiServer, type TestApiServer } from '../testing/cluster.ts';
import { Rng } from './prng.ts';
import { type FuzzRequest, generateRequest, VERBS, WORK_NAMESPACES } from './requests.ts';
import { type FuzzResponse, Sender } from './send.ts';

const SEED = Number(process.env.MINIK8S_FUZZ_SEED ?? 0x6b38) >>> 0;
const ITERATIONS = Number(process.env.MINIK8S_FUZZ_ITERATIONS ?? 3000);
/**
 * RSS is this process's: the server's, its embedded store's and the fuzzer's, and V8 grows
 * its heap into garbage it collects later (120 to 260 MiB over 3,000 requests), so this
 * bound is for runaway growth; the heap check below is the one that sees a leak.
 */
const RSS_GROWTH_LIMIT = 384 * 1024 * 1024;
/** Live heap after a full collection, end against start: a few KiB kept per request (3,000 of them) would pass it, every body kept would not. */
const HEAP_GROWTH_LIMIT = 64 * 1024 * 1024;
const MAX_EVENT_LOOP_DELAY_MS = 100;

const hex = (n: number) => `0x${n.toString(16)}`;

/** A full garbage collection, then the heap still in use (the flag lets a new context see `gc`). */
function liveHeapAfterGc(): number {
  setFlagsFromString('--expose-gc');
  (runInNewContext('gc') as () => void)();
  return process.memoryUsage().heapUsed;
}

/** What a failure message needs to reproduce the request. */
function describeRequest(i: number, r: FuzzRequest, res?: FuzzResponse): string {
  const body =
    r.body === undefined
      ? '(none)'
      : `${JSON.stringify(r.body.subarray(0, 240).toString('latin1'))}${r.body.length > 240 ? `... (${r.body.length} bytes)` : ''}`;
  const answer = res ? ` -> ${res.status} ${JSON.stringify(res.body.subarray(0, 300).toString('utf8'))}` : '';
  return (
    `seed=${hex(SEED)} iteration=${i} [${r.what}] ${r.method} ${r.path} content-type=${r.contentType ?? '(none)'} accept=${r.accept} body=${body}${answer}\n` +
    `  replay: MINIK8S_FUZZ_SEED=${hex(SEED)} MINIK8S_FUZZ_ITERATIONS=${i + 1} npx vitest run packages/apiserver/src/fuzz/api-server.test.ts`
  );
}

/** What is wrong with a 4xx answer's body, if anything: it must be a metav1.Status for that code. */
function statusProblem(res: FuzzResponse): string | undefined {
  let s: Record<string, unknown>;
  try {
    s = JSON.parse(res.body.toString('utf8'));
  } catch {
    return 'the body is not JSON';
  }
  const want = { kind: 'Status', apiVersion: 'v1', status: 'Failure', code: res.status };
  for (const [k, v] of Object.entries(want)) if (s[k] !== v) return `${k} is ${JSON.stringify(s[k])}, not ${JSON.stringify(v)}`;
  if (typeof s.reason !== 'string' || !s.reason) return 'it has no reason';
  if (typeof s.message !== 'string' || !s.message) return 'it has no message';
  if (!/^application\/json/.test(String(res.headers['content-type']))) return `its content-type is ${res.headers['content-type']}`;
  return undefined;
}

/**
 * The two 5xx upstream answers too: pods/log when the Pod's Node has no address to reach
 * its kubelet at (500), and a read at a resourceVersion the store has not reached after
 * waiting 3 s for it (504 `Too large resource version`, reason Timeout).
 */
function allowed5xx(r: FuzzRequest, res: FuzzResponse): boolean {
  let s: { message?: string; reason?: string };
  try {
    s = JSON.parse(res.body.toString('utf8'));
  } catch {
    return false;
  }
  if (res.status === 500) return /\/log(\?|$)/.test(r.path) && /^no preferred addresses found/.test(s.message ?? '');
  return res.status === 504 && s.reason === 'Timeout' && /^Too large resource version: /.test(s.message ?? '') && /[?&]resourceVersion=/.test(r.path);
}

describe(`API server fuzz (seed ${hex(SEED)}, ${ITERATIONS} requests)`, () => {
  let s: TestApiServer;
  let sender: Sender;
  const failures = { answers: [] as string[], writes: [] as string[], stalls: [] as string[] };
  /** Stalls the server's code cannot account for: the machine busy elsewhere, or GC. */
  const descheduled: string[] = [];
  /** Requests after which the store's revision had moved: the probe must see the writes that succeed. */
  let revisionMoves = 0;
  let rssGrowth = 0;
  let heapGrowth = 0;
  let maxDelayMs = 0;
  const counts = new Map<string, number>();
  /** `kind verb` of every request sent. */
  const sent = new Set<string>();

  /** The store's current revision. */
  const revision = async () => (await s.etcd.range('/registry/', { prefix: true, limit: 1, keysOnly: true })).header.revision;

  /**
   * The changes between two revisions that the request cannot explain away: the server's
   * namespace lifecycle deletes the contents of a Terminating namespace, then the
   * namespace, in the background; a change to a namespace Terminating before the request
   * (or to one of its objects) is that, anything else was the request.
   */
  const unexplainedChanges = async (before: number, after: number): Promise<string[]> => {
    const w = s.etcd.watch('/registry/', { prefix: true, startRevision: before + 1, prevKv: true });
    const out: string[] = [];
    try {
      for await (const resp of w) {
        for (const e of resp.events) {
          if (e.kv.modRevision > after) continue;
          const value = e.type === 'PUT' ? e.kv.value : e.prevKv?.value;
          const obj = value ? JSON.parse(value.toString('utf8')) : undefined;
          const ns = obj?.kind === 'Namespace' ? obj.metadata.name : obj?.metadata?.namespace;
          const then = ns ? await s.etcd.get(`/registry/namespaces/${ns}`, { revision: before }) : undefined;
          const terminating = then && JSON.parse(then.value.toString('utf8')).metadata?.deletionTimestamp;
          if (!terminating) out.push(`${e.type} ${e.kv.key.toString('utf8')} at revision ${e.kv.modRevision}`);
        }
        if (resp.header.revision >= after && resp.events.some((e) => e.kv.modRevision >= after)) break;
      }
    } finally {
      w.cancel();
    }
    return out;
  };

  beforeAll(async () => {
    // The watch cache keeps every event until 64 MiB of objects by default, which would
    // look like a leak here: an 8 MiB window is full early, so growth after that is not it.
    s = await startTestApiServer({ watchCache: { maxBytes: 8 * 1024 * 1024 } });
    sender = new Sender(new URL(s.url), join(s.dir, 'data', 'pki'));
    await s.client.requestRaw({
      method: 'POST',
      path: '/api/v1/namespaces',
      body: JSON.stringify({ metadata: { name: 'fuzz' } }),
      contentType: 'application/json',
    });
    const resources = new Registry().resources;
    const delay = monitorEventLoopDelay({ resolution: 10 });
    // Garbage collection pauses, to tell a stall of the collector from one of the server's code.
    const pauses: Array<{ start: number; ms: number }> = [];
    const gc = new PerformanceObserver((list) => {
      for (const e of list.getEntries()) pauses.push({ start: e.startTime, ms: e.duration });
    });
    /** Stalls of 100 ms or more, judged once every GC pause has been reported. */
    const suspects: Array<{ stalled: number; cpuMs: number; from: number; to: number; what: string; i: number }> = [];
    const heapStart = liveHeapAfterGc();
    gc.observe({ entryTypes: ['gc'] });
    const rssStart = process.memoryUsage().rss;
    let rssMax = rssStart;
    const rssTrace: string[] = [];
    const started = performance.now();
    delay.enable();
    for (let i = 0; i < ITERATIONS; i++) {
      const req = generateRequest(Rng.forIteration(SEED, i), i, resources);
      sent.add(`${req.kind} ${req.verb}`);
      const before = await revision();
      delay.reset();
      const from = performance.now();
      const cpu = process.cpuUsage();
      const yamlMs = yamlWorkerMs();
      let res: FuzzResponse | undefined;
      let error: Error | undefined;
      try {
        res = await sender.send(req);
      } catch (e) {
        error = e as Error;
      }
      const after = await revision();
      const stalled = delay.max / 1e6;
      const used = process.cpuUsage(cpu);
      // The process's CPU time, less what the YAML worker thread spent decoding (off the event loop).
      const cpuMs = Math.max(0, (used.user + used.system) / 1000 - (yamlWorkerMs() - yamlMs));
      maxDelayMs = Math.max(maxDelayMs, stalled);
      if (stalled >= MAX_EVENT_LOOP_DELAY_MS) suspects.push({ stalled, cpuMs, from, to: performance.now(), what: describeRequest(i, req, res), i });
      if (!res) {
        failures.answers.push(`no answer (${error?.message}): ${describeRequest(i, req)}`);
        continue;
      }
      const bucket = res.status >= 500 ? '5xx' : String(res.status);
      counts.set(bucket, (counts.get(bucket) ?? 0) + 1);
      if (res.status >= 500 && !allowed5xx(req, res)) failures.answers.push(`a ${res.status}: ${describeRequest(i, req, res)}`);
      else if (res.status >= 400) {
        const problem = statusProblem(res);
        if (problem) failures.answers.push(`a ${res.status} that is not a proper Status (${problem}): ${describeRequest(i, req, res)}`);
      } else if (res.status < 200 || res.status >= 300) failures.answers.push(`a ${res.status}: ${describeRequest(i, req, res)}`);
      if (after !== before) revisionMoves++;
      const mustNotWrite = (res.status >= 400 && res.status < 500) || (res.status < 300 && (req.dryRun || req.method === 'GET'));
      if (mustNotWrite && after !== before) {
        const changes = await unexplainedChanges(before, after);
        if (changes.length) failures.writes.push(`a ${res.status} changed the store (${changes.join('; ')}): ${describeRequest(i, req, res)}`);
      }
      if (i % 50 === 0) rssMax = Math.max(rssMax, process.memoryUsage().rss);
      if (i % 500 === 499) {
        const m = process.memoryUsage();
        rssTrace.push(
          `${i + 1}: rss +${((m.rss - rssStart) / 2 ** 20).toFixed(0)} heap ${(m.heapUsed / 2 ** 20).toFixed(0)} ext ${(m.external / 2 ** 20).toFixed(0)} MiB`,
        );
      }
    }
    delay.disable();
    // Let the observer report the last pauses, then judge each stall: code that blocks the
    // loop for 100 ms uses 100 ms of CPU, so a longer wait with less CPU is this process not
    // being run (two cores, shared with other test files); and a GC pause is the whole
    // process's (the fuzzer's megabyte strings share the heap), so it is left out of the
    // server's part of a stall. Both are logged.
    await new Promise((r) => setTimeout(r, 100));
    gc.disconnect();
    const gcMs = pauses.reduce((a, p) => a + p.ms, 0);
    for (const x of suspects) {
      const gcIn = pauses.filter((p) => p.start >= x.from - 1 && p.start <= x.to).reduce((a, p) => a + p.ms, 0);
      const own = x.stalled - gcIn;
      const what = `the event loop stalled ${x.stalled.toFixed(0)} ms (${gcIn.toFixed(0)} ms of it GC), with ${x.cpuMs.toFixed(0)} ms of CPU used`;
      if (own >= MAX_EVENT_LOOP_DELAY_MS && x.cpuMs >= MAX_EVENT_LOOP_DELAY_MS) failures.stalls.push(`${what}: ${x.what}`);
      else descheduled.push(`${what}: iteration ${x.i}`);
    }
    rssMax = Math.max(rssMax, process.memoryUsage().rss);
    rssGrowth = rssMax - rssStart;
    heapGrowth = liveHeapAfterGc() - heapStart;
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    const summary = [...counts]
      .sort()
      .map(([k, v]) => `${k}:${v}`)
      .join(' ');
    console.log(`memory: ${rssTrace.join('; ')}`);
    if (descheduled.length) console.log(`stalls of GC or of a busy machine (not counted):\n${descheduled.join('\n')}`);
    console.log(
      `fuzz seed=${hex(SEED)}: ${ITERATIONS} requests in ${seconds} s; answers ${summary}; RSS +${(rssGrowth / 2 ** 20).toFixed(0)} MiB; live heap after a full GC +${(heapGrowth / 2 ** 20).toFixed(0)} MiB; event loop max delay ${maxDelayMs.toFixed(1)} ms; GC ${gcMs.toFixed(0)} ms in all`,
    );
  }, 180_000);

  afterAll(async () => {
    sender?.close();
    await s?.close();
  });

  it('sends every verb to every registered kind', () => {
    const missing = new Registry().resources.flatMap((r) => VERBS.map(([, v]) => `${r.kind} ${v}`)).filter((k) => !sent.has(k));
    expect(missing, `MINIK8S_FUZZ_ITERATIONS=${ITERATIONS} is too few to send every verb to every kind`).toEqual([]);
  });

  it('answers every request with a 2xx, or a 4xx Status of that code with a reason and a message; never a 5xx', () => {
    expect(failures.answers, `${failures.answers.length} bad answers; the first:\n${failures.answers.slice(0, 5).join('\n')}`).toEqual([]);
  });

  it('leaves the store as it was after every 4xx, dry run and read', () => {
    // The probe itself: successful writes do move the revision it reads.
    expect(revisionMoves).toBeGreaterThan(ITERATIONS / 20);
    expect(failures.writes, `${failures.writes.length} unexpected writes; the first:\n${failures.writes.slice(0, 5).join('\n')}`).toEqual([]);
  });

  it(`keeps what stays live on the heap after a full collection within ${HEAP_GROWTH_LIMIT / 2 ** 20} MiB of where it started`, () => {
    expect(heapGrowth, `the live heap grew by ${(heapGrowth / 2 ** 20).toFixed(0)} MiB over seed ${hex(SEED)}'s ${ITERATIONS} requests`).toBeLessThan(
      HEAP_GROWTH_LIMIT,
    );
  });

  it(`keeps the RSS growth under ${RSS_GROWTH_LIMIT / 2 ** 20} MiB`, () => {
    expect(rssGrowth, `RSS grew by ${(rssGrowth / 2 ** 20).toFixed(0)} MiB over seed ${hex(SEED)}'s ${ITERATIONS} requests`).toBeLessThan(RSS_GROWTH_LIMIT);
  });

  it(`never blocks the event loop for ${MAX_EVENT_LOOP_DELAY_MS} ms or more`, () => {
    expect(
      failures.stalls,
      `${failures.stalls.length} stalls (the longest ${maxDelayMs.toFixed(0)} ms); the first:\n${failures.stalls.slice(0, 5).join('\n')}`,
    ).toEqual([]);
  });

  it('keeps the namespaces it works in', async () => {
    // A fuzzer that lost its namespace would go on sending requests that all fail alike.
    for (const ns of WORK_NAMESPACES) {
      const r = await s.client.requestRaw({ path: `/api/v1/namespaces/${ns}` });
      expect(JSON.parse(r.body.toString('utf8')).metadata?.deletionTimestamp, ns).toBeUndefined();
    }
  });
});
