/**
 * The store's request and response shapes: etcd's v3 protobuf messages in camelCase,
 * with keys and values as Buffers, revisions as numbers and lease IDs as bigints (they
 * are int64 on the wire).
 */
export interface KeyValue {
  readonly key: Buffer;
  readonly value: Buffer;
  readonly createRevision: number;
  readonly modRevision: number;
  readonly version: number;
  readonly lease: bigint;
}

export type SortOrder = 'NONE' | 'ASCEND' | 'DESCEND';
export type SortTarget = 'KEY' | 'VERSION' | 'CREATE' | 'MOD' | 'VALUE';

export interface RangeRequest {
  key: Buffer;
  /** Empty: the single key. A single 0 byte: every key >= key. */
  rangeEnd?: Buffer | undefined;
  limit?: number | undefined;
  /** 0 or absent: the current revision. */
  revision?: number | undefined;
  sortOrder?: SortOrder | undefined;
  sortTarget?: SortTarget | undefined;
  keysOnly?: boolean | undefined;
  countOnly?: boolean | undefined;
  minModRevision?: number | undefined;
  maxModRevision?: number | undefined;
  minCreateRevision?: number | undefined;
  maxCreateRevision?: number | undefined;
}

export interface RangeResponse {
  revision: number;
  kvs: KeyValue[];
  more: boolean;
  count: number;
  /** Set when the response leaves values out (keys_only). */
  keysOnly?: boolean;
}

export interface PutRequest {
  key: Buffer;
  value?: Buffer | undefined;
  lease?: bigint | undefined;
  prevKv?: boolean | undefined;
  ignoreValue?: boolean | undefined;
  ignoreLease?: boolean | undefined;
}

export interface PutResponse {
  revision: number;
  prevKv?: KeyValue | undefined;
}

export interface DeleteRangeRequest {
  key: Buffer;
  rangeEnd?: Buffer | undefined;
  prevKv?: boolean | undefined;
}

export interface DeleteRangeResponse {
  revision: number;
  deleted: number;
  prevKvs: KeyValue[];
}

export type CompareTarget = 'VERSION' | 'CREATE' | 'MOD' | 'VALUE' | 'LEASE';
export type CompareResult = 'EQUAL' | 'GREATER' | 'LESS' | 'NOT_EQUAL';

export interface Compare {
  key: Buffer;
  rangeEnd?: Buffer | undefined;
  target: CompareTarget;
  result: CompareResult;
  version?: number | undefined;
  createRevision?: number | undefined;
  modRevision?: number | undefined;
  value?: Buffer | undefined;
  lease?: bigint | undefined;
}

export type RequestOp = { range: RangeRequest } | { put: PutRequest } | { deleteRange: DeleteRangeRequest } | { txn: TxnRequest };

export type ResponseOp = { range: RangeResponse } | { put: PutResponse } | { deleteRange: DeleteRangeResponse } | { txn: TxnResponse };

export interface TxnRequest {
  compare: Compare[];
  success: RequestOp[];
  failure: RequestOp[];
}

export interface TxnResponse {
  revision: number;
  succeeded: boolean;
  responses: ResponseOp[];
}

export type EventType = 'PUT' | 'DELETE';

export interface Event {
  type: EventType;
  /** For DELETE: the key and the revision of the delete, nothing else (as etcd). */
  kv: KeyValue;
  prevKv?: KeyValue | undefined;
}

export interface LeaseInfo {
  id: bigint;
  ttl: number;
  grantedTtl: number;
  keys: Buffer[];
}
