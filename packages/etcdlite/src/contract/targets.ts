/**
 * The two stores the contract suite runs against: a real etcd (the reference) and
 * etcdlite. Each `start()` gives a fresh, empty server on loopback in its own temp
 * directory; `close()` stops it and removes the directory.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEtcdlite } from '../index.ts';
import { type RunningStore, startEtcdProcess } from '../testing/processes.ts';

export type { RunningStore };

export interface StoreTarget {
  name: 'etcd' | 'etcdlite';
  start(): Promise<RunningStore>;
}

export const etcdTarget: StoreTarget = { name: 'etcd', start: startEtcdProcess };

export const etcdliteTarget: StoreTarget = {
  name: 'etcdlite',
  async start() {
    const dir = await mkdtemp(join(tmpdir(), 'etcdlite-contract-'));
    try {
      const server = await startEtcdlite({ dataDir: join(dir, 'data'), host: '127.0.0.1', port: 0 });
      return {
        url: server.url,
        async close() {
          try {
            await server.close();
          } finally {
            await rm(dir, { recursive: true, force: true });
          }
        },
      };
    } catch (e) {
      await rm(dir, { recursive: true, force: true });
      throw e;
    }
  },
};
