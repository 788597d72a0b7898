/**
 * Docker's multiplexed log stream (no TTY): frames of an 8-byte header (stream type,
 * 3 zero bytes, big-endian length) and a payload. This turns it into plain bytes.
 */
import { Transform, type TransformCallback } from 'node:stream';

export class DockerDemux extends Transform {
  private pending: Buffer = Buffer.alloc(0);

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.pending = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
    while (this.pending.length >= 8) {
      const type = this.pending[0]!;
      if (type > 2 || this.pending[1] !== 0 || this.pending[2] !== 0 || this.pending[3] !== 0) {
        // Not multiplexed (a TTY container): pass the rest through as it is.
        this.push(this.pending);
        this.pending = Buffer.alloc(0);
        break;
      }
      const len = this.pending.readUInt32BE(4);
      if (this.pending.length < 8 + len) break;
      this.push(this.pending.subarray(8, 8 + len));
      this.pending = this.pending.subarray(8 + len);
    }
    done();
  }

  override _flush(done: TransformCallback): void {
    if (this.pending.length) this.push(this.pending);
    done();
  }
}

/** Demultiplexes a whole buffer. */
export function demuxBuffer(buf: Buffer): Buffer {
  const out: Buffer[] = [];
  let i = 0;
  while (i + 8 <= buf.length) {
    const type = buf[i]!;
    if (type > 2 || buf[i + 1] !== 0 || buf[i + 2] !== 0 || buf[i + 3] !== 0) return Buffer.concat([...out, buf.subarray(i)]);
    const len = buf.readUInt32BE(i + 4);
    out.push(buf.subarray(i + 8, Math.min(buf.length, i + 8 + len)));
    i += 8 + len;
  }
  if (i < buf.length) out.push(buf.subarray(i));
  return Buffer.concat(out);
}
