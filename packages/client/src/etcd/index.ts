export { EtcdClient, type EtcdClientOptions, type EtcdTlsOptions } from './client.ts';
export { EtcdError, EtcdErrorMessage, GrpcCode, httpStatusForCode, type EtcdErrorOptions } from './errors.ts';
export { NUL, prefixEnd, resolveKeyRange, toBuffer } from './bytes.ts';
export { JsonValueSplitter, StreamParser, toFrame, type StreamFrame, type StreamParserOptions } from './stream-parser.ts';
export { Watch } from './watch.ts';
export type * from './types.ts';
