/**
 * Encoding to and decoding from the etcd v3 gateway's JSON (grpc-gateway, proto field
 * names). On the wire keys and values are base64, int64s are decimal strings, enums are
 * their names, and zero values are omitted: we omit them in requests too, and read an
 * absent field as its zero value.
 */
import { resolveKeyRange, toBuffer } from './bytes.ts';
import type {
  Bytes,
  Compare,
  DeleteOptions,
  DeleteResponse,
  KeyValue,
  LeaseGrantResponse,
  LeaseId,
  LeaseKeepAliveResponse,
  LeaseTimeToLiveResponse,
  PutOptions,
  PutResponse,
  RangeOptions,
  RangeResponse,
  ResponseHeader,
  StatusResponse,
  TxnOp,
  TxnOpResponse,
  TxnRequest,
  TxnResponse,
  WatchEvent,
  WatchOptions,
  WatchResponse,
} from './types.ts';

export type Json = Record<string, unknown>;

// ---- scalars ----------------------------------------------------------------

export function b64(b: Bytes): string {
  return toBuffer(b).toString('base64');
}

export function fromB64(v: unknown): Buffer {
  return typeof v === 'string' && v !== '' ? Buffer.from(v, 'base64') : Buffer.alloc(0);
}

/** An int64 field (decimal string or number; absent is 0) as a JS number. */
export function int(v: unknown): number {
  if (v === undefined || v === null || v === '') return 0;
  const n = typeof v === 'number' ? v : typeof v === 'string' ? Number(v) : Number.NaN;
  if (!Number.isFinite(n)) throw new TypeError(`expected an integer, got ${JSON.stringify(v)}`);
  return n;
}

/** An int64/uint64 field kept exact as a decimal string (absent is '0'). */
export function intString(v: unknown): string {
  if (v === undefined || v === null || v === '') return '0';
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'bigint') return String(v);
  throw new TypeError(`expected an integer, got ${JSON.stringify(v)}`);
}

function str(v: unknown): string {
  return typeof v === 'string' ? v : '';
}

function bool(v: unknown): boolean {
  return v === true || v === 'true';
}

function obj(v: unknown): Json {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : {};
}

function arr(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [];
}

/** An int64 request field: a decimal string, or undefined when zero (omitted). */
function int64Field(v: number | string | bigint | undefined): string | undefined {
  if (v === undefined) return undefined;
  if (typeof v === 'number' && !Number.isSafeInteger(v)) throw new TypeError(`not an integer: ${v}`);
  const s = String(v);
  if (!/^-?\d+$/.test(s)) throw new TypeError(`not an integer: ${s}`);
  return s === '0' ? undefined : s;
}

/** Drops undefined and false members so requests carry only what is set. */
function compact(o: Json): Json {
  const out: Json = {};
  for (const [k, v] of Object.entries(o)) {
    if (v === undefined || v === false) continue;
    out[k] = v;
  }
  return out;
}

// ---- requests ----------------------------------------------------------------

export function encodeRange(key: Bytes, opts: RangeOptions = {}): Json {
  const r = resolveKeyRange(key, opts);
  return compact({
    key: b64(r.key),
    range_end: r.rangeEnd && b64(r.rangeEnd),
    limit: int64Field(opts.limit),
    revision: int64Field(opts.revision),
    sort_order: opts.sortOrder && opts.sortOrder !== 'NONE' ? opts.sortOrder : undefined,
    sort_target: opts.sortTarget && opts.sortTarget !== 'KEY' ? opts.sortTarget : undefined,
    serializable: opts.serializable,
    keys_only: opts.keysOnly,
    count_only: opts.countOnly,
    min_mod_revision: int64Field(opts.minModRevision),
    max_mod_revision: int64Field(opts.maxModRevision),
    min_create_revision: int64Field(opts.minCreateRevision),
    max_create_revision: int64Field(opts.maxCreateRevision),
  });
}

