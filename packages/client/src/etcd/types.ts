/**
 * Public request and response shapes of the etcd client, in camelCase with revisions as
 * numbers. Lease IDs stay decimal strings: they are int64 and real etcd hands out values
 * above 2^53.
 */

/** A key or value: strings are UTF-8 encoded. */
export type Bytes = string | Uint8Array;

/** A lease ID, an int64 in decimal. `'0'` means "no lease". */
export type LeaseId = string;

export interface ResponseHeader {
  /** uint64 in decimal ('' when the server omitted it). */
  clusterId: string;
  memberId: string;
  /** The store revision when the request was served (0 when omitted). */
  revision: number;
  raftTerm: number;
}

export interface KeyValue {
  key: Buffer;
  value: Buffer;
  createRevision: number;
  modRevision: number;
  version: number;
  /** `'0'` when the key has no lease. */
  lease: LeaseId;
}

export type SortOrder = 'NONE' | 'ASCEND' | 'DESCEND';
export type SortTarget = 'KEY' | 'VERSION' | 'CREATE' | 'MOD' | 'VALUE';

/** How the end of a range is chosen; at most one of `rangeEnd`, `prefix`, `fromKey`. */
export interface KeyRangeOptions {
  /** Exclusive end of the range `[key, rangeEnd)`; `'\0'` means "every key >= key". */
  rangeEnd?: Bytes;
  /** Every key starting with `key` (an empty key means every key). */
  prefix?: boolean;
  /** Every key >= `key` (sets `rangeEnd` to `'\0'`). */
  fromKey?: boolean;
}

export interface RangeOptions extends KeyRangeOptions {
  limit?: number;
  /** Read at this revision (0 or absent: the current one). */
  revision?: number;
  sortOrder?: SortOrder;
  sortTarget?: SortTarget;
  serializable?: boolean;
  keysOnly?: boolean;
  countOnly?: boolean;
  minModRevision?: number;
  maxModRevision?: number;
  minCreateRevision?: number;
  maxCreateRevision?: number;
}

export interface RangeResponse {
  header: ResponseHeader;
  kvs: KeyValue[];
  /** More keys matched than `limit` allowed. */
  more: boolean;
  /** Number of keys in the range (not limited by `limit`). */
  count: number;
}

export interface PutOptions {
  lease?: LeaseId | number | bigint;
  prevKv?: boolean;
  ignoreValue?: boolean;
  ignoreLease?: boolean;
}

export interface PutResponse {
  header: ResponseHeader;
  prevKv?: KeyValue;
}

export interface DeleteOptions extends KeyRangeOptions {
  prevKv?: boolean;
}

export interface DeleteResponse {
  header: ResponseHeader;
  deleted: number;
  /** Only filled when `prevKv` was asked for. */
  prevKvs: KeyValue[];
}

export type CompareResult = 'EQUAL' | 'GREATER' | 'LESS' | 'NOT_EQUAL';

interface CompareBase {
  key: Bytes;
  /** Compare every key in `[key, rangeEnd)`; all must satisfy the comparison. */
  rangeEnd?: Bytes;
  result: CompareResult;
}

export type Compare =
  | (CompareBase & { target: 'VERSION'; version: number })
  | (CompareBase & { target: 'CREATE'; createRevision: number })
  | (CompareBase & { target: 'MOD'; modRevision: number })
  | (CompareBase & { target: 'VALUE'; value: Bytes })
  | (CompareBase & { target: 'LEASE'; lease: LeaseId | number | bigint });

export type TxnOp =
  | ({ type: 'range'; key: Bytes } & RangeOptions)
  | ({ type: 'put'; key: Bytes; value: Bytes } & PutOptions)
  | ({ type: 'delete'; key: Bytes } & DeleteOptions)
  | ({ type: 'txn' } & TxnRequest);

export interface TxnRequest {
  compare?: Compare[];
  success?: TxnOp[];
  failure?: TxnOp[];
}

export type TxnOpResponse =
  | ({ type: 'range' } & RangeResponse)
  | ({ type: 'put' } & PutResponse)
  | ({ type: 'delete' } & DeleteResponse)
  | ({ type: 'txn' } & TxnResponse);

export interface TxnResponse {
  header: ResponseHeader;
  succeeded: boolean;
  responses: TxnOpResponse[];
}

export interface CompactOptions {
  /** Wait until the compaction is physically applied to the backend. */
  physical?: boolean;
}

export interface CompactResponse {
  header: ResponseHeader;
}

export interface LeaseGrantResponse {
  header: ResponseHeader;
  id: LeaseId;
  /** Granted TTL in seconds (etcd raises small TTLs to its minimum). */
  ttl: number;
  error: string;
}

export interface LeaseRevokeResponse {
  header: ResponseHeader;
}

export interface LeaseKeepAliveResponse {
  header: ResponseHeader;
  id: LeaseId;
  /** New TTL in seconds; 0 when the lease does not exist (expired or revoked). */
  ttl: number;
}

export interface LeaseTimeToLiveResponse {
  header: ResponseHeader;
  id: LeaseId;
  /** Remaining seconds; -1 when the lease does not exist. */
  ttl: number;
  grantedTtl: number;
  /** Keys attached to the lease, when asked for. */
  keys: Buffer[];
}

export interface StatusResponse {
  header: ResponseHeader;
  version: string;
  dbSize: number;
  dbSizeInUse: number;
  leader: string;
  raftIndex: number;
  raftTerm: number;
  raftAppliedIndex: number;
  errors: string[];
  isLearner: boolean;
}

export interface HealthResponse {
  health: boolean;
  reason: string;
}

export type WatchFilter = 'NOPUT' | 'NODELETE';

export interface WatchOptions extends KeyRangeOptions {
  /** Replay history from this revision (inclusive); absent: only new changes. */
  startRevision?: number;
  prevKv?: boolean;
  /** Ask the server for periodic progress notifications (empty responses). */
  progressNotify?: boolean;
  filters?: WatchFilter[];
  fragment?: boolean;
  /** Aborting this signal cancels the watch, like `cancel()`. */
  signal?: AbortSignal;
  /**
   * Responses buffered ahead of the consumer before the client stops reading the
   * socket (TCP back-pressure then reaches the server). Default 1024.
   */
  highWaterMark?: number;
}

export interface WatchEvent {
  type: 'PUT' | 'DELETE';
  /** For DELETE, only `key` and `modRevision` (the delete's revision) are set. */
  kv: KeyValue;
  prevKv?: KeyValue;
}

export interface WatchResponse {
  header: ResponseHeader;
  /** etcd sends -1 for progress responses answering a progress request. */
  watchId: number;
  created: boolean;
  canceled: boolean;
  /** Set on a watch canceled because `startRevision` was compacted: the compacted revision. */
  compactRevision: number;
  cancelReason: string;
  fragment: boolean;
  events: WatchEvent[];
}

/**
 * The part of the etcd API the API server's storage uses. EtcdClient implements it over
 * HTTP; etcdlite's LocalKvClient implements it in-process for the embedded store.
 */
export interface KvClient {
  get(key: Bytes, opts?: { revision?: number }): Promise<KeyValue | undefined>;
  range(key: Bytes, opts?: RangeOptions): Promise<RangeResponse>;
  txn(req: TxnRequest): Promise<TxnResponse>;
  watch(key: Bytes, opts?: WatchOptions): KvWatch;
  close(): Promise<void>;
}

/** A watch: its responses in order, and a way to stop it. */
export interface KvWatch extends AsyncIterable<WatchResponse> {
  readonly created: Promise<WatchResponse>;
  cancel(): void;
}
