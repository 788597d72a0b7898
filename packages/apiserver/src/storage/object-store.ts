/**
 * Kubernetes objects in etcd (or etcdlite): one key per object, JSON values, and
 * `metadata.resourceVersion` = the key's mod revision. Writes are compare-and-swap on
 * that revision, so a stale writer gets a conflict instead of overwriting.
 */
import type { KubeObject, ResourceInfo } from '@minik8s/api';
import { type KeyValue, type KvClient, prefixEnd } from '@minik8s/client/etcd';

export const REGISTRY_PREFIX = '/registry/';

/** The key prefix of a resource: `/registry/pods/` or `/registry/apps/deployments/`. */
export function resourcePrefix(r: { group: string; plural: string }): string {
  return r.group ? `${REGISTRY_PREFIX}${r.group}/${r.plural}/` : `${REGISTRY_PREFIX}${r.plural}/`;
}

export function objectKey(r: ResourceInfo, namespace: string | undefined, name: string): string {
  return r.namespaced ? `${resourcePrefix(r)}${namespace}/${name}` : `${resourcePrefix(r)}${name}`;
}

export function decode(kv: KeyValue): KubeObject {
  const obj = JSON.parse(kv.value.toString('utf8')) as KubeObject;
  obj.metadata.resourceVersion = String(kv.modRevision);
  return obj;
}

function encode(obj: KubeObject): string {
  const { resourceVersion: _rv, ...metadata } = obj.metadata;
  return JSON.stringify({ ...obj, metadata });
}

export type WriteResult = { ok: true; object: KubeObject } | { ok: false; current: KubeObject | undefined };

export interface ListPage {
  items: KubeObject[];
  revision: number;
  /** The key to continue from, when there is more. */
  next?: string;
}

export class ObjectStore {
  constructor(readonly etcd: KvClient) {}

  async get(key: string): Promise<KubeObject | undefined> {
    const kv = await this.etcd.get(key);
    return kv && decode(kv);
  }

  /** Creates the object unless the key exists. */
  async create(key: string, obj: KubeObject): Promise<WriteResult> {
    const r = await this.etcd.txn({
      compare: [{ key, target: 'CREATE', result: 'EQUAL', createRevision: 0 }],
      success: [{ type: 'put', key, value: encode(obj) }],
      failure: [{ type: 'range', key }],
    });
    if (!r.succeeded) return { ok: false, current: this.fromRange(r.responses[0]) };
    return { ok: true, object: withRv(obj, r.header.revision) };
  }

  /** Writes the object if the key is still at `modRevision`. */
  async update(key: string, obj: KubeObject, modRevision: number): Promise<WriteResult> {
    const r = await this.etcd.txn({
      compare: [{ key, target: 'MOD', result: 'EQUAL', modRevision }],
      success: [{ type: 'put', key, value: encode(obj) }],
      failure: [{ type: 'range', key }],
    });
    if (!r.succeeded) return { ok: false, current: this.fromRange(r.responses[0]) };
    return { ok: true, object: withRv(obj, r.header.revision) };
  }

  /** Deletes the key if it is still at `modRevision`; returns the deleted object. */
  async delete(key: string, modRevision: number): Promise<WriteResult> {
    const r = await this.etcd.txn({
      compare: [{ key, target: 'MOD', result: 'EQUAL', modRevision }],
      success: [{ type: 'delete', key, prevKv: true }],
      failure: [{ type: 'range', key }],
    });
    if (!r.succeeded) return { ok: false, current: this.fromRange(r.responses[0]) };
    const d = r.responses[0];
    const prev = d && d.type === 'delete' ? d.prevKvs[0] : undefined;
    if (!prev) return { ok: false, current: undefined };
    const object = decode(prev);
    object.metadata.resourceVersion = String(r.header.revision);
    return { ok: true, object };
  }

  /** One page of objects under `prefix`, read at `revision` (0: now), from `start`. */
  async list(prefix: string, opts: { limit?: number; start?: string; revision?: number } = {}): Promise<ListPage> {
    const r = await this.etcd.range(opts.start ?? prefix, {
      rangeEnd: prefixEnd(prefix),
      limit: opts.limit,
      revision: opts.revision,
    });
    const items = r.kvs.map(decode);
    const last = r.kvs[r.kvs.length - 1];
    return {
      items,
      revision: opts.revision || r.header.revision,
      next: r.more && last ? `${last.key.toString('utf8')}\0` : undefined,
    };
  }

  async revision(): Promise<number> {
    return (await this.etcd.range(REGISTRY_PREFIX, { countOnly: true })).header.revision;
  }

  private fromRange(resp: unknown): KubeObject | undefined {
    const r = resp as { type: string; kvs?: KeyValue[] } | undefined;
    const kv = r?.type === 'range' ? r.kvs?.[0] : undefined;
    return kv && decode(kv);
  }
}

function withRv(obj: KubeObject, revision: number): KubeObject {
  return { ...obj, metadata: { ...obj.metadata, resourceVersion: String(revision) } };
}
