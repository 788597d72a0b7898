import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EtcdClient } from '@minik8s/client/etcd';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REQUEST_TOO_LARGE } from '../contract/limits.ts';
import { type RunningEtcdlite, startEtcdlite } from '../etcdlite.ts';

const KiB = 1024;

describe('--max-request-bytes set below the default', () => {
  let dir: string;
  let server: RunningEtcdlite;
  let client: EtcdClient;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'etcdlite-max-request-'));
    server = await startEtcdlite({ dataDir: join(dir, 'data'), host: '127.0.0.1', port: 0, maxRequestBytes: 64 * KiB });
    client = new EtcdClient({ endpoint: server.url });
  });
  afterAll(async () => {
    await client?.close();
    await server?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('refuses a put or a txn over it, and takes one under it', async () => {
    const over = Buffer.alloc(64 * KiB, 'x');
    for (const p of [client.put('k', over), client.txn({ success: [{ type: 'put', key: 'k', value: over }] })]) {
      const e = (await p.catch((err: unknown) => err)) as { code?: number; httpStatus?: number; message?: string };
      expect({ code: e.code, httpStatus: e.httpStatus, message: e.message }).toEqual(REQUEST_TOO_LARGE);
    }
    expect(await client.get('k')).toBeUndefined();
    await client.put('k', Buffer.alloc(60 * KiB, 'x'));
    expect((await client.get('k'))?.value.length).toBe(60 * KiB);
  });
});
