/**
 * client-go's thread-safe store with indexers, single-threaded: objects by key
 * (`namespace/name`) plus named indexes from an index value to the keys whose object
 * produces it (`addIndex('byNode', (pod) => [pod.spec.nodeName])`).
 *
 * The cache hands out the objects it stores, not copies: callers must never mutate them
 * (clone with `structuredClone` before changing anything you will write back).
 */
import type { KubeObject } from './types.ts';

/** Index values of an object; an empty list leaves it out of the index. */
export type IndexFunc<T> = (obj: T) => string[];

/** The usual index: objects by namespace (client-go's cache.NamespaceIndex). */
export const NAMESPACE_INDEX = 'namespace';
export const namespaceIndexFunc: IndexFunc<KubeObject> = (o) => [o.metadata.namespace ?? ''];

export class Cache<T extends KubeObject = KubeObject> {
  private readonly items = new Map<string, T>();
  private readonly indexers = new Map<string, IndexFunc<T>>();
  private readonly indices = new Map<string, Map<string, Set<string>>>();

  get size(): number {
    return this.items.size;
  }

  get(key: string): T | undefined {
    return this.items.get(key);
  }

  has(key: string): boolean {
    return this.items.has(key);
  }

  list(): T[] {
    return [...this.items.values()];
  }

  keys(): string[] {
    return [...this.items.keys()];
  }

  /** Stores `obj` under `key`; returns what was there before. */
  set(key: string, obj: T): T | undefined {
    const old = this.items.get(key);
    this.items.set(key, obj);
    this.reindex(key, old, obj);
    return old;
  }

  /** Removes `key`; returns what was there. */
  delete(key: string): T | undefined {
    const old = this.items.get(key);
    if (old === undefined) return undefined;
    this.items.delete(key);
    this.reindex(key, old, undefined);
    return old;
  }

  /** Adds a named index (over what is stored already, too). Names are unique. */
  addIndex(name: string, fn: IndexFunc<T>): void {
    if (this.indexers.has(name)) throw new Error(`index "${name}" already exists`);
    this.indexers.set(name, fn);
    this.indices.set(name, new Map());
    for (const [key, obj] of this.items) this.addTo(name, fn, key, obj);
  }

  hasIndex(name: string): boolean {
    return this.indexers.has(name);
  }

  /** Objects whose index function yields `value` for index `name`. */
  byIndex(name: string, value: string): T[] {
    return this.indexKeys(name, value).map((k) => this.items.get(k)!);
  }

  /** Keys of the objects whose index function yields `value`. */
  indexKeys(name: string, value: string): string[] {
    const index = this.indices.get(name);
    if (!index) throw new Error(`index "${name}" does not exist`);
    return [...(index.get(value) ?? [])];
  }

  /** Every value index `name` holds right now. */
  indexValues(name: string): string[] {
    const index = this.indices.get(name);
    if (!index) throw new Error(`index "${name}" does not exist`);
    return [...index.keys()];
  }

  private reindex(key: string, old: T | undefined, obj: T | undefined): void {
    for (const [name, fn] of this.indexers) {
      if (old !== undefined) {
        const index = this.indices.get(name)!;
        for (const v of safeIndex(fn, old)) {
          const set = index.get(v);
          if (!set) continue;
          set.delete(key);
          if (set.size === 0) index.delete(v);
        }
      }
      if (obj !== undefined) this.addTo(name, fn, key, obj);
    }
  }

  private addTo(name: string, fn: IndexFunc<T>, key: string, obj: T): void {
    const index = this.indices.get(name)!;
    for (const v of safeIndex(fn, obj)) {
      const set = index.get(v);
      if (set) set.add(key);
      else index.set(v, new Set([key]));
    }
  }
}

/** Index functions must be pure; duplicates are collapsed. */
function safeIndex<T>(fn: IndexFunc<T>, obj: T): string[] {
  return [...new Set(fn(obj))];
}
