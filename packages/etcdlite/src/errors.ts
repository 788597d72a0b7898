/**
 * Errors the store returns: the storage client's own EtcdError, with etcd's gRPC codes,
 * messages and gateway HTTP statuses, so a client written for etcd reads them unchanged.
 */
import { EtcdError, GrpcCode, httpStatusForCode, EtcdErrorMessage as M } from '@minik8s/client/etcd';

export { EtcdError, GrpcCode };

export const etcdError = (code: number, message: string, cause?: unknown) => new EtcdError(message, { code, httpStatus: httpStatusForCode(code), cause });

const make = (code: number, message: string) => () => etcdError(code, message);

export const errors = {
  compacted: make(GrpcCode.OUT_OF_RANGE, M.compacted),
  futureRevision: make(GrpcCode.OUT_OF_RANGE, M.futureRevision),
  emptyKey: make(GrpcCode.INVALID_ARGUMENT, M.emptyKey),
  keyNotFound: make(GrpcCode.INVALID_ARGUMENT, M.keyNotFound),
  valueProvided: make(GrpcCode.INVALID_ARGUMENT, M.valueProvided),
  leaseProvided: make(GrpcCode.INVALID_ARGUMENT, M.leaseProvided),
  duplicateKey: make(GrpcCode.INVALID_ARGUMENT, M.duplicateKey),
  tooManyOps: make(GrpcCode.INVALID_ARGUMENT, M.tooManyOps),
  requestTooLarge: make(GrpcCode.INVALID_ARGUMENT, M.requestTooLarge),
  // etcd reads a negative revision as "now"; etcdlite refuses it.
  negativeRevision: make(GrpcCode.INVALID_ARGUMENT, 'etcdserver: revision must not be negative'),
  leaseNotFound: make(GrpcCode.NOT_FOUND, M.leaseNotFound),
  leaseExists: make(GrpcCode.FAILED_PRECONDITION, M.leaseExists),
  leaseTTLTooLarge: make(GrpcCode.OUT_OF_RANGE, M.leaseTTLTooLarge),
  stopped: make(GrpcCode.UNAVAILABLE, M.stopped),
};

export const isEtcdError = (e: unknown): e is EtcdError => e instanceof EtcdError;
