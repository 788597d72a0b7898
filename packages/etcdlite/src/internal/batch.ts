/**
 * What the single writer builds while it runs a group of requests: the LevelDB operations
 * of one WAL record, the events to publish once it is committed, and the records that
 * readers find in memory until LevelDB has them.
 */
import type { KeyValue } from '../types.ts';
import type { CommittedEvent } from '../watch-hub.ts';

export type LevelOp = { type: 'put'; key: Buffer; value: Buffer } | { type: 'del'; key: Buffer };

export interface Batch {
  ops: LevelOp[];
  events: CommittedEvent[];
  /** Records this batch writes, readable from memory until LevelDB has them. */
  refs: string[];
}

/** A queued request: `run` adds its writes to the batch; its result settles the caller's promise. */
export interface Job {
  run(batch: Batch): unknown;
  resolve(v: unknown): void;
  reject(e: unknown): void;
}

/** A committed batch on its way into LevelDB. */
export interface Applying {
  seq: number;
  revision: number;
  ops: LevelOp[];
  refs: string[];
}

export const EMPTY = Buffer.alloc(0);

/** The in-memory name of the event record at revision `main`.`sub`. */
export const refId = (main: number, sub: number) => `${main}:${sub}`;

/** A deleted key's value in events and replies: empty, with every revision but the deletion's zero. */
export const tombstoneKv = (key: Buffer, main: number): KeyValue => ({ key, value: EMPTY, createRevision: 0, modRevision: main, version: 0, lease: 0n });
