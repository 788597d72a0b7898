/** One watch request as an async iterable of the events the API server streams, a JSON object a line. */
import { StringDecoder } from 'node:string_decoder';
import { apiError, isStatus, KubeApiError, KubeConnectionError, type RequestInfo, statusFromResponse } from './errors.ts';
import type { KubeObject, WatchEvent, WatchEventType } from './types.ts';

const EVENT_TYPES = new Set<string>(['ADDED', 'MODIFIED', 'DELETED', 'BOOKMARK']);

/**
 * One watch request as an async iterable of events. It can be iterated once. `stop()`
 * (or breaking out of the loop, or the signal) closes the connection and ends the
 * iteration without an error.
 */
export class WatchStream<T extends KubeObject = KubeObject> implements AsyncIterable<WatchEvent<T>> {
  private readonly ac = new AbortController();
  private started = false;
  private done = false;

  constructor(
    private readonly open: (signal: AbortSignal) => Promise<AsyncIterable<Buffer | string>>,
    readonly request: RequestInfo & { server: string },
    signal?: AbortSignal,
    private readonly onClose?: (w: WatchStream<T>) => void,
  ) {
    if (signal) {
      if (signal.aborted) this.stop();
      else signal.addEventListener('abort', () => this.stop(), { once: true });
    }
  }

  get stopped(): boolean {
    return this.ac.signal.aborted;
  }

  stop(): void {
    if (!this.ac.signal.aborted) this.ac.abort(new Error('watch stopped'));
    this.finish();
  }

  private finish(): void {
    if (this.done) return;
    this.done = true;
    this.onClose?.(this);
  }

  [Symbol.asyncIterator](): AsyncIterator<WatchEvent<T>> {
    if (this.started) throw new Error('a watch can be iterated only once');
    this.started = true;
    return this.events();
  }

  private async *events(): AsyncGenerator<WatchEvent<T>> {
    try {
      if (this.stopped) return;
      let body: AsyncIterable<Buffer | string>;
      try {
        body = await this.open(this.ac.signal);
      } catch (e) {
        if (this.stopped) return;
        throw e;
      }
      const decoder = new StringDecoder('utf8');
      let buf = '';
      try {
        for await (const chunk of body) {
          buf += typeof chunk === 'string' ? chunk : decoder.write(chunk);
          for (let i = buf.indexOf('\n'); i >= 0; i = buf.indexOf('\n')) {
            const line = buf.slice(0, i).trim();
            buf = buf.slice(i + 1);
            if (line) yield this.decode(line);
          }
        }
      } catch (e) {
        if (this.stopped) return;
        if (e instanceof KubeApiError) throw e;
        throw new KubeConnectionError(this.request, e);
      }
      const rest = (buf + decoder.end()).trim();
      if (rest && !this.stopped) yield this.decode(rest);
    } finally {
      if (!this.ac.signal.aborted) this.ac.abort(new Error('watch ended'));
      this.finish();
    }
  }

  private decode(line: string): WatchEvent<T> {
    let ev: { type?: unknown; object?: unknown };
    try {
      ev = JSON.parse(line);
    } catch (e) {
      throw new KubeApiError(statusFromResponse(500, `malformed watch event: ${line.slice(0, 200)}`), { request: this.request, cause: e });
    }
    if (ev.type === 'ERROR') {
      const status = isStatus(ev.object) ? ev.object : statusFromResponse(500, JSON.stringify(ev.object ?? null));
      throw apiError(status, this.request);
    }
    if (typeof ev.type !== 'string' || !EVENT_TYPES.has(ev.type) || typeof ev.object !== 'object' || ev.object === null) {
      throw new KubeApiError(statusFromResponse(500, `unexpected watch event: ${line.slice(0, 200)}`), { request: this.request });
    }
    return { type: ev.type as WatchEventType, object: ev.object as T };
  }
}
