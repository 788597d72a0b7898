/**
 * HTTP/1.1 message heads and chunked bodies, parsed just enough to proxy them: the
 * request line and the headers that decide routing, framing and hop-by-hop handling.
 * Everything else is passed on as the original header lines (latin1 strings, which keep
 * every byte as it was). Stricter than it needs to be where leniency smuggles requests:
 * Content-Length with Transfer-Encoding, differing Content-Lengths, a transfer coding
 * other than chunked, whitespace before a colon or folded lines are all 400.
 */

export const CRLFCRLF = Buffer.from('\r\n\r\n');

export interface RequestHead {
  method: string;
  /** The request target as sent (origin form, or absolute form). */
  target: string;
  /** 0 for HTTP/1.0, 1 for HTTP/1.1. */
  minor: number;
  host: string;
  /** Header lines to pass upstream (hop-by-hop and forwarding headers removed). */
  lines: string[];
  /** -1: none. */
  contentLength: number;
  chunked: boolean;
  keepAlive: boolean;
  /** The Upgrade header, when Connection names upgrade. */
  upgrade: string;
  expectContinue: boolean;
  /** X-Forwarded-For as received. */
  xff: string;
}

export interface ResponseHead {
  status: number;
  /** The status line after the version (`200 OK`). */
  statusText: string;
  /** Header lines to pass to the client (hop-by-hop removed; Transfer-Encoding kept). */
  lines: string[];
  contentLength: number;
  chunked: boolean;
  /** The upstream will close after this response. */
  close: boolean;
  /** The upstream's Keep-Alive timeout hint, in ms (0: none). */
  keepAliveMs: number;
  upgrade: string;
}

export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

const lower = (s: string) => s.toLowerCase();

