/**
 * Errors the store returns, with etcd's own gRPC codes and messages, so that a client
 * written for etcd (including our own storage client) reads them unchanged.
 */
export const GrpcCode = {
  OK: 0,
  Canceled: 1,
  Unknown: 2,
  InvalidArgument: 3,
  DeadlineExceeded: 4,
  NotFound: 5,
  AlreadyExists: 6,
  PermissionDenied: 7,
  ResourceExhausted: 8,
  FailedPrecondition: 9,
  Aborted: 10,
  OutOfRange: 11,
  Unimplemented: 12,
  Internal: 13,
  Unavailable: 14,
  DataLoss: 15,
  Unauthenticated: 16,
} as const;
export type GrpcCode = (typeof GrpcCode)[keyof typeof GrpcCode];

/** The HTTP status the etcd 3.4 gateway (grpc-gateway v1) answers for each gRPC code. */
const httpStatusByCode: Record<number, number> = {
  0: 200,
  1: 408,
  2: 500,
  3: 400,
  4: 504,
  5: 404,
  6: 409,
  7: 403,
  8: 429,
  9: 412,
  10: 409,
  11: 400,
  12: 501,
  13: 500,
  14: 503,
  15: 500,
  16: 401,
};

export class EtcdError extends Error {
  override readonly name = 'EtcdError';
  constructor(
    readonly code: GrpcCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }

  get httpStatus(): number {
    return httpStatusByCode[this.code] ?? 500;
  }
}

const make = (code: GrpcCode, message: string) => () => new EtcdError(code, message);

export const errors = {
  compacted: make(GrpcCode.OutOfRange, 'etcdserver: mvcc: required revision has been compacted'),
  futureRevision: make(GrpcCode.OutOfRange, 'etcdserver: mvcc: required revision is a future revision'),
  emptyKey: make(GrpcCode.InvalidArgument, 'etcdserver: key is not provided'),
  keyNotFound: make(GrpcCode.InvalidArgument, 'etcdserver: key not found'),
  valueProvided: make(GrpcCode.InvalidArgument, 'etcdserver: value is provided'),
  leaseProvided: make(GrpcCode.InvalidArgument, 'etcdserver: lease is provided'),
  duplicateKey: make(GrpcCode.InvalidArgument, 'etcdserver: duplicate key given in txn request'),
  tooManyOps: make(GrpcCode.InvalidArgument, 'etcdserver: too many operations in txn request'),
  requestTooLarge: make(GrpcCode.InvalidArgument, 'etcdserver: request is too large'),
  negativeRevision: make(GrpcCode.InvalidArgument, 'etcdserver: revision must not be negative'),
  leaseNotFound: make(GrpcCode.NotFound, 'etcdserver: requested lease not found'),
  leaseExists: make(GrpcCode.FailedPrecondition, 'etcdserver: lease already exists'),
  leaseTTLTooLarge: make(GrpcCode.OutOfRange, 'etcdserver: too large lease TTL'),
  stopped: make(GrpcCode.Unavailable, 'etcdserver: server stopped'),
};

export const isEtcdError = (e: unknown): e is EtcdError => e instanceof EtcdError;
