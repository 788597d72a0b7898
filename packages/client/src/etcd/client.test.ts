/**
 * The client against a small in-process fake gateway, for what a real etcd will not do
 * on demand: split frames, stream errors, dropped streams, TLS with client certificates.
 * The store contract suite (packages/etcdlite/src/contract) runs the client against a
 * real etcd and etcdlite.
 */
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createCa, issueCertificate } from '../pki.ts';
import { EtcdClient } from './client.ts';
import { EtcdError } from './errors.ts';
import type { WatchResponse } from './types.ts';

type Handler = (req: http.IncomingMessage, body: string, res: http.ServerResponse) => void;

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function listen(server: http.Server | https.Server): Promise<number> {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  cleanups.push(
    () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  );
  return (server.address() as AddressInfo).port;
}

function withBody(handler: Handler): http.RequestListener {
  return (req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => {
      body += c;
    });
    req.on('end', () => handler(req, body, res));
  };
}

async function fake(handler: Handler): Promise<EtcdClient> {
  const port = await listen(http.createServer(withBody(handler)));
  const client = new EtcdClient({ endpoint: `http://127.0.0.1:${port}`, connections: 2 });
  cleanups.push(() => client.close());
  return client;
}

const header = { cluster_id: '1', member_id: '2', revision: '5', raft_term: '2' };
const line = (o: unknown) => `${JSON.stringify(o)}\n`;
const putEvent = (key: string, rev: number) => ({
  result: {
    header: { ...header, revision: String(rev) },
    events: [{ kv: { key: Buffer.from(key).toString('base64'), create_revision: String(rev), mod_revision: String(rev), version: '1' } }],
  },
});

async function collect(it: AsyncIterable<WatchResponse>): Promise<{ got: WatchResponse[]; error?: unknown }> {
  const got: WatchResponse[] = [];
  try {
    for await (const r of it) got.push(r);
    return { got };
  } catch (error) {
    return { got, error };
  }
}

describe('EtcdClient unary calls', () => {
  it('sends JSON to the gateway path and decodes the answer', async () => {
    const seen: Array<{ url?: string; body: string; type?: string }> = [];
    const client = await fake((req, body, res) => {
      seen.push({ url: req.url, body, type: req.headers['content-type'] });
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ header, kvs: [{ key: 'Zm9v', create_revision: '2', mod_revision: '4', version: '3', value: 'YmFy' }], count: '1' }));
    });
    const r = await client.range('foo', { prefix: true, limit: 1 });
    expect(seen).toEqual([{ url: '/v3/kv/range', body: '{"key":"Zm9v","range_end":"Zm9w","limit":"1"}', type: 'application/json' }]);
    expect(r.header.revision).toBe(5);
    expect(r.kvs[0]?.key.toString()).toBe('foo');
    expect(r.kvs[0]?.value.toString()).toBe('bar');
    expect([r.more, r.count]).toEqual([false, 1]);
    expect((await client.get('foo'))?.version).toBe(3);
  });

  it('turns a gateway error into an EtcdError with grpc code and HTTP status', async () => {
    const client = await fake((_req, _body, res) => {
      res.statusCode = 400;
      res.end(
        '{"error":"etcdserver: mvcc: required revision is a future revision","message":"etcdserver: mvcc: required revision is a future revision","code":11}',
      );
    });
    const e = await client.range('a', { revision: 100 }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(EtcdError);
    expect((e as EtcdError).code).toBe(11);
    expect((e as EtcdError).httpStatus).toBe(400);
    expect((e as EtcdError).isFutureRevision).toBe(true);
  });

  it('reports an unreachable server as UNAVAILABLE (code 14)', async () => {
    const server = http.createServer();
    const port = await listen(server);
    const closed = new Promise((r) => server.close(r));
    server.closeAllConnections();
    await closed;
    const client = new EtcdClient({ endpoint: `http://127.0.0.1:${port}` });
    cleanups.push(() => client.close());
    const e = (await client.put('a', 'b').catch((x: unknown) => x)) as EtcdError;
    expect(e).toBeInstanceOf(EtcdError);
    expect([e.code, e.httpStatus, e.isUnavailable]).toEqual([14, 0, true]);
  });

  it('reads the first keepalive frame, TTL 0 for an unknown lease', async () => {
    const client = await fake((req, body, res) => {
      expect(req.url).toBe('/v3/lease/keepalive');
      expect(JSON.parse(body)).toEqual({ ID: '7587869021340000001' });
      res.write(line({ result: { header, ID: '7587869021340000001' } }));
      // like a gateway that keeps the stream open: the client must not wait for the end
    });
    const r = await client.leaseKeepAliveOnce('7587869021340000001');
    expect([r.id, r.ttl]).toEqual(['7587869021340000001', 0]);
  });

  it('reads /health', async () => {
    const client = await fake((req, _b, res) => {
      expect([req.method, req.url]).toEqual(['GET', '/health']);
      res.statusCode = 503;
      res.end('{"health":"false","reason":"RAFT NO LEADER"}');
    });
    expect(await client.health()).toEqual({ health: false, reason: 'RAFT NO LEADER' });
  });
});

