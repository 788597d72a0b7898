/**
 * Kubernetes objects in etcd (or etcdlite): one key per object, JSON values, and
 * `metadata.resourceVersion` = the key's mod revision. Writes are compare-and-swap on
 * that revision, so a stale writer gets a conflict instead of overwriting.
 */
import { type KubeObject, type ResourceInfo, StatusError } from '@minik8s/api';
import { type KeyValue, type KvClient, prefixEnd, type TxnRequest, type TxnResponse } from '@minik8s/client/etcd';

export const REGISTRY_PREFIX = '/registry/';

/**
 * The most key and value bytes one object may take: etcd's default --max-request-bytes
 * (1.5 MiB). Checked here for every create and update (patch and apply included), so
 * the embedded store, which has no such limit of its own, refuses what etcd would.
 */
export const MAX_OBJECT_BYTES = 1.5 * 1024 * 1024;

/** What upstream answers when etcd refuses a write as too large: 413, etcd's own message. */
export const objectTooLarge = () => new StatusError(413, 'RequestEntityTooLarge', 'etcdserver: request is too large');

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

/** The encoded object, refused when the write would be over MAX_OBJECT_BYTES. */
function encodeFor(key: string, obj: KubeObject): Buffer {
  const value = Buffer.from(encode(obj));
  if (Buffer.byteLength(key) + value.length > MAX_OBJECT_BYTES) throw objectTooLarge();
  return value;
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
    const r = await this.write({
      compare: [{ key, target: 'CREATE', result: 'EQUAL', createRevision: 0 }],
      success: [{ type: 'put', key, value: encodeFor(key, obj) }],
      failure: [{ type: 'range', key }],
    });
    if (!r.succeeded) return { ok: false, current: this.fromRange(r.responses[0]) };
    return { ok: true, object: withRv(obj, r.header.revision) };
  }

  /** Writes the object if the key is still at `modRevision`. */
  async update(key: string, obj: KubeObject, modRevision: number): Promise<WriteResult> {
    const r = await this.write({
      compare: [{ key, target: 'MOD', result: 'EQUAL', modRevision }],
      success: [{ type: 'put', key, value: encodeFor(key, obj) }],
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

  /** A write transaction; an etcd configured below our limit still answers 413. */
  private async write(req: TxnRequest): Promise<TxnResponse> {
    try {
      return await this.etcd.txn(req);
    } catch (e) {
      if (e instanceof Error && e.message.includes('etcdserver: request is too large')) throw objectTooLarge();
      throw e;
    }
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
