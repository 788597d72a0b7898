import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eventually } from '@minik8s/testing';
import { Agent, Pool, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEtcdlite } from '../etcdlite.ts';
import { makeTestPki } from '../testing/certs.ts';

const b64 = (s: string | Buffer) => Buffer.from(s).toString('base64');
const MiB = 1024 * 1024;

async function start(opts: Partial<Parameters<typeof startEtcdlite>[0]> = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'etcdlite-gw-'));
  const server = await startEtcdlite({ dataDir: dir, port: 0, ...opts });
  return {
    server,
    async stop() {
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

describe('gateway over HTTP', () => {
  let s: Awaited<ReturnType<typeof start>>;
  let pool: Pool;
  const post = async (path: string, body: unknown) => {
    const res = await pool.request({
      method: 'POST',
      path,
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
    // biome-ignore lint/suspicious/noExplicitAny: test JSON
    return { status: res.statusCode, json: (await res.body.json()) as any };
  };
  const state = async () => {
    const r = await post('/v3/kv/range', { key: b64('\0'), range_end: b64('\0'), count_only: true });
    return { revision: r.json.header.revision, count: r.json.count ?? '0' };
  };

  beforeAll(async () => {
    s = await start({ progressNotifyIntervalMs: 100 });
    pool = new Pool(s.server.url, { connections: 32 });
  });
  afterAll(async () => {
    await pool.close();
    await s.stop();
  });

  it('answers bad input with a 400 in etcd error shape and writes nothing', async () => {
    const before = await state();
    const cases: Array<[string, unknown, RegExp]> = [
      ['/v3/kv/put', '{"key": "YQ==", "value":', /invalid JSON/],
      ['/v3/kv/put', '[1,2]', /invalid request/],
      ['/v3/kv/put', { key: 'YQ=!', value: b64('x') }, /illegal base64 data at input byte 3/],
      ['/v3/kv/put', { key: b64('a'), value: b64('x'), valeu: b64('typo') }, /unknown field "valeu"/],
      ['/v3/kv/put', { key: 42, value: b64('x') }, /field \/key must be string/],
      ['/v3/kv/put', { key: b64('a'), value: b64('x'), lease: 'soon' }, /wrong type or value for field \/lease/],
      ['/v3/kv/put', { key: b64('a'.repeat(1.5 * MiB + 1)), value: '' }, /request is too large/],
      ['/v3/kv/put', { key: b64('a'), value: b64(Buffer.alloc(3 * MiB)) }, /request is too large/],
      ['/v3/kv/range', { key: b64('a'), revision: '-1' }, /revision must not be negative/],
      ['/v3/kv/range', { key: b64('a'), sort_order: 'SIDEWAYS' }, /sort_order/],
      ['/v3/kv/txn', { success: [{ request_put: { key: b64('a') }, request_range: { key: b64('a') } }] }, /only one/],
      ['/v3/kv/txn', { success: [{ request_put: { key: b64('a'), value: b64('1') } }, { request_put: { key: b64('a') } }] }, /duplicate key/],
      ['/v3/kv/compaction', { revision: -5 }, /revision must not be negative/],
      ['/v3/lease/grant', { TTL: '1e3' }, /TTL/],
    ];
    for (const [path, body, message] of cases) {
      const r = await post(path, body);
      expect({ path, status: r.status, code: r.json.code }).toEqual({ path, status: 400, code: 3 });
      expect(r.json.error).toMatch(message);
      expect(r.json.message).toBe(r.json.error);
    }
    expect(await state()).toEqual(before);
  });

  it('answers unknown paths and wrong methods like a gateway', async () => {
    expect((await post('/v3/kv/nope', {})).status).toBe(404);
    const get = await pool.request({ method: 'GET', path: '/v3/kv/range' });
    expect(get.statusCode).toBe(405);
    await get.body.dump();
    const health = await pool.request({ method: 'GET', path: '/health' });
    expect(await health.body.json()).toEqual({ health: 'true' });
  });

  it('loses no update with 32 concurrent compare-and-swap incrementers', async () => {
    const key = b64('counter');
    await post('/v3/kv/put', { key, value: b64('0') });
    const perWriter = 15;
    let conflicts = 0;
    await Promise.all(
      Array.from({ length: 32 }, async () => {
        for (let done = 0; done < perWriter; ) {
          const cur = (await post('/v3/kv/range', { key })).json.kvs[0];
          const next = Number(Buffer.from(cur.value, 'base64').toString()) + 1;
          const r = await post('/v3/kv/txn', {
            compare: [{ key, target: 'MOD', result: 'EQUAL', mod_revision: cur.mod_revision }],
            success: [{ request_put: { key, value: b64(String(next)) } }],
          });
          if (r.json.succeeded) done++;
          else conflicts++;
        }
      }),
    );
    const kv = (await post('/v3/kv/range', { key })).json.kvs[0];
    expect(Buffer.from(kv.value, 'base64').toString()).toBe(String(32 * perWriter));
    expect(kv.version).toBe(String(32 * perWriter + 1));
    expect(conflicts).toBeGreaterThan(0);
  });

  it('serves several watch requests, a cancel and a progress request on one stream', async () => {
    const base = Number((await state()).revision);
    await post('/v3/kv/put', { key: b64('s/a'), value: b64('1') });
    // biome-ignore lint/suspicious/noExplicitAny: test JSON
    const lines: Array<Record<string, any>> = [];
    const ac = new AbortController();
    const body = [
      { create_request: { key: b64('s/'), range_end: b64('s0'), start_revision: String(base + 1) } },
      { create_request: { key: b64('s/b'), progress_notify: true } },
      { cancel_request: { watch_id: '1' } },
      { progress_request: {} },
    ]
      .map((r) => JSON.stringify(r))
      .join('\n');
    const res = await request(`${s.server.url}/v3/watch`, { method: 'POST', body, signal: ac.signal });
    expect(res.statusCode).toBe(200);
    const reading = (async () => {
      let buf = '';
      try {
        for await (const chunk of res.body) {
          buf += chunk.toString();
          const parts = buf.split('\n');
          buf = parts.pop()!;
          for (const line of parts) lines.push(JSON.parse(line).result);
        }
      } catch {
        // aborted
      }
    })();
    await eventually(() => lines.length >= 5);
    ac.abort();
    await reading;
    expect(lines[0]).toMatchObject({ created: true });
    expect(lines[0]!.watch_id).toBeUndefined();
    expect(lines[1]).toMatchObject({ created: true, watch_id: '1' });
    const rest = lines.slice(2);
    expect(rest).toContainEqual(expect.objectContaining({ watch_id: '1', canceled: true }));
    expect(rest).toContainEqual(expect.objectContaining({ watch_id: '-1' }));
    const events = rest.find((l) => l.events);
    expect(events!.events[0].kv.key).toBe(b64('s/a'));
  });

  it('sends progress notifications to idle progress_notify watchers', async () => {
    const ac = new AbortController();
    const res = await request(`${s.server.url}/v3/watch`, {
      method: 'POST',
      body: JSON.stringify({ create_request: { key: b64('idle'), progress_notify: true } }),
      signal: ac.signal,
    });
    const rev = (await state()).revision;
    let text = '';
    const started = Date.now();
    try {
      for await (const chunk of res.body) {
        text += chunk.toString();
        if (text.split('\n').length > 2) break;
      }
    } finally {
      ac.abort();
    }
    const [created, progress] = text.split('\n').map((l) => (l ? JSON.parse(l).result : undefined));
    expect(created).toMatchObject({ created: true });
    expect(progress).toEqual({ header: expect.objectContaining({ revision: rev }) });
    expect(Date.now() - started).toBeLessThan(2000);
  });
});

describe('a watcher that does not read', () => {
  it('is cut off once its unsent backlog passes the limit, and the store forgets it', async () => {
    const s = await start({ maxWatchBacklogBytes: 256 * 1024 });
    const pool = new Pool(s.server.url, { connections: 16 });
    try {
      const { port } = new URL(s.server.url);
      const sock = connect(Number(port), '127.0.0.1');
      const body = JSON.stringify({ create_request: { key: b64('slow/'), range_end: b64('slow0') } });
      sock.write(`POST /v3/watch HTTP/1.1\r\nHost: x\r\nContent-Length: ${body.length}\r\n\r\n${body}`);
      sock.pause(); // never read: the kernel buffers fill, then the server's
      const closed = new Promise((r) => sock.on('close', r));
      await eventually(() => s.server.store.hub.size === 1);
      const value = b64(Buffer.alloc(16 * 1024, 'x'));
      for (let i = 0; i < 2000 && s.server.store.hub.size > 0; i += 16) {
        await Promise.all(
          Array.from({ length: 16 }, (_, j) =>
            pool.request({ method: 'POST', path: '/v3/kv/put', body: JSON.stringify({ key: b64(`slow/${i + j}`), value }) }).then((r) => r.body.dump()),
          ),
        );
      }
      expect(s.server.store.hub.size).toBe(0);
      sock.resume();
      await closed;
    } finally {
      await pool.close();
      await s.stop();
    }
  });
});

describe('gateway over TLS with client certificates', () => {
  it('accepts clients with a certificate from the trusted CA and refuses the others', async () => {
    const pki = await makeTestPki();
    const s = await start({
      tls: { cert: pki.server.cert, key: pki.server.key, ca: pki.ca.cert, clientCertAuth: true },
    });
    try {
      expect(s.server.url).toMatch(/^https:\/\//);
      const call = async (client?: { cert: string; key: string }) => {
        const dispatcher = new Agent({ connect: { ca: pki.ca.cert, ...client } });
        try {
          const res = await request(`${s.server.url}/v3/kv/put`, {
            method: 'POST',
            body: JSON.stringify({ key: b64('tls'), value: b64('ok') }),
            dispatcher,
          });
          return res.statusCode;
        } finally {
          await dispatcher.close();
        }
      };
      expect(await call(pki.client)).toBe(200);
      await expect(call()).rejects.toThrow();
      await expect(call(pki.stranger)).rejects.toThrow();
      await expect(request(s.server.url.replace('https', 'http') + '/health')).rejects.toThrow();
    } finally {
      await s.stop();
    }
  });
});
