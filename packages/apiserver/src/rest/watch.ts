/**
 * `?watch=true`: a chunked stream of `{"type":..., "object":...}` lines from the watch
 * cache. Selector watches see an object leave (DELETED) or enter (ADDED) their view when
 * a change moves it across the selector, as upstream.
 *
 * A watcher that stops reading is cut off, as upstream's cacher terminates a watcher
 * whose channel stays full: once more than `maxBufferedBytes` wait to be sent, the
 * connection is closed (what is queued would never be read) and the client re-lists
 * and watches again. What is written at the start (the ADDED events of a
 * `resourceVersion=0` watch, or the events replayed from the window) comes on top of
 * that allowance, so a big start does not cut off a healthy watcher.
 */
import type { ServerResponse } from 'node:http';
import type { KubeObject } from '@minik8s/api';
import { type CacheEvent, TooOldError, type WatchCache } from '../storage/watch-cache.ts';

export interface WatchRequest {
  prefix: string;
  filter(o: KubeObject): boolean;
  /** undefined or '0': start with ADDED events for what exists now. */
  resourceVersion?: string;
  timeoutSeconds?: number;
  allowBookmarks: boolean;
  /** Turns an object into what the client asked to see (e.g. a Table row). */
  encode(o: KubeObject, first: boolean): unknown;
  /** The bookmark object: kind and apiVersion of the resource. */
  bookmark(rv: string): unknown;
  bookmarkIntervalMs?: number;
  /** Bytes that may wait to be sent before the watch is closed (default WATCH_BUFFER_BYTES). */
  maxBufferedBytes?: number;
  /** Called when the watch is closed because the client is not reading. */
  onOverflow?(bufferedBytes: number): void;
}

/** 8 MiB: about eighty 100 KiB objects, far more than a reading client has queued; 4 stalled watchers cost at most 32 MiB. */
export const WATCH_BUFFER_BYTES = 8 * 1024 * 1024;

export function serveWatch(cache: WatchCache, res: ServerResponse, w: WatchRequest): void {
  let first = true;
  let closed = false;
  /** Set once the start is written: the most bytes that may wait to be sent. */
  let limit: number | undefined;
  const send = (type: string, object: unknown) => {
    if (closed) return;
    res.write(`${JSON.stringify({ type, object })}\n`);
    if (limit !== undefined && res.writableLength > limit) overflow();
  };
  const emit = (type: string, o: KubeObject) => {
    send(type, w.encode(o, first));
    first = false;
  };

  res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-cache, private', 'transfer-encoding': 'chunked' });
  res.flushHeaders();

  let from: number;
  if (w.resourceVersion === undefined || w.resourceVersion === '' || w.resourceVersion === '0') {
    const { items, revision } = cache.list(w.prefix);
    for (const o of items) if (w.filter(o)) emit('ADDED', o);
    from = revision;
  } else from = Number(w.resourceVersion);

  const onEvent = (e: CacheEvent) => {
    const now = e.type !== 'DELETED' && w.filter(e.object);
    const before = e.prev !== undefined && w.filter(e.prev);
    if (e.type === 'DELETED') {
      if (before) emit('DELETED', e.object);
    } else if (now && before) emit('MODIFIED', e.object);
    else if (now) emit('ADDED', e.object);
    else if (before) emit('DELETED', e.object);
  };
  let sub: { close(): void } | undefined;
  const stop = () => {
    closed = true;
    sub?.close();
    clearTimeout(timeout);
    clearInterval(bookmarks);
  };
  const end = () => {
    if (closed) return;
    stop();
    res.end();
  };
  const overflow = () => {
    const buffered = res.writableLength;
    stop();
    // Not end(): that would keep everything queued until a client that is not
    // reading reads it. Dropping the connection frees it now.
    res.destroy();
    w.onOverflow?.(buffered);
  };
  const fail = (err: Error) => {
    const tooOld = err instanceof TooOldError;
    send('ERROR', {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: err.message,
      reason: tooOld ? 'Expired' : 'InternalError',
      code: tooOld ? 410 : 500,
    });
    end();
  };
  const timeout = w.timeoutSeconds ? setTimeout(end, w.timeoutSeconds * 1000) : undefined;
  const bookmarks = w.allowBookmarks ? setInterval(() => send('BOOKMARK', w.bookmark(String(cache.revision))), w.bookmarkIntervalMs ?? 60_000) : undefined;
  res.on('close', end);
  try {
    sub = cache.subscribe(w.prefix, from, onEvent, fail);
  } catch (e) {
    fail(e as Error);
  }
  limit = res.writableLength + (w.maxBufferedBytes ?? WATCH_BUFFER_BYTES);
}
