/**
 * Errors from an etcd v3 JSON gateway (real etcd or etcdlite).
 *
 * Unary calls fail with HTTP 4xx/5xx and a body like
 * `{"error":"etcdserver: ...","message":"etcdserver: ...","code":11}` where `code` is
 * the gRPC status code. Streams (watch, keepalive) report errors in-band as
 * `{"error":{"grpc_code":2,"http_code":500,"message":"...","http_status":"..."}}`.
 */

/** gRPC status codes, as carried in the gateway's `code` field. */
export const GrpcCode = {
  OK: 0,
  CANCELLED: 1,
  UNKNOWN: 2,
  INVALID_ARGUMENT: 3,
  DEADLINE_EXCEEDED: 4,
  NOT_FOUND: 5,
  ALREADY_EXISTS: 6,
  PERMISSION_DENIED: 7,
  RESOURCE_EXHAUSTED: 8,
  FAILED_PRECONDITION: 9,
  ABORTED: 10,
  OUT_OF_RANGE: 11,
  UNIMPLEMENTED: 12,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  DATA_LOSS: 15,
  UNAUTHENTICATED: 16,
} as const;

/** The exact messages etcd uses for the errors callers branch on. */
export const EtcdErrorMessage = {
  compacted: 'etcdserver: mvcc: required revision has been compacted',
  futureRevision: 'etcdserver: mvcc: required revision is a future revision',
  leaseNotFound: 'etcdserver: requested lease not found',
  leaseExists: 'etcdserver: lease already exists',
  keyNotFound: 'etcdserver: key not found',
  emptyKey: 'etcdserver: key is not provided',
  valueProvided: 'etcdserver: value is provided',
  leaseProvided: 'etcdserver: lease is provided',
  duplicateKey: 'etcdserver: duplicate key given in txn request',
  tooManyOps: 'etcdserver: too many operations in txn request',
  requestTooLarge: 'etcdserver: request is too large',
  leaseTTLTooLarge: 'etcdserver: too large lease TTL',
  stopped: 'etcdserver: server stopped',
} as const;

/** The HTTP status etcd 3.4's gateway (grpc-gateway v1) answers for a gRPC code. */
export function httpStatusForCode(code: number): number {
  switch (code) {
    case GrpcCode.OK:
      return 200;
    case GrpcCode.CANCELLED:
      return 408;
    case GrpcCode.INVALID_ARGUMENT:
    case GrpcCode.OUT_OF_RANGE:
      return 400;
    case GrpcCode.DEADLINE_EXCEEDED:
      return 504;
    case GrpcCode.NOT_FOUND:
      return 404;
    case GrpcCode.ALREADY_EXISTS:
    case GrpcCode.ABORTED:
      return 409;
    case GrpcCode.PERMISSION_DENIED:
      return 403;
    case GrpcCode.UNAUTHENTICATED:
      return 401;
    case GrpcCode.RESOURCE_EXHAUSTED:
      return 429;
    case GrpcCode.FAILED_PRECONDITION:
      return 412;
    case GrpcCode.UNIMPLEMENTED:
      return 501;
    case GrpcCode.UNAVAILABLE:
      return 503;
    default:
      return 500;
  }
}

export interface EtcdErrorOptions {
  /** gRPC status code (see {@link GrpcCode}). */
  code: number;
  /** HTTP status of the gateway response; 0 when no HTTP response was received. */
  httpStatus: number;
  cause?: unknown;
}

export class EtcdError extends Error {
  override readonly name = 'EtcdError';
  readonly code: number;
  readonly httpStatus: number;