export function encodePut(key: Bytes, value: Bytes, opts: PutOptions = {}): Json {
  const v = toBuffer(value);
  return compact({
    key: b64(key),
    value: v.length > 0 ? v.toString('base64') : undefined,
    lease: int64Field(opts.lease),
    prev_kv: opts.prevKv,
    ignore_value: opts.ignoreValue,
    ignore_lease: opts.ignoreLease,
  });
}

export function encodeDelete(key: Bytes, opts: DeleteOptions = {}): Json {
  const r = resolveKeyRange(key, opts);
  return compact({ key: b64(r.key), range_end: r.rangeEnd && b64(r.rangeEnd), prev_kv: opts.prevKv });
}

export function encodeCompare(c: Compare): Json {
  const base: Json = {
    key: b64(c.key),
    range_end: c.rangeEnd === undefined ? undefined : b64(c.rangeEnd),
    target: c.target,
    result: c.result,
  };
  switch (c.target) {
    case 'VERSION':
      base.version = int64Field(c.version);
      break;
    case 'CREATE':
      base.create_revision = int64Field(c.createRevision);
      break;
    case 'MOD':
      base.mod_revision = int64Field(c.modRevision);
      break;
    case 'VALUE': {
      const v = toBuffer(c.value);
      base.value = v.length > 0 ? v.toString('base64') : undefined;
      break;
    }
    case 'LEASE':
      base.lease = int64Field(c.lease);
      break;
    default:
      throw new TypeError(`unknown compare target ${(c as { target: unknown }).target}`);
  }
  return compact(base);
}

export function encodeTxnOp(op: TxnOp): Json {
  switch (op.type) {
    case 'range':
      return { request_range: encodeRange(op.key, op) };
    case 'put':
      return { request_put: encodePut(op.key, op.value, op) };
    case 'delete':
      return { request_delete_range: encodeDelete(op.key, op) };
    case 'txn':
      return { request_txn: encodeTxn(op) };
    default:
      throw new TypeError(`unknown txn op ${(op as { type: unknown }).type}`);
  }
}

export function encodeTxn(t: TxnRequest): Json {
  const out: Json = {};
  if (t.compare?.length) out.compare = t.compare.map(encodeCompare);
  if (t.success?.length) out.success = t.success.map(encodeTxnOp);
  if (t.failure?.length) out.failure = t.failure.map(encodeTxnOp);
  return out;
}

export function encodeWatchCreate(key: Bytes, opts: WatchOptions = {}): Json {
  const r = resolveKeyRange(key, opts);
  return {
    create_request: compact({
      key: b64(r.key),
      range_end: r.rangeEnd && b64(r.rangeEnd),
      start_revision: int64Field(opts.startRevision),
      progress_notify: opts.progressNotify,
      filters: opts.filters?.length ? [...opts.filters] : undefined,
      prev_kv: opts.prevKv,
      fragment: opts.fragment,
    }),
  };
}

export function encodeLeaseId(id: LeaseId | number | bigint): string {
  const s = int64Field(id);
  if (s === undefined) throw new TypeError('lease ID 0 is not a lease');
  return s;
}

// ---- responses -----------------------------------------------------------------

export function decodeHeader(v: unknown): ResponseHeader {
  const h = obj(v);
  return {
    clusterId: h.cluster_id === undefined ? '' : intString(h.cluster_id),
    memberId: h.member_id === undefined ? '' : intString(h.member_id),
    revision: int(h.revision),
    raftTerm: int(h.raft_term),
  };
}

export function decodeKeyValue(v: unknown): KeyValue {
  const kv = obj(v);
  return {
    key: fromB64(kv.key),
    value: fromB64(kv.value),
    createRevision: int(kv.create_revision),
    modRevision: int(kv.mod_revision),
    version: int(kv.version),
    lease: intString(kv.lease),
  };
}

