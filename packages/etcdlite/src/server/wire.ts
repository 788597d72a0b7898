/**
 * The etcd v3 gateway's JSON: requests in, responses out. Bytes are base64, int64 are
 * decimal strings, and zero values are left out of responses, exactly as etcd 3.4's
 * gateway writes them.
 */
import type { ValidateFunction } from 'ajv';
import type { EtcdError } from '../errors.ts';
import { errors, etcdError, GrpcCode } from '../errors.ts';
import type {
  Compare,
  CompareResult,
  CompareTarget,
  DeleteRangeRequest,
  DeleteRangeResponse,
  Event,
  KeyValue,
  PutRequest,
  PutResponse,
  RangeRequest,
  RangeResponse,
  RequestOp,
  ResponseOp,
  SortOrder,
  SortTarget,
  TxnRequest,
  TxnResponse,
} from '../types.ts';
import { COMPARE_RESULTS, COMPARE_TARGETS, describeSchemaError, SORT_ORDERS, SORT_TARGETS, WATCH_FILTERS } from './schemas.ts';

// biome-ignore lint/suspicious/noExplicitAny: decoded JSON is checked by the schemas first
type Json = any;

export const invalid = (message: string) => etcdError(GrpcCode.INVALID_ARGUMENT, message);

export function validate(v: ValidateFunction, body: unknown): Json {
  if (!v(body)) throw invalid(`invalid request: ${describeSchemaError(v.errors)}`);
  return body;
}

// ---------------------------------------------------------------- scalars in

const B64 = /^[A-Za-z0-9+/]*={0,2}$/;
const B64URL = /^[A-Za-z0-9_-]*={0,2}$/;

/** base64 as Go's decoder reads it (standard or URL alphabet, padded), with its error message. */
export function bytesIn(s: string | undefined): Buffer {
  if (s === undefined || s === '') return Buffer.alloc(0);
  if ((B64.test(s) || B64URL.test(s)) && s.length % 4 === 0) return Buffer.from(s, 'base64');
  const badChar = s.search(/[^A-Za-z0-9+/_=-]/);
  const pad = s.indexOf('=');
  const badPad = pad >= 0 && /[^=]/.test(s.slice(pad)) ? pad : -1;
  const at = badChar >= 0 ? badChar : badPad >= 0 ? badPad : s.length;
  throw invalid(`illegal base64 data at input byte ${at}`);
}

export function numIn(v: string | number | undefined): number {
  if (v === undefined) return 0;
  const n = typeof v === 'number' ? v : Number(v);
  if (!Number.isSafeInteger(n)) throw invalid(`integer out of range: ${v}`);
  return n;
}

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

export function idIn(v: string | number | undefined): bigint {
  if (v === undefined) return 0n;
  const n = BigInt(v);
  if (n < INT64_MIN || n > INT64_MAX) throw invalid(`integer out of range: ${v}`);
  return n;
}

function enumIn<T extends string>(names: readonly T[], v: string | number | undefined): T | undefined {
  if (v === undefined) return undefined;
  return typeof v === 'number' ? names[v] : (v as T);
}

/** Revisions in requests must not be negative (etcd would quietly read them as "now"). */
function revIn(v: string | number | undefined): number {
  const n = numIn(v);
  if (n < 0) throw errors.negativeRevision();
  return n;
}

// ---------------------------------------------------------------- requests

export function rangeIn(j: Json): RangeRequest {
  return {
    key: bytesIn(j.key),
    rangeEnd: bytesIn(j.range_end),
    limit: numIn(j.limit),
    revision: revIn(j.revision),
    sortOrder: enumIn<SortOrder>(SORT_ORDERS, j.sort_order),
    sortTarget: enumIn<SortTarget>(SORT_TARGETS, j.sort_target),
    keysOnly: j.keys_only,
    countOnly: j.count_only,
    minModRevision: revIn(j.min_mod_revision),
    maxModRevision: revIn(j.max_mod_revision),
    minCreateRevision: revIn(j.min_create_revision),
    maxCreateRevision: revIn(j.max_create_revision),
  };
}

export function putIn(j: Json): PutRequest {
  return {
    key: bytesIn(j.key),
    value: bytesIn(j.value),
    lease: idIn(j.lease),
    prevKv: j.prev_kv,
    ignoreValue: j.ignore_value,
    ignoreLease: j.ignore_lease,
  };
}

