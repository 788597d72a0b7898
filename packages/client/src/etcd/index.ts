export { NUL, prefixEnd, resolveKeyRange, toBuffer } from './bytes.ts';
export { EtcdClient, type EtcdClientOptions, type EtcdTlsOptions } from './client.ts';
export { EtcdError, EtcdErrorMessage, type EtcdErrorOptions, GrpcCode, httpStatusForCode } from './errors.ts';
export { JsonValueSplitter, type StreamFrame, StreamParser, type StreamParserOptions, toFrame } from './stream-parser.ts';
export type * from './types.ts';
export { Watch } from './watch.ts';