export function decodeRange(v: unknown): RangeResponse {
  const r = obj(v);
  return {
    header: decodeHeader(r.header),
    kvs: arr(r.kvs).map(decodeKeyValue),
    more: bool(r.more),
    count: int(r.count),
  };
}

export function decodePut(v: unknown): PutResponse {
  const r = obj(v);
  const out: PutResponse = { header: decodeHeader(r.header) };
  if (r.prev_kv !== undefined && r.prev_kv !== null) out.prevKv = decodeKeyValue(r.prev_kv);
  return out;
}

export function decodeDelete(v: unknown): DeleteResponse {
  const r = obj(v);
  return {
    header: decodeHeader(r.header),
    deleted: int(r.deleted),
    prevKvs: arr(r.prev_kvs).map(decodeKeyValue),
  };
}

function decodeTxnOpResponse(v: unknown): TxnOpResponse {
  const r = obj(v);
  if (r.response_range !== undefined) return { type: 'range', ...decodeRange(r.response_range) };
  if (r.response_put !== undefined) return { type: 'put', ...decodePut(r.response_put) };
  if (r.response_delete_range !== undefined) return { type: 'delete', ...decodeDelete(r.response_delete_range) };
  if (r.response_txn !== undefined) return { type: 'txn', ...decodeTxn(r.response_txn) };
  throw new TypeError(`unknown txn response ${JSON.stringify(v).slice(0, 200)}`);
}

export function decodeTxn(v: unknown): TxnResponse {
  const r = obj(v);
  return {
    header: decodeHeader(r.header),
    succeeded: bool(r.succeeded),
    responses: arr(r.responses).map(decodeTxnOpResponse),
  };
}

export function decodeLeaseGrant(v: unknown): LeaseGrantResponse {
  const r = obj(v);
  return { header: decodeHeader(r.header), id: intString(r.ID), ttl: int(r.TTL), error: str(r.error) };
}

export function decodeLeaseKeepAlive(v: unknown): LeaseKeepAliveResponse {
  const r = obj(v);
  return { header: decodeHeader(r.header), id: intString(r.ID), ttl: int(r.TTL) };
}

export function decodeLeaseTimeToLive(v: unknown): LeaseTimeToLiveResponse {
  const r = obj(v);
  return {
    header: decodeHeader(r.header),
    id: intString(r.ID),
    ttl: int(r.TTL),
    grantedTtl: int(r.grantedTTL),
    keys: arr(r.keys).map(fromB64),
  };
}

export function decodeStatus(v: unknown): StatusResponse {
  const r = obj(v);
  return {
    header: decodeHeader(r.header),
    version: str(r.version),
    dbSize: int(r.dbSize),
    dbSizeInUse: int(r.dbSizeInUse),
    leader: r.leader === undefined ? '' : intString(r.leader),
    raftIndex: int(r.raftIndex),
    raftTerm: int(r.raftTerm),
    raftAppliedIndex: int(r.raftAppliedIndex),
    errors: arr(r.errors).map(str),
    isLearner: bool(r.isLearner),
  };
}

function decodeEvent(v: unknown): WatchEvent {
  const e = obj(v);
  const t = e.type;
  const type = t === 'DELETE' || t === 1 ? 'DELETE' : 'PUT';
  const out: WatchEvent = { type, kv: decodeKeyValue(e.kv) };
  if (e.prev_kv !== undefined && e.prev_kv !== null) out.prevKv = decodeKeyValue(e.prev_kv);
  return out;
}

export function decodeWatch(v: unknown): WatchResponse {
  const r = obj(v);
  return {
    header: decodeHeader(r.header),
    watchId: int(r.watch_id),
    created: bool(r.created),
    canceled: bool(r.canceled),
    compactRevision: int(r.compact_revision),
    cancelReason: str(r.cancel_reason),
    fragment: bool(r.fragment),
    events: arr(r.events).map(decodeEvent),
  };
}
