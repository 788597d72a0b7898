/**
 * Parser for the gateway's streaming responses (`/v3/watch`, `/v3/lease/keepalive`):
 * a sequence of JSON objects, `{"result":{...}}` or `{"error":{...}}`, normally one per
 * line. Chunks may split an object anywhere (even inside a multi-byte UTF-8 character)
 * or carry several objects; separators between objects are optional.
 *
 * The scanner works on bytes and only looks at ASCII structure characters (`{ } [ ] " \`),
 * which never occur inside a multi-byte UTF-8 sequence, so it is O(total bytes) and only
 * decodes a value once it is complete.
 */
import { EtcdError, GrpcCode } from './errors.ts';

export type StreamFrame = { type: 'result'; result: Record<string, unknown> } | { type: 'error'; error: EtcdError };

export interface StreamParserOptions {
  /** Largest single JSON value accepted (bytes). Default 64 MiB. */
  maxFrameBytes?: number;
}

const LBRACE = 0x7b;
const RBRACE = 0x7d;
const LBRACKET = 0x5b;
const RBRACKET = 0x5d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09 || c === 0x2c; // also tolerate ',' between values
}

function protocolError(message: string): EtcdError {
  return new EtcdError(`malformed stream from server: ${message}`, { code: GrpcCode.INTERNAL, httpStatus: 0 });
}

const syntax = (message: string) => new SyntaxError(message);

/**
 * Splits a byte stream into top-level JSON values (objects or arrays). Used both ways:
 * by this client for response streams and by etcdlite for streamed request bodies.
 * Malformed input throws a SyntaxError.
 */
export class JsonValueSplitter {
  private depth = 0;
  private inString = false;
  private escaped = false;
  private pieces: Buffer[] = [];
  private pendingBytes = 0;
  private readonly maxFrameBytes: number;

  constructor(opts: StreamParserOptions = {}) {
    this.maxFrameBytes = opts.maxFrameBytes ?? 64 * 1024 * 1024;
  }

  /** Feeds a chunk; returns the values it completed, in order. */
  push(chunk: Uint8Array | string): unknown[] {
    const b = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    const out: unknown[] = [];
    let start = this.depth > 0 ? 0 : -1;
    for (let i = 0; i < b.length; i++) {
      const c = b[i]!;
      if (this.inString) {
        if (this.escaped) this.escaped = false;
        else if (c === BACKSLASH) this.escaped = true;
        else if (c === QUOTE) this.inString = false;
        continue;
      }
      if (c === QUOTE) {
        if (this.depth === 0) throw syntax('a string outside any object');
        this.inString = true;
      } else if (c === LBRACE || c === LBRACKET) {
        if (this.depth === 0) start = i;
        this.depth++;
      } else if (c === RBRACE || c === RBRACKET) {
        if (this.depth === 0) throw syntax(`unbalanced '${String.fromCharCode(c)}'`);
        this.depth--;
        if (this.depth === 0) {
          const piece = b.subarray(start, i + 1);
          const whole = this.pieces.length > 0 ? Buffer.concat([...this.pieces, piece]) : piece;
          this.pieces = [];
          this.pendingBytes = 0;
          start = -1;
          out.push(parseJson(whole));
        }
      } else if (this.depth === 0 && !isSpace(c)) {
        throw syntax(`unexpected ${JSON.stringify(String.fromCharCode(c))} between values`);
      }
    }
    if (this.depth > 0) {
      const rest = b.subarray(start);
      this.pieces.push(rest);
      this.pendingBytes += rest.length;
      if (this.pendingBytes > this.maxFrameBytes) {
        throw syntax(`a value larger than ${this.maxFrameBytes} bytes`);
      }
    }
    return out;
  }

  /** Declares the end of input: throws when a value was left incomplete. */
  end(): void {
    if (this.depth > 0 || this.inString) throw syntax('stream ended inside a value');
  }

  /** True when no partial value is buffered. */
  get idle(): boolean {
    return this.depth === 0;
  }
}

function parseJson(b: Buffer): unknown {
  try {
    return JSON.parse(b.toString('utf8'));
  } catch (e) {
    throw syntax(`invalid JSON (${(e as Error).message}): ${b.toString('utf8', 0, 200)}`);
  }
}

/** Classifies one stream value as a `result` or an `error` frame. */
export function toFrame(value: unknown): StreamFrame {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw protocolError(`expected an object frame, got ${JSON.stringify(value).slice(0, 200)}`);
  }
  const o = value as Record<string, unknown>;
  if (o.error !== undefined) return { type: 'error', error: EtcdError.fromStreamFrame(o) };
  const r = o.result;
  if (r !== null && typeof r === 'object' && !Array.isArray(r)) {
    return { type: 'result', result: r as Record<string, unknown> };
  }
  throw protocolError(`frame has neither result nor error: ${JSON.stringify(value).slice(0, 200)}`);
}

/** Splits a gateway stream into `result` / `error` frames. */
export class StreamParser {
  private readonly splitter: JsonValueSplitter;

  constructor(opts: StreamParserOptions = {}) {
    this.splitter = new JsonValueSplitter(opts);
  }

  push(chunk: Uint8Array | string): StreamFrame[] {
    return this.fromServer(() => this.splitter.push(chunk)).map(toFrame);
  }

  end(): void {
    this.fromServer(() => this.splitter.end());
  }

  private fromServer<T>(f: () => T): T {
    try {
      return f();
    } catch (e) {
      throw e instanceof SyntaxError ? protocolError(e.message) : e;
    }
  }
}
