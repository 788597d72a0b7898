/**
 * client-go's SharedInformerFactory: one informer per resource, namespace, label selector
 * and field selector, shared by everything in the process that watches it, with named
 * indexes added once. Informers asked for after `start()` start at once.
 */
import { type IndexFunc, Informer, type InformerOptions, type KubeObject, type ListerWatcher, type ResourceRef } from '../kube/index.ts';

/** What narrows a watch besides the resource and namespace. */
export interface Selectors {
  labelSelector?: string | Record<string, string>;
  fieldSelector?: string | Record<string, string>;
}

export class SharedInformers {
  private readonly informers = new Map<string, Informer>();
  private readonly indexes = new Map<string, Set<string>>();
  private started = false;

  constructor(
    private readonly client: ListerWatcher,
    private readonly options: InformerOptions = {},
  ) {}

  /** The informer for a collection (`ref.namespace` narrows it; `name` is ignored), created on first use. */
  for<T extends KubeObject = KubeObject>(ref: ResourceRef, selectors: Selectors = {}): Informer<T> {
    const key = informerKey(ref, selectors);
    let inf = this.informers.get(key);
    if (!inf) {
      const { name: _n, subresource: _s, ...collection } = ref;
      inf = new Informer(this.client, collection, { ...this.options, ...selectors });
      this.informers.set(key, inf);
      this.indexes.set(key, new Set());
      if (this.started) inf.start();
    }
    return inf as unknown as Informer<T>;
  }

  /** Adds a named index to a collection's informer unless someone already did. */
  index<T extends KubeObject>(ref: ResourceRef, name: string, fn: IndexFunc<T>, selectors: Selectors = {}): Informer<T> {
    const inf = this.for<T>(ref, selectors);
    const names = this.indexes.get(informerKey(ref, selectors))!;
    if (!names.has(name)) {
      inf.addIndex(name, fn);
      names.add(name);
    }
    return inf;
  }

  /** How many distinct informers there are. */
  get size(): number {
    return this.informers.size;
  }

  start(): void {
    this.started = true;
    for (const inf of this.informers.values()) inf.start();
  }

  /** True once every informer has listed what exists. */
  hasSynced(): boolean {
    return [...this.informers.values()].every((i) => i.hasSynced());
  }

  async waitForSync(signal?: AbortSignal): Promise<void> {
    await Promise.all([...this.informers.values()].map((i) => i.waitForSync(signal)));
  }

  async stop(): Promise<void> {
    await Promise.all([...this.informers.values()].map((i) => i.stop()));
  }
}

const selector = (s: string | Record<string, string> | undefined) =>
  typeof s === 'string' || s === undefined
    ? (s ?? '')
    : Object.entries(s)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([k, v]) => `${k}=${v}`)
        .join(',');

function informerKey(r: ResourceRef, s: Selectors): string {
  return [r.group ?? '', r.version, r.plural, r.namespace ?? '', selector(s.labelSelector), selector(s.fieldSelector)].join('|');
}
