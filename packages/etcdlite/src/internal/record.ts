/**
 * LevelDB layout. Every write appends events keyed by revision; nothing is updated in
 * place, so the log is the history, and the in-memory index is rebuilt from it on open.
 *
 *   e <main:8 BE> <sub:4 BE>   -> event record (below)
 *   l <lease id:8 BE>          -> lease TTL in seconds (8 BE)
 *   m compact                  -> compacted revision (8 BE)
 *   m ids                      -> cluster id (8) and member id (8), made on first open
 *   m walseq                   -> the last write-ahead log record applied here (8 BE)
 *
 * Event record: flags:1 (bit 0 = tombstone) | create:8 | version:8 | lease:8 | keyLen:4 | key | value
 */
import type { KeyValue } from '../types.ts';

export const EVENT_PREFIX = 0x65; // 'e'
export const LEASE_PREFIX = 0x6c; // 'l'
export const COMPACT_KEY = Buffer.from('mcompact');
export const IDS_KEY = Buffer.from('mids');
export const WALSEQ_KEY = Buffer.from('mwalseq');

export const EVENTS_START = Buffer.from([EVENT_PREFIX]);
export const EVENTS_END = Buffer.from([EVENT_PREFIX + 1]);
export const LEASES_START = Buffer.from([LEASE_PREFIX]);
export const LEASES_END = Buffer.from([LEASE_PREFIX + 1]);

export function eventKey(main: number, sub: number): Buffer {
  const b = Buffer.allocUnsafe(13);
  b[0] = EVENT_PREFIX;
  writeU64(b, 1, main);
  b.writeUInt32BE(sub, 9);
  return b;
}

export function parseEventKey(b: Buffer): { main: number; sub: number } {
  return { main: readU64(b, 1), sub: b.readUInt32BE(9) };
}

export interface DecodedEvent {
  main: number;
  sub: number;
  tombstone: boolean;
  kv: KeyValue;
}

const HEADER = 1 + 8 + 8 + 8 + 4;

export function encodeEvent(kv: KeyValue, tombstone: boolean): Buffer {
  const b = Buffer.allocUnsafe(HEADER + kv.key.length + kv.value.length);
  b[0] = tombstone ? 1 : 0;
  writeU64(b, 1, kv.createRevision);
  writeU64(b, 9, kv.version);
  b.writeBigInt64BE(kv.lease, 17);
  b.writeUInt32BE(kv.key.length, 25);
  kv.key.copy(b, HEADER);
  kv.value.copy(b, HEADER + kv.key.length);
  return b;
}

export function decodeEvent(key: Buffer, rec: Buffer): DecodedEvent {
  const { main, sub } = parseEventKey(key);
  const keyLen = rec.readUInt32BE(25);
  const tombstone = (rec[0]! & 1) === 1;
  return {
    main,
    sub,
    tombstone,
    kv: {
      key: rec.subarray(HEADER, HEADER + keyLen),
      value: rec.subarray(HEADER + keyLen),
      createRevision: readU64(rec, 1),
      version: readU64(rec, 9),
      lease: rec.readBigInt64BE(17),
      modRevision: main,
    },
  };
}

export function leaseKey(id: bigint): Buffer {
  const b = Buffer.allocUnsafe(9);
  b[0] = LEASE_PREFIX;
  b.writeBigInt64BE(id, 1);
  return b;
}

export const parseLeaseKey = (b: Buffer): bigint => b.readBigInt64BE(1);

export function u64(n: number): Buffer {
  const b = Buffer.allocUnsafe(8);
  writeU64(b, 0, n);
  return b;
}

export const readU64At0 = (b: Buffer): number => readU64(b, 0);

function writeU64(b: Buffer, off: number, n: number): void {
  b.writeUInt32BE(Math.floor(n / 0x1_0000_0000), off);
  b.writeUInt32BE(n >>> 0, off + 4);
}

function readU64(b: Buffer, off: number): number {
  return b.readUInt32BE(off) * 0x1_0000_0000 + b.readUInt32BE(off + 4);
}