describe('EtcdClient.watch', () => {
  it('yields responses split across arbitrary chunks, in order', async () => {
    let requestBody = '';
    const client = await fake((_req, body, res) => {
      requestBody = body;
      const all = line({ result: { header, created: true } }) + line(putEvent('a', 6)) + line(putEvent('b', 7));
      res.write(all.slice(0, 7));
      setTimeout(() => res.write(all.slice(7, 150)), 5);
      setTimeout(() => res.write(all.slice(150)), 10);
    });
    const w = client.watch('a', { rangeEnd: 'c', startRevision: 6, prevKv: true });
    const created = await w.created;
    expect(created.created).toBe(true);
    const got: WatchResponse[] = [];
    for await (const r of w) {
      got.push(r);
      if (got.length === 3) w.cancel();
    }
    expect(JSON.parse(requestBody)).toEqual({
      create_request: { key: 'YQ==', range_end: 'Yw==', start_revision: '6', prev_kv: true },
    });
    expect(got.map((r) => r.events.map((e) => `${e.type}:${e.kv.key}@${e.kv.modRevision}`))).toEqual([[], ['PUT:a@6'], ['PUT:b@7']]);
    expect(w.closed).toBe(true);
  });

  it('cancel() aborts the HTTP request and ends the iteration', async () => {
    let serverSawClose!: () => void;
    const closed = new Promise<void>((r) => {
      serverSawClose = r;
    });
    const client = await fake((_req, _body, res) => {
      res.on('close', () => serverSawClose());
      res.write(line({ result: { header, created: true } }));
    });
    const w = client.watch('a');
    await w.created;
    setTimeout(() => w.cancel(), 10);
    const { got, error } = await collect(w);
    expect(error).toBeUndefined();
    expect(got.map((r) => r.created)).toEqual([true]);
    await closed;
  });

  it('breaking out of for-await cancels the watch', async () => {
    const client = await fake((_req, _body, res) => {
      res.write(line({ result: { header, created: true } }) + line(putEvent('a', 6)));
    });
    const w = client.watch('a');
    for await (const r of w) if (r.events.length) break;
    expect(w.closed).toBe(true);
  });

  it('ends after a server cancel (compacted start revision) and reports compactRevision', async () => {
    const client = await fake((_req, _body, res) => {
      res.write(line({ result: { header, created: true } }));
      res.write(line({ result: { header: { cluster_id: '1' }, canceled: true, compact_revision: '3' } }));
      // etcd keeps the HTTP stream open after canceling the watch
    });
    const { got, error } = await collect(client.watch('a', { startRevision: 1 }));
    expect(error).toBeUndefined();
    expect(got.map((r) => [r.created, r.canceled, r.compactRevision])).toEqual([
      [true, false, 0],
      [false, true, 3],
    ]);
  });

  it('delivers queued responses, then throws the in-band error frame', async () => {
    const client = await fake((_req, _body, res) => {
      res.write(line({ result: { header, created: true } }) + line(putEvent('a', 6)));
      res.end(line({ error: { grpc_code: 14, http_code: 503, message: 'etcdserver: no leader', http_status: 'Service Unavailable' } }));
    });
    const { got, error } = await collect(client.watch('a'));
    expect(got).toHaveLength(2);
    expect(error).toBeInstanceOf(EtcdError);
    expect([(error as EtcdError).code, (error as EtcdError).message]).toEqual([14, 'etcdserver: no leader']);
  });

  it('throws UNAVAILABLE when the server ends the stream on its own', async () => {
    const client = await fake((_req, _body, res) => {
      res.end(line({ result: { header, created: true } }));
    });
    const { got, error } = await collect(client.watch('a'));
    expect(got).toHaveLength(1);
    expect((error as EtcdError).isUnavailable).toBe(true);
  });

  it('throws the HTTP error when the watch request is refused', async () => {
    const client = await fake((_req, _body, res) => {
      res.statusCode = 400;
      res.end('{"error":"bad","message":"etcdserver: key is not provided","code":3}');
    });
    const w = client.watch('');
    await expect(w.created).rejects.toMatchObject({ code: 3, httpStatus: 400 });
    const { error } = await collect(w);
    expect((error as EtcdError).message).toBe('etcdserver: key is not provided');
  });

  it('holds back reading when the consumer is slow, and loses nothing', async () => {
    const n = 200;
    const client = await fake((_req, _body, res) => {
      let s = line({ result: { header, created: true } });
      for (let i = 0; i < n; i++) s += line(putEvent(`k${i}`, 10 + i));
      res.write(s);
    });
    const w = client.watch('k', { prefix: true, highWaterMark: 4 });
    const revs: number[] = [];
    for await (const r of w) {
      for (const e of r.events) revs.push(e.kv.modRevision);
      if (revs.length === n) break;
      await new Promise((r) => setImmediate(r));
    }
    expect(revs).toEqual(Array.from({ length: n }, (_, i) => 10 + i));
  });

  it('close() cancels open watches', async () => {
    const client = await fake((_req, _body, res) => {
      res.write(line({ result: { header, created: true } }));
    });
    const w = client.watch('a');
    await w.created;
    const done = collect(w);
    await client.close();
    expect((await done).error).toBeUndefined();
    expect(w.closed).toBe(true);
  });
});

