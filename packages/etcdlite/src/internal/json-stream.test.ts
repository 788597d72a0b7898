import { describe, expect, it } from 'vitest';
import { JsonObjectSplitter } from './json-stream.ts';

describe('JsonObjectSplitter', () => {
  it('splits concatenated and newline-separated objects across any chunk boundary', () => {
    const text = '{"a":1}\n{"b":{"c":"}{\\"x"}} {"d":[1,{"e":2}]}';
    for (let cut = 0; cut <= text.length; cut++) {
      const s = new JsonObjectSplitter();
      const out = [...s.push(text.slice(0, cut)), ...s.push(text.slice(cut))];
      expect(out.map((o) => JSON.parse(o))).toEqual([{ a: 1 }, { b: { c: '}{"x' } }, { d: [1, { e: 2 }] }]);
      expect(s.incomplete).toBe(false);
    }
  });

  it('refuses text outside an object and reports an unfinished one', () => {
    expect(() => new JsonObjectSplitter().push('{"a":1} x')).toThrow(/unexpected character 'x'/);
    expect(() => new JsonObjectSplitter().push('[1]')).toThrow(/expected an object/);
    const s = new JsonObjectSplitter();
    s.push('{"a":');
    expect(s.incomplete).toBe(true);
  });
});
