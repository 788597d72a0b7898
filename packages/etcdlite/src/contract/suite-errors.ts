/** The errors etcd answers with, as the contract expects them. */
export const COMPACTED = { code: 11, httpStatus: 400, message: 'etcdserver: mvcc: required revision has been compacted' };
export const FUTURE = { code: 11, httpStatus: 400, message: 'etcdserver: mvcc: required revision is a future revision' };
export const LEASE_NOT_FOUND = { code: 5, httpStatus: 404, message: 'etcdserver: requested lease not found' };
export const KEY_NOT_FOUND = { code: 3, httpStatus: 400, message: 'etcdserver: key not found' };
export const EMPTY_KEY = { code: 3, httpStatus: 400, message: 'etcdserver: key is not provided' };
export const DUPLICATE_KEY = { code: 3, httpStatus: 400, message: 'etcdserver: duplicate key given in txn request' };