  constructor(message: string, opts: EtcdErrorOptions) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.code = opts.code;
    this.httpStatus = opts.httpStatus;
  }

  /** The requested revision is below the compacted revision. */
  get isCompacted(): boolean {
    return this.message.includes('required revision has been compacted');
  }

  /** The requested revision is above the store's current revision. */
  get isFutureRevision(): boolean {
    return this.message.includes('required revision is a future revision');
  }

  get isLeaseNotFound(): boolean {
    return this.message.includes('requested lease not found');
  }

  /** `ignore_value`/`ignore_lease` on a key that does not exist. */
  get isKeyNotFound(): boolean {
    return this.message.includes(EtcdErrorMessage.keyNotFound);
  }

  /** The server could not be reached or the stream broke; retrying may help. */
  get isUnavailable(): boolean {
    return this.code === GrpcCode.UNAVAILABLE;
  }

  /** Builds the error for a non-2xx gateway response from its raw body. */
  static fromHttp(httpStatus: number, body: string): EtcdError {
    let parsed: unknown;
    try {
      parsed = JSON.parse(body);
    } catch {
      parsed = undefined;
    }
    if (parsed !== null && typeof parsed === 'object') {
      const err = fromErrorObject(parsed as Record<string, unknown>, httpStatus);
      if (err) return err;
    }
    const text = body.trim() || `HTTP ${httpStatus}`;
    return new EtcdError(text, { code: codeForHttpStatus(httpStatus), httpStatus });
  }

  /** Builds the error for an in-band `{"error": ...}` stream frame. */
  static fromStreamFrame(frame: Record<string, unknown>): EtcdError {
    return (
      fromErrorObject(frame, 0) ??
      new EtcdError(`malformed error frame: ${JSON.stringify(frame).slice(0, 200)}`, {
        code: GrpcCode.INTERNAL,
        httpStatus: 0,
      })
    );
  }
}

/** Wraps a transport failure (connection refused, reset, TLS) as UNAVAILABLE. */
export function unavailable(cause: unknown, what: string): EtcdError {
  if (cause instanceof EtcdError) return cause;
  const detail = cause instanceof Error ? cause.message : String(cause);
  return new EtcdError(`${what}: ${detail}`, { code: GrpcCode.UNAVAILABLE, httpStatus: 0, cause });
}

function fromErrorObject(o: Record<string, unknown>, httpStatus: number): EtcdError | undefined {
  const e = o.error;
  if (typeof e === 'string') {
    // Unary shape: {"error": "...", "message": "...", "code": N}
    const message = typeof o.message === 'string' && o.message !== '' ? o.message : e;
    const code = typeof o.code === 'number' ? o.code : codeForHttpStatus(httpStatus);
    return new EtcdError(message, { code, httpStatus });
  }
  if (e !== null && typeof e === 'object') {
    // Stream shape: {"error": {"grpc_code": N, "http_code": N, "message": "...", "http_status": "..."}}
    const inner = e as Record<string, unknown>;
    const message = typeof inner.message === 'string' ? inner.message : JSON.stringify(inner);
    const code = typeof inner.grpc_code === 'number' ? inner.grpc_code : typeof inner.code === 'number' ? inner.code : GrpcCode.UNKNOWN;
    const status = typeof inner.http_code === 'number' ? inner.http_code : httpStatus;
    return new EtcdError(message, { code, httpStatus: status });
  }
  return undefined;
}

function codeForHttpStatus(status: number): number {
  switch (status) {
    case 400:
      return GrpcCode.INVALID_ARGUMENT;
    case 401:
      return GrpcCode.UNAUTHENTICATED;
    case 403:
      return GrpcCode.PERMISSION_DENIED;
    case 404:
      return GrpcCode.NOT_FOUND;
    case 409:
      return GrpcCode.ABORTED;
    case 412:
      return GrpcCode.FAILED_PRECONDITION;
    case 429:
      return GrpcCode.RESOURCE_EXHAUSTED;
    case 501:
      return GrpcCode.UNIMPLEMENTED;
    case 503:
      return GrpcCode.UNAVAILABLE;
    case 504:
      return GrpcCode.DEADLINE_EXCEEDED;
    default:
      return GrpcCode.UNKNOWN;
  }
}
