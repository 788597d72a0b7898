/** Starts a store and its gateway: what the `etcdlite` command and tests run. */
import type { AddressInfo } from 'node:net';
import { type Logger, pino } from 'pino';
import { type AutoCompactionOptions, AutoCompactor } from './compactor.ts';
import { createGateway, type GatewayTls } from './server/gateway.ts';
import { Store, type StoreOptions } from './store.ts';

export interface EtcdliteOptions extends Omit<StoreOptions, 'onFatal'> {
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  tls?: GatewayTls;
  autoCompaction?: AutoCompactionOptions;
  maxRequestBytes?: number;
  progressNotifyIntervalMs?: number;
  /** Unsent watch output after which a slow reader is cut off (default 64 MiB). */
  maxWatchBacklogBytes?: number;
  logger?: Logger;
}

export interface RunningEtcdlite {
  url: string;
  store: Store;
  close(): Promise<void>;
}

export async function startEtcdlite(opts: EtcdliteOptions): Promise<RunningEtcdlite> {
  const logger = opts.logger ?? pino({ level: 'silent' });
  const log = logger.child({ component: 'etcdlite' });
  const store = await Store.open({
    ...opts,
    onFatal: (err) => log.fatal({ err }, 'disk write failed; the store stopped taking requests until restarted'),
  });
  const server = createGateway({
    store,
    logger: log,
    tls: opts.tls,
    maxRequestBytes: opts.maxRequestBytes,
    progressNotifyIntervalMs: opts.progressNotifyIntervalMs,
    maxWatchBacklogBytes: opts.maxWatchBacklogBytes,
    clusterId: store.clusterId,
    memberId: store.memberId,
  });
  const compactor = opts.autoCompaction ? new AutoCompactor(store, opts.autoCompaction, log) : undefined;
  const host = opts.host ?? '127.0.0.1';
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(opts.port ?? 2379, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (e) {
    await store.close();
    throw e;
  }
  compactor?.start();
  const { port } = server.address() as AddressInfo;
  const url = `${opts.tls ? 'https' : 'http'}://${host.includes(':') ? `[${host}]` : host}:${port}`;
  log.info({ url, dataDir: opts.dataDir, revision: store.revision, keys: store.keyCount }, 'etcdlite serving');
  return {
    url,
    store,
    async close() {
      compactor?.stop();
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
      await store.close();
    },
  };
}
