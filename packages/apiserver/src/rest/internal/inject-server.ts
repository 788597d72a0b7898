/**
 * For the API server's own tests: the server built in-process over an embedded store in a
 * temp directory, with the kinds' schema validation and the default namespaces. `call`
 * goes through `app.inject` (no port); `raw` through a real socket on loopback (plain
 * HTTP), as node's http client sends the path as it is, where inject and fetch resolve
 * `..` segments themselves.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalKvClient, Store } from '@minik8s/etcdlite';
import { pino } from 'pino';
import { ensureDefaults } from '../../defaults.ts';
import { kindHooks } from '../../kinds.ts';
import { type ApiServer, buildServer } from '../../server.ts';

export interface InjectServer {
  api: ApiServer;
  /** Sends a request with a JSON body (a string is sent as it is); answers status and JSON. */
  call(method: string, url: string, body?: unknown, contentType?: string): Promise<{ status: number; json: Record<string, unknown> }>;
  /** A request whose path is sent byte for byte (the server listens on loopback from the first call). */
  raw(method: string, path: string, body?: unknown): Promise<{ status: number; json: Record<string, unknown> }>;
  close(): Promise<void>;
}

export async function startInjectServer(): Promise<InjectServer> {
  const dir = mkdtempSync(join(tmpdir(), 'apiserver-inject-'));
  const store = await Store.open({ dataDir: dir });
  const etcd = new LocalKvClient(store);
  const api = await buildServer({ etcd, logger: pino({ level: 'silent' }), hooks: kindHooks });
  await ensureDefaults(api.registry, api.resources, 0);
  return {
    api,
    async call(method, url, body, contentType = 'application/json') {
      const payload = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
      const res = await api.app.inject({
        method: method as 'GET',
        url,
        ...(payload === undefined ? {} : { payload, headers: { 'content-type': contentType } }),
      });
      return { status: res.statusCode, json: res.body ? (JSON.parse(res.body) as Record<string, unknown>) : {} };
    },
    async raw(method, path, body) {
      if (!api.app.server.listening) await api.app.listen({ host: '127.0.0.1', port: 0 });
      const { port } = api.app.server.address() as AddressInfo;
      const payload = body === undefined ? undefined : JSON.stringify(body);
      return new Promise((resolve, reject) => {
        const req = request({ host: '127.0.0.1', port, method, path, headers: payload ? { 'content-type': 'application/json' } : {} }, (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (c: string) => {
            text += c;
          });
          res.on('end', () => resolve({ status: res.statusCode ?? 0, json: text ? (JSON.parse(text) as Record<string, unknown>) : {} }));
        });
        req.on('error', reject);
        req.end(payload);
      });
    },
    async close() {
      await api.close();
      await etcd.close();
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
