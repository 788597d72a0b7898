/**
 * Splits a stream of concatenated JSON objects (what etcd's gateway reads from a
 * streaming request body) into one string per top-level object.
 */
export class JsonObjectSplitter {
  private buf = '';
  private depth = 0;
  private inString = false;
  private escaped = false;
  private start = -1;
  private scanned = 0;

  /** Feeds a chunk; returns the objects it completed. Throws on text outside an object. */
  push(chunk: string): string[] {
    this.buf += chunk;
    const out: string[] = [];
    const b = this.buf;
    for (let i = this.scanned; i < b.length; i++) {
      const c = b.charCodeAt(i);
      if (this.inString) {
        if (this.escaped) this.escaped = false;
        else if (c === 0x5c) this.escaped = true;
        else if (c === 0x22) this.inString = false;
        continue;
      }
      if (c === 0x22) {
        if (this.depth === 0) throw new SyntaxError(`unexpected string outside an object at offset ${i}`);
        this.inString = true;
      } else if (c === 0x7b || c === 0x5b) {
        if (this.depth === 0) {
          if (c === 0x5b) throw new SyntaxError(`expected an object at offset ${i}`);
          this.start = i;
        }
        this.depth++;
      } else if (c === 0x7d || c === 0x5d) {
        if (this.depth === 0) throw new SyntaxError(`unexpected '${String.fromCharCode(c)}' at offset ${i}`);
        this.depth--;
        if (this.depth === 0) {
          out.push(b.slice(this.start, i + 1));
          this.start = -1;
        }
      } else if (this.depth === 0 && c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) {
        throw new SyntaxError(`unexpected character '${String.fromCharCode(c)}' outside an object at offset ${i}`);
      }
    }
    if (this.depth === 0) {
      this.buf = '';
      this.scanned = 0;
    } else {
      this.buf = b.slice(this.start);
      this.scanned = this.buf.length;
      this.start = 0;
    }
    return out;
  }

  /** True when the stream ended in the middle of an object. */
  get incomplete(): boolean {
    return this.depth > 0;
  }
}
