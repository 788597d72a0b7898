import { describe, expect, it } from 'vitest';
import { EtcdError, GrpcCode, unavailable } from './errors.ts';

describe('EtcdError.fromHttp', () => {
  it('reads the gateway error body', () => {
    const e = EtcdError.fromHttp(
      400,
      '{"error":"etcdserver: mvcc: required revision has been compacted","message":"etcdserver: mvcc: required revision has been compacted","code":11}',
    );
    expect(e).toBeInstanceOf(Error);
    expect(e.name).toBe('EtcdError');
    expect([e.code, e.httpStatus, e.message]).toEqual([11, 400, 'etcdserver: mvcc: required revision has been compacted']);
    expect([e.isCompacted, e.isFutureRevision, e.isLeaseNotFound]).toEqual([true, false, false]);
  });

  it('classifies future revision and lease-not-found errors', () => {
    expect(EtcdError.fromHttp(400, '{"error":"x","message":"etcdserver: mvcc: required revision is a future revision","code":11}').isFutureRevision).toBe(true);
    const nf = EtcdError.fromHttp(404, '{"error":"etcdserver: requested lease not found","code":5}');
    expect([nf.isLeaseNotFound, nf.code, nf.message]).toEqual([true, 5, 'etcdserver: requested lease not found']);
  });

  it('falls back to the HTTP status for bodies that are not gateway errors', () => {
    const e = EtcdError.fromHttp(405, 'Method Not Allowed\n');
    expect([e.code, e.httpStatus, e.message]).toEqual([GrpcCode.UNKNOWN, 405, 'Method Not Allowed']);
    expect(EtcdError.fromHttp(503, '').code).toBe(GrpcCode.UNAVAILABLE);
    expect(EtcdError.fromHttp(404, '').message).toBe('HTTP 404');
  });
});

describe('unavailable', () => {
  it('wraps transport errors and keeps the cause', () => {
    const cause = new Error('connect ECONNREFUSED 127.0.0.1:1');
    const e = unavailable(cause, 'POST /v3/kv/range');
    expect([e.code, e.httpStatus, e.isUnavailable]).toEqual([14, 0, true]);
    expect(e.message).toBe('POST /v3/kv/range: connect ECONNREFUSED 127.0.0.1:1');
    expect(e.cause).toBe(cause);
    const already = new EtcdError('x', { code: 3, httpStatus: 400 });
    expect(unavailable(already, 'y')).toBe(already);
  });
});
