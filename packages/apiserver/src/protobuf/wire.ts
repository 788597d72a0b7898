/**
 * The protobuf wire format at its lowest level: a reader that walks (field, wire type,
 * value) records and a writer that produces them. Schema-free; decode.ts and encode.ts
 * give the records meaning.
 */

export const WireType = { Varint: 0, Fixed64: 1, Bytes: 2, Fixed32: 5 } as const;

/** Thrown for bytes that are not valid protobuf; carries the offset where reading failed. */
export class WireError extends Error {
  constructor(
    message: string,
    readonly offset: number,
  ) {
    super(`${message} at byte ${offset}`);
    this.name = 'WireError';
  }
}

const TWO_32 = 2 ** 32;

export class Reader {
  pos: number;
  readonly end: number;

  constructor(
    readonly buf: Uint8Array,
    start = 0,
    end = buf.length,
  ) {
    this.pos = start;
    this.end = end;
  }

  done(): boolean {
    return this.pos >= this.end;
  }

  /** A varint as two 32-bit halves (low, high), so 64-bit values survive. */
  private varintParts(): [number, number] {
    let lo = 0;
    let hi = 0;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) throw new WireError('truncated varint', this.pos);
      const b = this.buf[this.pos++]!;
      const bits = b & 0x7f;
      if (i < 4) lo |= bits << (7 * i);
      else if (i === 4) {
        lo |= (bits & 0x0f) << 28;
        hi |= bits >> 4;
      } else hi |= bits << (7 * i - 32);
      if (b < 0x80) return [lo >>> 0, hi >>> 0];
    }
    throw new WireError('varint longer than 10 bytes', this.pos);
  }

  /** An unsigned varint that must fit a JS number exactly (tags, lengths). */
  uint(): number {
    const [lo, hi] = this.varintParts();
    if (hi >= 0x200000) throw new WireError('varint too large', this.pos);
    return hi * TWO_32 + lo;
  }

  /** int32/int64 as a JS number (two's complement for negatives; beyond 2^53 loses precision). */
  int64(): number {
    const [lo, hi] = this.varintParts();
    if (hi & 0x80000000) {
      // Negative: value = -(~x + 1), computed on the halves.
      const nlo = (~lo + 1) >>> 0;
      const nhi = (~hi + (nlo === 0 ? 1 : 0)) >>> 0;
      return -(nhi * TWO_32 + nlo);
    }
    return hi * TWO_32 + lo;
  }

  int32(): number {
    const [lo] = this.varintParts();
    return lo | 0;
  }

  bool(): boolean {
    const [lo, hi] = this.varintParts();
    return lo !== 0 || hi !== 0;
  }

  /** The (start, end) of a length-delimited value, advancing past it. */
  span(): [number, number] {
    const len = this.uint();
    const start = this.pos;
    if (len > this.end - start) throw new WireError(`length ${len} runs past the end of the message`, start);
    this.pos = start + len;
    return [start, start + len];
  }

  bytes(): Uint8Array {
    const [s, e] = this.span();
    return this.buf.subarray(s, e);
  }

  string(): string {
    return utf8.decode(this.bytes());
  }

  /** The next record's field number and wire type. */
  tag(): { field: number; wire: number } {
    const at = this.pos;
    const t = this.uint();
    const field = Math.floor(t / 8);
    const wire = t & 7;
    if (field === 0) throw new WireError('field number 0', at);
    return { field, wire };
  }

  skip(wire: number): void {
    switch (wire) {
      case WireType.Varint:
        this.varintParts();
        return;
      case WireType.Fixed64:
        this.advance(8);
        return;
      case WireType.Bytes:
        this.span();
        return;
      case WireType.Fixed32:
        this.advance(4);
        return;
      default:
        throw new WireError(`unsupported wire type ${wire}`, this.pos);
    }
  }

  private advance(n: number): void {
    if (this.end - this.pos < n) throw new WireError('truncated fixed-width value', this.pos);
    this.pos += n;
  }
}

const utf8 = new TextDecoder('utf-8', { fatal: false });
const utf8Enc = new TextEncoder();

export class Writer {
  private chunks: number[] = [];

  /** Writes a non-negative integer or a negative one as a 10-byte two's complement varint. */
  varint(value: number | bigint): this {
    let v = BigInt.asUintN(64, BigInt(value));
    while (v >= 0x80n) {
      this.chunks.push(Number(v & 0x7fn) | 0x80);
      v >>= 7n;
    }
    this.chunks.push(Number(v));
    return this;
  }

  tag(field: number, wire: number): this {
    return this.varint(field * 8 + wire);
  }

  bytes(field: number, data: Uint8Array): this {
    this.tag(field, WireType.Bytes).varint(data.length);
    for (const b of data) this.chunks.push(b);
    return this;
  }

  string(field: number, s: string): this {
    return this.bytes(field, utf8Enc.encode(s));
  }

  int(field: number, v: number | bigint): this {
    return this.tag(field, WireType.Varint).varint(v);
  }

  bool(field: number, v: boolean): this {
    return this.int(field, v ? 1 : 0);
  }

  /** An embedded message written by `fill` into its own writer. */
  message(field: number, fill: (w: Writer) => void): this {
    const inner = new Writer();
    fill(inner);
    return this.bytes(field, inner.finish());
  }

  /** Raw bytes appended as they are (e.g. the magic prefix). */
  raw(data: Uint8Array): this {
    for (const b of data) this.chunks.push(b);
    return this;
  }

  finish(): Uint8Array {
    return Uint8Array.from(this.chunks);
  }
}
