import { describe, expect, it } from 'vitest';
import { EtcdError } from './errors.ts';
import { JsonValueSplitter, StreamParser } from './stream-parser.ts';

const created = {
  result: { header: { cluster_id: '1', member_id: '2', revision: '5', raft_term: '2' }, created: true },
};
const event = {
  result: {
    header: { revision: '6' },
    events: [{ kv: { key: 'Zm9v', create_revision: '6', mod_revision: '6', version: '1', value: '4pyTIMOgIGxhIG1vZGU=' } }],
  },
};
const text = `${JSON.stringify(created)}\n${JSON.stringify(event)}\n`;

/** Feeds `bytes` cut at the given offsets; returns every result frame. */
function feed(bytes: Buffer, cuts: number[]): unknown[] {
  const p = new StreamParser();
  const out: unknown[] = [];
  let at = 0;
  for (const c of [...cuts, bytes.length]) {
    for (const f of p.push(bytes.subarray(at, c))) {
      if (f.type === 'result') out.push(f.result);
    }
    at = c;
  }
  p.end();
  return out;
}

describe('StreamParser', () => {
  it('parses newline-delimited result frames in one chunk', () => {
    expect(feed(Buffer.from(text), [])).toEqual([created.result, event.result]);
  });

  it('handles a split at every possible byte offset', () => {
    const bytes = Buffer.from(text);
    for (let i = 0; i <= bytes.length; i++) {
      expect(feed(bytes, [i])).toEqual([created.result, event.result]);
    }
  });

  it('handles one byte per chunk, and splits inside multi-byte UTF-8 characters', () => {
    const obj = { result: { cancel_reason: 'héllo ✓ 🚀 "quoted" \\ {not a brace}' } };
    const bytes = Buffer.from(`${JSON.stringify(obj)}\n`);
    const cuts = Array.from({ length: bytes.length - 1 }, (_, i) => i + 1);
    expect(feed(bytes, cuts)).toEqual([obj.result]);
  });

  it('accepts values without separators, and CRLF separators', () => {
    const bytes = Buffer.from(`${JSON.stringify(created)}${JSON.stringify(event)}\r\n${JSON.stringify(created)}`);
    expect(feed(bytes, [10, 200])).toEqual([created.result, event.result, created.result]);
  });

  it('keeps strings with escaped quotes and braces intact', () => {
    const obj = { result: { s: 'a\\"}{[]"\\\\' } };
    const bytes = Buffer.from(JSON.stringify(obj));
    expect(feed(bytes, [5, 9, 12])).toEqual([obj.result]);
  });

  it('turns a grpc-gateway stream error frame into an EtcdError', () => {
    const p = new StreamParser();
    const frames = p.push(
      `${JSON.stringify(created)}\n{"error":{"grpc_code":11,"http_code":400,"message":"etcdserver: mvcc: required revision has been compacted","http_status":"Bad Request"}}\n`,
    );
    expect(frames).toHaveLength(2);
    const f = frames[1]!;
    expect(f.type).toBe('error');
    if (f.type !== 'error') return;
    expect(f.error).toBeInstanceOf(EtcdError);
    expect(f.error.code).toBe(11);
    expect(f.error.httpStatus).toBe(400);
    expect(f.error.isCompacted).toBe(true);
  });

  it('accepts the unary error shape inside a stream', () => {
    const [f] = new StreamParser().push('{"error":"etcdserver: boom","message":"etcdserver: boom","code":2}');
    expect(f?.type === 'error' && f.error.message).toBe('etcdserver: boom');
    expect(f?.type === 'error' && f.error.code).toBe(2);
  });

  it('rejects garbage between values and frames without result or error', () => {
    expect(() => new StreamParser().push('{"result":{}} x')).toThrow(/malformed stream/);
    expect(() => new StreamParser().push('{"other":1}')).toThrow(/neither result nor error/);
    expect(() => new StreamParser().push('{"result":{"a":tru}}')).toThrow(/invalid JSON/);
    expect(() => new StreamParser().push('}')).toThrow(/unbalanced/);
  });

  it('reports a stream that ends inside a value', () => {
    const p = new StreamParser();
    expect(p.push('{"result":{"a":')).toEqual([]);
    expect(() => p.end()).toThrow(/ended inside a value/);
  });

  it('bounds the size of one value', () => {
    const s = new JsonValueSplitter({ maxFrameBytes: 16 });
    expect(() => s.push('{"result":{"a":"0123456789abcdef"')).toThrow(/larger than 16 bytes/);
  });

  it('is idle only between values', () => {
    const s = new JsonValueSplitter();
    s.push('{"a":');
    expect(s.idle).toBe(false);
    expect(s.push('1}\n')).toEqual([{ a: 1 }]);
    expect(s.idle).toBe(true);
  });
});
