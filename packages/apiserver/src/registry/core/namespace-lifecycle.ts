/**
 * Namespace lifecycle, until the controller-manager takes it over: when a namespace is
 * Terminating, delete everything in it, then the namespace itself. Objects with
 * finalizers are marked and waited for, as the namespace controller does.
 */
import type { KubeObject, Registry } from '@minik8s/api';
import { isStatusError } from '@minik8s/api';
import type { Logger } from 'pino';
import type { Resources } from '../../rest/resources.ts';
import type { ObjectStore } from '../../storage/object-store.ts';
import type { CacheEvent, WatchCache } from '../../storage/watch-cache.ts';

export class NamespaceLifecycle {
  private readonly busy = new Set<string>();
  private sub: { close(): void } | undefined;
  private retry: NodeJS.Timeout | undefined;

  constructor(
    private readonly registry: Registry,
    private readonly resources: Resources,
    private readonly store: ObjectStore,
    private readonly cache: WatchCache,
    private readonly logger: Logger,
  ) {}

  start(): void {
    const prefix = '/registry/namespaces/';
    for (const ns of this.cache.list(prefix).items) this.consider(ns);
    this.sub = this.cache.subscribe(
      prefix,
      this.cache.revision,
      (e: CacheEvent) => this.consider(e.object),
      () => {},
    );
    // Contents with finalizers go away later: look again now and then.
    this.retry = setInterval(() => {
      for (const ns of this.cache.list(prefix).items) this.consider(ns);
    }, 2000);
    this.retry.unref();
  }

  stop(): void {
    this.sub?.close();
    clearInterval(this.retry);
  }

  private consider(ns: KubeObject): void {
    const name = ns.metadata.name!;
    if (!ns.metadata.deletionTimestamp || this.busy.has(name)) return;
    this.busy.add(name);
    this.purge(name)
      .catch((err) => this.logger.warn({ err, namespace: name }, 'namespace cleanup failed; will retry'))
      .finally(() => this.busy.delete(name));
  }

  private async purge(namespace: string): Promise<void> {
    let remaining = 0;
    for (const r of this.registry.resources.filter((x) => x.namespaced)) {
      const p = { resource: r, namespace, watchPath: false };
      const { items } = this.cache.list(this.resources.prefix(p));
      for (const o of items) {
        remaining++;
        if (o.metadata.deletionTimestamp) continue;
        await this.resources.delete({ ...p, name: o.metadata.name }, {}).catch((e) => {
          if (!(isStatusError(e) && e.code === 404)) throw e;
        });
      }
    }
    if (remaining > 0) return;
    const key = `/registry/namespaces/${namespace}`;
    const cur = await this.store.get(key);
    if (cur) await this.store.delete(key, Number(cur.metadata.resourceVersion));
  }
}