export function deleteRangeIn(j: Json): DeleteRangeRequest {
  return { key: bytesIn(j.key), rangeEnd: bytesIn(j.range_end), prevKv: j.prev_kv };
}

function compareIn(j: Json): Compare {
  return {
    key: bytesIn(j.key),
    rangeEnd: bytesIn(j.range_end),
    result: enumIn<CompareResult>(COMPARE_RESULTS, j.result) ?? 'EQUAL',
    target: enumIn<CompareTarget>(COMPARE_TARGETS, j.target) ?? 'VERSION',
    version: numIn(j.version),
    createRevision: numIn(j.create_revision),
    modRevision: numIn(j.mod_revision),
    value: bytesIn(j.value),
    lease: idIn(j.lease),
  };
}

function opIn(j: Json): RequestOp {
  if (j.request_range) return { range: rangeIn(j.request_range) };
  if (j.request_put) return { put: putIn(j.request_put) };
  if (j.request_delete_range) return { deleteRange: deleteRangeIn(j.request_delete_range) };
  if (j.request_txn) return { txn: txnIn(j.request_txn) };
  throw invalid('invalid request: a request op must set one of request_range, request_put, request_delete_range, request_txn');
}

export function txnIn(j: Json): TxnRequest {
  return {
    compare: (j.compare ?? []).map(compareIn),
    success: (j.success ?? []).map(opIn),
    failure: (j.failure ?? []).map(opIn),
  };
}

export interface WatchCreate {
  key: Buffer;
  rangeEnd: Buffer;
  startRevision: number;
  progressNotify: boolean;
  prevKv: boolean;
  noPut: boolean;
  noDelete: boolean;
  watchId: number;
}

export function watchCreateIn(j: Json): WatchCreate {
  const filters: string[] = (j.filters ?? []).map((f: string | number) => enumIn(WATCH_FILTERS, f));
  return {
    key: bytesIn(j.key),
    rangeEnd: bytesIn(j.range_end),
    startRevision: revIn(j.start_revision),
    progressNotify: !!j.progress_notify,
    prevKv: !!j.prev_kv,
    noPut: filters.includes('NOPUT'),
    noDelete: filters.includes('NODELETE'),
    watchId: numIn(j.watch_id),
  };
}

/** Bytes a request carries, for etcd's request size limit. */
export function payloadBytes(v: unknown): number {
  if (Buffer.isBuffer(v)) return v.length;
  if (Array.isArray(v)) return v.reduce((n: number, x) => n + payloadBytes(x), 0);
  if (v && typeof v === 'object') {
    let n = 0;
    for (const x of Object.values(v)) n += payloadBytes(x);
    return n;
  }
  return 0;
}

// ---------------------------------------------------------------- responses out

export class Header {
  private readonly prefix: string;
  private readonly suffix: string;
  constructor(clusterId: bigint, memberId: bigint, raftTerm = 1) {
    this.prefix = `{"cluster_id":"${clusterId}","member_id":"${memberId}"`;
    this.suffix = `,"raft_term":"${raftTerm}"}`;
  }
  /** The header; a revision of 0 is left out, as etcd does in compacted watch responses. */
  at(revision: number): string {
    return revision === 0 ? this.prefix + this.suffix : `${this.prefix},"revision":"${revision}"${this.suffix}`;
  }
}

/**
 * A KeyValue's JSON never changes, so it is encoded once, as bytes: a range of 1,000 keys
 * or a watch event fanned out to 100 watchers then costs copies, not re-encoding.
 * Everything in it is ASCII (base64 and digits).
 */
const kvCache = new WeakMap<KeyValue, Buffer>();

export function kvBuf(kv: KeyValue): Buffer {
  let b = kvCache.get(kv);
  if (b === undefined) {
    let s = `{"key":"${kv.key.toString('base64')}"`;
    if (kv.createRevision) s += `,"create_revision":"${kv.createRevision}"`;
    if (kv.modRevision) s += `,"mod_revision":"${kv.modRevision}"`;
    if (kv.version) s += `,"version":"${kv.version}"`;
    if (kv.value.length) s += `,"value":"${kv.value.toString('base64')}"`;
    if (kv.lease) s += `,"lease":"${kv.lease}"`;
    b = Buffer.from(s + '}', 'latin1');
    kvCache.set(kv, b);
  }
  return b;
}

