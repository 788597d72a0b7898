/**
 * `?watch=true`: a chunked stream of `{"type":..., "object":...}` lines from the watch
 * cache. Selector watches see an object leave (DELETED) or enter (ADDED) their view when
 * a change moves it across the selector, as upstream.
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
}

export function serveWatch(cache: WatchCache, res: ServerResponse, w: WatchRequest): void {
  let first = true;
  let closed = false;
  const send = (type: string, object: unknown) => {
    if (closed) return;
    res.write(`${JSON.stringify({ type, object })}\n`);
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
  const end = () => {
    if (closed) return;
    closed = true;
    sub?.close();
    clearTimeout(timeout);
    clearInterval(bookmarks);
    res.end();
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
}