/** Parses a request head (without its final CRLFCRLF). Throws HttpError(400/501/505). */
export function parseRequestHead(head: string): RequestHead {
  let e = head.indexOf('\r\n');
  if (e < 0) e = head.length;
  const sp1 = head.indexOf(' ');
  const sp2 = sp1 < 0 ? -1 : head.indexOf(' ', sp1 + 1);
  if (sp1 <= 0 || sp2 < 0 || sp2 > e) throw new HttpError(400, 'malformed request line');
  const method = head.slice(0, sp1);
  const target = head.slice(sp1 + 1, sp2);
  const version = head.slice(sp2 + 1, e);
  let minor: number;
  if (version === 'HTTP/1.1') minor = 1;
  else if (version === 'HTTP/1.0') minor = 0;
  else if (/^HTTP\/\d\.\d$/.test(version)) throw new HttpError(505, `unsupported ${version}`);
  else throw new HttpError(400, 'malformed request line');
  if (target.length === 0 || !/^[A-Z]+$/.test(method)) throw new HttpError(400, 'malformed request line');

  const r: RequestHead = {
    method,
    target,
    minor,
    host: '',
    lines: [],
    contentLength: -1,
    chunked: false,
    keepAlive: minor === 1,
    upgrade: '',
    expectContinue: false,
    xff: '',
  };
  let upgradeHeader = '';
  let connectionUpgrade = false;
  let extraHop: string[] | undefined;
  let hasTe = false;
  let pos = e + 2;
  while (pos < head.length) {
    let le = head.indexOf('\r\n', pos);
    if (le < 0) le = head.length;
    const line = head.slice(pos, le);
    pos = le + 2;
    const c = line.indexOf(':');
    if (c <= 0) throw new HttpError(400, 'malformed header');
    const c0 = line.charCodeAt(0);
    const cl = line.charCodeAt(c - 1);
    if (c0 === 32 || c0 === 9 || cl === 32 || cl === 9) throw new HttpError(400, 'malformed header');
    switch (c) {
      case 2: // te
        if (lower(line.slice(0, 2)) === 'te') continue;
        break;
      case 4:
        if (lower(line.slice(0, 4)) === 'host') {
          if (r.host) throw new HttpError(400, 'duplicate Host');
          r.host = line.slice(5).trim();
        }
        break;
      case 5: // proxy (httpoxy)
        if (lower(line.slice(0, 5)) === 'proxy') continue;
        break;
      case 6: // expect
        if (lower(line.slice(0, 6)) === 'expect') {
          if (lower(line.slice(7).trim()) === '100-continue') r.expectContinue = true;
          continue;
        }
        break;
      case 7: {
        const n = lower(line.slice(0, 7));
        if (n === 'upgrade') {
          upgradeHeader = line.slice(8).trim();
          continue;
        }
        if (n === 'trailer') continue;
        break;
      }
      case 8: // x-scheme
        if (lower(line.slice(0, 8)) === 'x-scheme') continue;
        break;
      case 9: // x-real-ip
        if (lower(line.slice(0, 9)) === 'x-real-ip') continue;
        break;
      case 10: {
        const n = lower(line.slice(0, 10));
        if (n === 'connection') {
          for (const t of line.slice(11).split(',')) {
            const tok = lower(t.trim());
            if (tok === 'close') r.keepAlive = false;
            else if (tok === 'keep-alive') r.keepAlive = r.keepAlive || minor === 0;
            else if (tok === 'upgrade') connectionUpgrade = true;
            else if (tok) {
              extraHop ??= [];
              extraHop.push(tok);
            }
          }
          // HTTP/1.0 keeps alive only when asked to.
          continue;
        }
        if (n === 'keep-alive') continue;
        break;
      }
      case 14: // content-length
        if (lower(line.slice(0, 14)) === 'content-length') {
          const v = line.slice(15).trim();
          if (!/^\d{1,15}$/.test(v)) throw new HttpError(400, 'bad Content-Length');
          const n = Number(v);
          if (r.contentLength >= 0 && r.contentLength !== n) throw new HttpError(400, 'conflicting Content-Length');
          if (r.contentLength >= 0) continue; // a repeated identical one
          r.contentLength = n;
        }
        break;
      case 15: // x-forwarded-for
        if (lower(line.slice(0, 15)) === 'x-forwarded-for') {
          const v = line.slice(16).trim();
          r.xff = r.xff ? `${r.xff}, ${v}` : v;
          continue;
        }
        break;
      case 16: {
        const n = lower(line.slice(0, 16));
        if (n === 'x-forwarded-host' || n === 'x-forwarded-port' || n === 'proxy-connection') continue;
        break;
      }
      case 17: {
        const n = lower(line.slice(0, 17));
        if (n === 'x-forwarded-proto') continue;
        if (n === 'transfer-encoding') {
          const codings = lower(line.slice(18))
            .split(',')
            .map((s) => s.trim());
          if (hasTe || codings.length !== 1 || codings[0] !== 'chunked')
            throw new HttpError(codings.at(-1) === 'chunked' ? 400 : 501, 'unsupported Transfer-Encoding');
          hasTe = true;
          r.chunked = true;
        }
        break;
      }
      case 18: // x-forwarded-scheme
        if (lower(line.slice(0, 18)) === 'x-forwarded-scheme') continue;
        break;
    }
    r.lines.push(line);
  }
  if (r.chunked && r.contentLength >= 0) throw new HttpError(400, 'both Content-Length and Transfer-Encoding');
  if (r.chunked && minor === 0) throw new HttpError(400, 'chunked HTTP/1.0 request');
  if (connectionUpgrade && upgradeHeader) r.upgrade = upgradeHeader;
  if (extraHop) {
    const drop = new Set(extraHop);
    r.lines = r.lines.filter((l) => !drop.has(lower(l.slice(0, l.indexOf(':')))));
  }
  return r;
}