export const kvOut = (kv: KeyValue): string => kvBuf(kv).toString('latin1');

const ascii = (s: string) => Buffer.from(s, 'latin1');
const COMMA = ascii(',');

/** Joins bytes and ASCII text into one body. */
function join(parts: Array<Buffer | string>): Buffer {
  return Buffer.concat(parts.map((p) => (typeof p === 'string' ? ascii(p) : p)));
}

function list(parts: Array<Buffer | string>, items: Buffer[]): void {
  items.forEach((b, i) => {
    if (i > 0) parts.push(COMMA);
    parts.push(b);
  });
}

const nested = (revision: number) => `{"revision":"${revision}"}`;

export function rangeOut(header: string, r: RangeResponse): Buffer {
  const parts: Array<Buffer | string> = [`{"header":${header}`];
  if (r.kvs.length) {
    parts.push(',"kvs":[');
    list(parts, r.kvs.map(kvBuf));
    parts.push(']');
  }
  let tail = '';
  if (r.more) tail += ',"more":true';
  if (r.count) tail += `,"count":"${r.count}"`;
  parts.push(tail + '}');
  return join(parts);
}

export function putOut(header: string, r: PutResponse): string {
  return r.prevKv ? `{"header":${header},"prev_kv":${kvOut(r.prevKv)}}` : `{"header":${header}}`;
}

export function deleteRangeOut(header: string, r: DeleteRangeResponse): string {
  let s = `{"header":${header}`;
  if (r.deleted) s += `,"deleted":"${r.deleted}"`;
  if (r.prevKvs.length) s += `,"prev_kvs":[${r.prevKvs.map(kvOut).join(',')}]`;
  return s + '}';
}

function opOut(r: ResponseOp): string {
  if ('range' in r) return `{"response_range":${rangeOut(nested(r.range.revision), r.range).toString('latin1')}}`;
  if ('put' in r) return `{"response_put":${putOut(nested(r.put.revision), r.put)}}`;
  if ('deleteRange' in r) return `{"response_delete_range":${deleteRangeOut(nested(r.deleteRange.revision), r.deleteRange)}}`;
  return `{"response_txn":${txnOut(nested(r.txn.revision), r.txn)}}`;
}

export function txnOut(header: string, r: TxnResponse): string {
  let s = `{"header":${header}`;
  if (r.succeeded) s += ',"succeeded":true';
  if (r.responses.length) s += `,"responses":[${r.responses.map(opOut).join(',')}]`;
  return s + '}';
}

const PUT_OPEN = ascii('{"kv":');
const DELETE_OPEN = ascii('{"type":"DELETE","kv":');
const PREV = ascii(',"prev_kv":');
const CLOSE = ascii('}');

function eventParts(parts: Array<Buffer | string>, e: Event, withPrev: boolean): void {
  parts.push(e.type === 'DELETE' ? DELETE_OPEN : PUT_OPEN, kvBuf(e.kv));
  if (withPrev && e.prevKv) parts.push(PREV, kvBuf(e.prevKv));
  parts.push(CLOSE);
}

export interface WatchResponseOut {
  watchId: number;
  created?: boolean;
  canceled?: boolean;
  compactRevision?: number;
  events?: Event[];
  prevKv?: boolean;
}

/** One line of a watch stream. */
export function watchOut(header: string, w: WatchResponseOut): Buffer {
  let s = `{"result":{"header":${header}`;
  if (w.watchId) s += `,"watch_id":"${w.watchId}"`;
  if (w.created) s += ',"created":true';
  if (w.canceled) s += ',"canceled":true';
  if (w.compactRevision) s += `,"compact_revision":"${w.compactRevision}"`;
  if (!w.events?.length) return ascii(s + '}}\n');
  const parts: Array<Buffer | string> = [s, ',"events":['];
  w.events.forEach((e, i) => {
    if (i > 0) parts.push(COMMA);
    eventParts(parts, e, !!w.prevKv);
  });
  parts.push(']}}\n');
  return join(parts);
}

export function errorOut(e: EtcdError): string {
  const m = JSON.stringify(e.message);
  return `{"error":${m},"message":${m},"code":${e.code}}`;
}
