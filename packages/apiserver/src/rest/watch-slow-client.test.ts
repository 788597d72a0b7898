/**
 * A watcher that stops reading is cut off instead of growing the server: the server
 * closes its connection once its queue passes the bound, while a watcher alongside
 * that reads keeps receiving every event.
 */
import type { IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { Writable } from 'node:stream';
import { kubeconfigTls } from '@minik8s/client/kube';
import { eventually } from '@minik8s/testing';
import { pino } from 'pino';
import { Agent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApiServer, type TestApiServer } from '../testing/cluster.ts';
import { WATCH_BUFFER_BYTES } from './watch.ts';

const UPDATES = 1000;
const PAD = 'x'.repeat(100 * 1024);
const PATH = '/api/v1/namespaces/default/configmaps';

describe('a watcher that stops reading', () => {
  let s: TestApiServer;
  let tls: { ca: string; cert: string; key: string };
  let agent: Agent;
  const warnings: Array<{ msg: string; bufferedBytes?: number }> = [];

  beforeAll(async () => {
    const logs = new Writable({
      write(line, _enc, done) {
        warnings.push(JSON.parse(line.toString()));
        done();
      },
    });
    s = await startTestApiServer({ logger: pino({ level: 'warn' }, logs) });
    tls = kubeconfigTls(s.kubeconfigPath);
    agent = new Agent({ connect: tls });
  });
  afterAll(async () => {
    await agent?.close();
    await s?.close();
  });

  const write = async (method: 'POST' | 'PUT', i: number) => {
    const body = JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'busy' }, data: { i: String(i), pad: PAD } });
    const res = await request(`${s.url}${PATH}${method === 'PUT' ? '/busy' : ''}`, {
      method,
      body,
      headers: { 'content-type': 'application/json' },
      dispatcher: agent,
    });
    const text = await res.body.text();
    expect(res.statusCode, text.slice(0, 200)).toBeLessThan(300);
    return JSON.parse(text) as { metadata: { resourceVersion: string } };
  };

  /** A raw watch of the ConfigMap from `rv`, on a connection of its own. */
  const watch = (rv: string) =>
    new Promise<IncomingMessage>((resolve, reject) => {
      const req = httpsRequest(`${s.url}${PATH}?watch=true&fieldSelector=metadata.name%3Dbusy&resourceVersion=${rv}`, { ...tls, agent: false }, resolve);
      req.on('error', reject);
      req.end();
    });

  it('is closed by the server, while a reading watcher gets every event', async () => {
    const created = await write('POST', 0);
    const rv = created.metadata.resourceVersion;

    const reading = await watch(rv);
    const seen: number[] = [];
    let rest = '';
    reading.setEncoding('utf8');
    reading.on('data', (chunk: string) => {
      const lines = (rest + chunk).split('\n');
      rest = lines.pop() ?? '';
      for (const l of lines) seen.push(Number(JSON.parse(l).object.data.i));
    });

    const stalled = await watch(rv);
    stalled.pause();
    stalled.socket.pause();
    let stalledEnded = false;
    stalled.socket.on('close', () => {
      stalledEnded = true;
    });

    // 1,000 updates of 100 KiB are ~100 MB: queued for the stalled watcher, they would all stay.
    for (let i = 1; i <= UPDATES; i++) await write('PUT', i);

    // The server gave up on the stalled watcher once its queue passed the bound (what
    // it held for that watcher never went past the bound and one more event)...
    const cut = await eventually(() => warnings.find((w) => w.msg === 'closed a watch whose client is not reading'), { timeoutMs: 20_000 });
    expect(cut.bufferedBytes).toBeGreaterThan(WATCH_BUFFER_BYTES);
    expect(cut.bufferedBytes).toBeLessThan(WATCH_BUFFER_BYTES + 2 * PAD.length);
    // ...and its connection ends once the client reads what reached it.
    stalled.resume();
    await eventually(() => stalledEnded, { timeoutMs: 20_000 });

    // The reading watcher saw every update, in order.
    await eventually(() => seen.length >= UPDATES, { timeoutMs: 30_000 });
    expect(seen).toEqual(Array.from({ length: UPDATES }, (_, i) => i + 1));
    reading.destroy();
  }, 120_000);
});
