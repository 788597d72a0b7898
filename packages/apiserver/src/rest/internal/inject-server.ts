/**
 * For this directory's tests: the API server built in-process over an embedded store in a
 * temp directory, with the kinds' schema validation and the default namespaces, reached
 * with `app.inject` (raw paths, no TLS, no port).
 */
import { mkdtempSync, rmSync } from 'node:fs';
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
    async close() {
      await api.close();
      await etcd.close();
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
