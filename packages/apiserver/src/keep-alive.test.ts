/**
 * Writes with bodies of 16 KiB and more, many on one keep-alive connection, all succeed
 * and are all applied, through undici and through Node's https agent. The clients run
 * in a worker thread, as a real client runs in another process: sharing the server's
 * event loop would let every response drain before the next request arrives.
 */
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { kubeconfigTls } from '@minik8s/client/kube';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApiServer, type TestApiServer } from './testing/cluster.ts';

const SIZES = [16 * 1024, 32 * 1024, 100 * 1024];
const WRITES = 200;

/** Sends WRITES writes of a ConfigMap (a POST, then PUTs) one after another; posts the statuses. */
const CLIENT = `
const { parentPort, workerData: w } = require('node:worker_threads');
const https = require('node:https');
const base = '/api/v1/namespaces/default/configmaps';
const body = (i) => JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: w.name }, data: { i: String(i), pad: 'x'.repeat(w.sizes[i % w.sizes.length]) } });
const errorOf = (e) => e.code ?? e.message;
async function viaUndici() {
  const { Client } = require(w.undici);
  const client = new Client(w.url, { connect: w.tls });
  const statuses = [];
  for (let i = 0; i < w.writes; i++) {
    try {
      const res = await client.request({ method: i === 0 ? 'POST' : 'PUT', path: i === 0 ? base : base + '/' + w.name, body: body(i), headers: { 'content-type': 'application/json' } });
      await res.body.dump();
      statuses.push(res.statusCode);
    } catch (e) { statuses.push(errorOf(e)); }
  }
  await client.close();
  return { statuses, sockets: 1 };
}
async function viaHttps() {
  const agent = new https.Agent({ ...w.tls, keepAlive: true, maxSockets: 1 });
  const sockets = new Set();
  const statuses = [];
  for (let i = 0; i < w.writes; i++) {
    const b = body(i);
    statuses.push(await new Promise((resolve) => {
      const req = https.request(w.url + (i === 0 ? base : base + '/' + w.name), { method: i === 0 ? 'POST' : 'PUT', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(b) } }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode));
      });
      req.on('socket', (s) => sockets.add(s));
      req.on('error', (e) => resolve(errorOf(e)));
      req.end(b);
    }));
  }
  agent.destroy();
  return { statuses, sockets: sockets.size };
}
(w.via === 'undici' ? viaUndici() : viaHttps()).then((r) => parentPort.postMessage(r));
`;

describe('large bodies on one keep-alive connection', () => {
  let s: TestApiServer;
  let tls: { ca: string; cert: string; key: string };

  beforeAll(async () => {
    s = await startTestApiServer();
    tls = kubeconfigTls(s.kubeconfigPath);
  });
  afterAll(async () => {
    await s?.close();
  });

  async function writes(via: 'undici' | 'https', name: string) {
    const undici = pathToFileURL(createRequire(import.meta.url).resolve('undici')).pathname;
    const worker = new Worker(CLIENT, { eval: true, workerData: { via, name, url: s.url, tls, sizes: SIZES, writes: WRITES, undici } });
    try {
      const r = await new Promise<{ statuses: Array<number | string>; sockets: number }>((resolve, reject) => {
        worker.once('message', resolve);
        worker.once('error', reject);
      });
      const stored = await s.client.request<{ data: { i: string } }>({ path: `/api/v1/namespaces/default/configmaps/${name}` });
      return {
        failed: r.statuses.map((c, i) => ({ i, c })).filter(({ c }) => typeof c !== 'number' || c < 200 || c > 299),
        sockets: r.sockets,
        last: stored.data.i,
      };
    } finally {
      await worker.terminate();
    }
  }

  it('undici, one connection: every write is 2xx and applied', async () => {
    const r = await writes('undici', 'ka-undici');
    expect(r.failed).toEqual([]);
    expect(r.last).toBe(String(WRITES - 1));
  }, 60_000);

  it('node https, keep-alive agent with one socket: every write is 2xx and applied', async () => {
    const r = await writes('https', 'ka-https');
    expect(r.failed).toEqual([]);
    expect(r.sockets).toBe(1);
    expect(r.last).toBe(String(WRITES - 1));
  }, 60_000);
});