describe('EtcdClient over TLS', () => {
  it('verifies the server with the CA and authenticates with a client certificate', async () => {
    const ca = await createCa('test-ca');
    const serverCert = await issueCertificate(ca, { cn: 'server', usage: ['server'], ips: ['127.0.0.1'] });
    const clientCert = await issueCertificate(ca, { cn: 'client', usage: ['client'] });
    const server = https.createServer(
      { ca: ca.cert, cert: serverCert.cert, key: serverCert.key, requestCert: true, rejectUnauthorized: true },
      withBody((req, _body, res) => {
        const peer = (req.socket as import('node:tls').TLSSocket).getPeerCertificate();
        res.end(JSON.stringify({ header: { ...header, member_id: peer.subject.CN } }));
      }),
    );
    const port = await listen(server);
    const client = new EtcdClient({
      endpoint: `https://127.0.0.1:${port}`,
      tls: { ca: ca.cert, cert: clientCert.cert, key: clientCert.key },
    });
    cleanups.push(() => client.close());
    const r = await client.status();
    expect(r.header.memberId).toBe('client');

    const anonymous = new EtcdClient({ endpoint: `https://127.0.0.1:${port}`, tls: { ca: ca.cert } });
    cleanups.push(() => anonymous.close());
    const e = (await anonymous.status().catch((x: unknown) => x)) as EtcdError;
    expect(e).toBeInstanceOf(EtcdError);
    expect(e.isUnavailable).toBe(true);
  });
});