/** Parses a response head (without its final CRLFCRLF). Throws HttpError(502) when it is not HTTP. */
export function parseResponseHead(head: string): ResponseHead {
  let e = head.indexOf('\r\n');
  if (e < 0) e = head.length;
  if (!head.startsWith('HTTP/1.') || head.charCodeAt(8) !== 32) throw new HttpError(502, 'upstream sent an invalid response');
  const minor = head.charCodeAt(7) - 48;
  const statusText = head.slice(9, e);
  const status = Number(statusText.slice(0, 3));
  if (!(status >= 100 && status <= 999)) throw new HttpError(502, 'upstream sent an invalid status');
  const r: ResponseHead = { status, statusText, lines: [], contentLength: -1, chunked: false, close: minor === 0, keepAliveMs: 0, upgrade: '' };
  let pos = e + 2;
  while (pos < head.length) {
    let le = head.indexOf('\r\n', pos);
    if (le < 0) le = head.length;
    const line = head.slice(pos, le);
    pos = le + 2;
    const c = line.indexOf(':');
    if (c <= 0) throw new HttpError(502, 'upstream sent an invalid header');
    switch (c) {
      case 7:
        if (lower(line.slice(0, 7)) === 'upgrade') {
          r.upgrade = line.slice(8).trim();
          continue;
        }
        break;
      case 10: {
        const n = lower(line.slice(0, 10));
        if (n === 'connection') {
          for (const t of line.slice(11).split(',')) {
            const tok = lower(t.trim());
            if (tok === 'close') r.close = true;
            else if (tok === 'keep-alive') r.close = r.close && minor !== 0;
          }
          continue;
        }
        if (n === 'keep-alive') {
          const m = /timeout\s*=\s*(\d+)/i.exec(line);
          if (m) r.keepAliveMs = Number(m[1]) * 1000;
          continue;
        }
        break;
      }
      case 14:
        if (lower(line.slice(0, 14)) === 'content-length') {
          const v = line.slice(15).trim();
          if (!/^\d{1,15}$/.test(v)) throw new HttpError(502, 'upstream sent a bad Content-Length');
          r.contentLength = Number(v);
        }
        break;
      case 16:
        if (lower(line.slice(0, 16)) === 'proxy-connection') continue;
        break;
      case 17:
        if (lower(line.slice(0, 17)) === 'transfer-encoding') {
          const codings = lower(line.slice(18)).split(',');
          if (codings.at(-1)?.trim() === 'chunked') r.chunked = true;
          else r.close = true; // read until the upstream closes
        }
        break;
    }
    r.lines.push(line);
  }
  if (r.chunked) r.contentLength = -1;
  return r;
}

/**
 * Finds where a chunked body ends, incrementally, without copying it. Optionally hands
 * out the payload (to de-chunk for HTTP/1.0 clients). Trailers are consumed with the body.
 */
export class ChunkedScanner {
  private state = 0; // 0 size, 1 extension, 2 size LF, 3 data, 4 data CR, 5 data LF, 6 trailer line start, 7 trailer line, 8 trailer LF, 9 final LF, 10 done
  private remaining = 0;
  private size = 0;
  private digits = 0;

  get done(): boolean {
    return this.state === 10;
  }

  /**
   * Scans `buf` from `start`; returns the offset just past the body's end, or -1 when it
   * needs more bytes. `onData` gets each payload slice. Throws on a malformed body.
   */
  scan(buf: Buffer, start: number, onData?: (b: Buffer) => void): number {
    let i = start;
    const n = buf.length;
    while (i < n) {
      switch (this.state) {
        case 0: {
          const c = buf[i]!;
          const v = c >= 48 && c <= 57 ? c - 48 : c >= 97 && c <= 102 ? c - 87 : c >= 65 && c <= 70 ? c - 55 : -1;
          if (v >= 0) {
            if (++this.digits > 12) throw new HttpError(400, 'chunk too large');
            this.size = this.size * 16 + v;
          } else if (this.digits === 0) throw new HttpError(400, 'bad chunk size');
          else if (c === 13) this.state = 2;
          else if (c === 59 || c === 32 || c === 9) this.state = 1;
          else throw new HttpError(400, 'bad chunk size');
          i++;
          break;
        }
        case 1:
          if (buf[i] === 13) this.state = 2;
          i++;
          break;
        case 2:
          if (buf[i] !== 10) throw new HttpError(400, 'bad chunk size line');
          i++;
          this.digits = 0;
          if (this.size === 0) this.state = 6;
          else {
            this.remaining = this.size;
            this.size = 0;
            this.state = 3;
          }
          break;
        case 3: {
          const take = Math.min(this.remaining, n - i);
          if (onData) onData(buf.subarray(i, i + take));
          i += take;
          this.remaining -= take;
          if (this.remaining === 0) this.state = 4;
          break;
        }
        case 4:
          if (buf[i] !== 13) throw new HttpError(400, 'bad chunk end');
          this.state = 5;
          i++;
          break;
        case 5:
          if (buf[i] !== 10) throw new HttpError(400, 'bad chunk end');
          this.state = 0;
          i++;
          break;
        case 6: // start of a trailer line, or the final CRLF
          this.state = buf[i] === 13 ? 9 : 7;
          i++;
          break;
        case 7:
          if (buf[i] === 13) this.state = 8;
          i++;
          break;
        case 8:
          if (buf[i] !== 10) throw new HttpError(400, 'bad trailer');
          this.state = 6;
          i++;
          break;
        case 9:
          if (buf[i] !== 10) throw new HttpError(400, 'bad chunked body end');
          this.state = 10;
          return i + 1;
        default:
          return i;
      }
    }
    return -1;
  }
}
