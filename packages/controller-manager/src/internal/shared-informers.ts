/**
 * client-go's SharedInformerFactory: one informer per resource, shared by every
 * controller that watches it, with named indexes added once.
 */
import { type IndexFunc, Informer, type InformerOptions, type KubeClient, type KubeObject, type ResourceRef } from '@minik8s/client/kube';

export class SharedInformers {
  private readonly informers = new Map<string, Informer>();
  private readonly indexes = new Map<string, Set<string>>();
  private started = false;

  constructor(
    private readonly client: KubeClient,
    private readonly options: InformerOptions = {},
  ) {}

  /** The informer for a collection (created on first use; started with the others). */
  for<T extends KubeObject = KubeObject>(ref: ResourceRef): Informer<T> {
    const key = refKey(ref);
    let inf = this.informers.get(key);
    if (!inf) {
      const { name: _n, namespace: _ns, subresource: _s, ...collection } = ref;
      inf = new Informer(this.client, collection, this.options);
      this.informers.set(key, inf);
      this.indexes.set(key, new Set());
      if (this.started) inf.start();
    }
    return inf as unknown as Informer<T>;
  }

  /** Adds a named index to a collection's informer unless a controller already did. */
  index<T extends KubeObject>(ref: ResourceRef, name: string, fn: IndexFunc<T>): Informer<T> {
    const inf = this.for<T>(ref);
    const names = this.indexes.get(refKey(ref))!;
    if (!names.has(name)) {
      inf.addIndex(name, fn);
      names.add(name);
    }
    return inf;
  }

  start(): void {
    this.started = true;
    for (const inf of this.informers.values()) inf.start();
  }

  async waitForSync(signal?: AbortSignal): Promise<void> {
    await Promise.all([...this.informers.values()].map((i) => i.waitForSync(signal)));
  }

  async stop(): Promise<void> {
    await Promise.all([...this.informers.values()].map((i) => i.stop()));
  }
}

const refKey = (r: ResourceRef) => `${r.group ?? ''}/${r.version}/${r.plural}`;
