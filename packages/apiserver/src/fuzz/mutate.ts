/**
 * Mutations of valid objects, and the bodies the fuzzer sends: values of the wrong type
 * at random paths, numbers no field can hold, deep nesting, unknown fields, duplicate
 * keys, very long strings; then JSON, YAML or protobuf text that is itself broken
 * (truncated, invalid UTF-8, trailing garbage, flipped bytes).
 */
import { stringify as toYaml } from 'yaml';
import { encodeKubernetesProtobuf, PROTOBUF_CONTENT_TYPE } from '../protobuf/index.ts';
import { Writer } from '../protobuf/wire.ts';
import type { Rng } from './prng.ts';

/** A token written into JSON as it is (`1e400`, `-0`, `01`, `NaN`). */
export class Raw {
  constructor(readonly text: string) {}
}

/** An object whose keys repeat (JSON allows writing it; decoders disagree on the meaning). */
export class Dup {
  constructor(readonly entries: Array<[string, unknown]>) {}
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Raw) && !(v instanceof Dup);

/** JSON text of a value that may hold Raw tokens and Dup objects. */
export function toJson(v: unknown, indent = ''): string {
  const nl = indent ? `\n${indent}` : '';
  if (v instanceof Raw) return v.text;
  if (v instanceof Dup) return `{${v.entries.map(([k, x]) => `${JSON.stringify(k)}:${toJson(x, indent)}`).join(',')}}`;
  if (Array.isArray(v)) return `[${v.map((x) => toJson(x, indent)).join(',')}]`;
  if (isObj(v))
    return `{${nl}${Object.entries(v)
      .map(([k, x]) => `${JSON.stringify(k)}:${toJson(x, indent)}`)
      .join(`,${nl}`)}}`;
  return JSON.stringify(v) ?? 'null';
}

/** The value with Raw tokens as numbers (or their text) and Dup objects as plain ones (the last key wins). */
export function toPlain(v: unknown): unknown {
  if (v instanceof Raw) {
    const n = Number(v.text);
    return Number.isNaN(n) && v.text !== 'NaN' ? v.text : n;
  }
  if (v instanceof Dup) return Object.fromEntries(v.entries.map(([k, x]) => [k, toPlain(x)]));
  if (Array.isArray(v)) return v.map(toPlain);
  if (isObj(v)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, toPlain(x)]));
  return v;
}

const RAW_NUMBERS = [
  '1e400',
  '-1e400',
  '1E-400',
  '-0',
  '01',
  '1.',
  '.5',
  '+1',
  '0x10',
  'NaN',
  'Infinity',
  '9007199254740993',
  '-9223372036854775809',
  '18446744073709551616',
  '123456789012345678901234567890.5',
  '1e18',
  '2147483648',
];
const NUMBERS = [0, -1, 1, 1.5, -0.5, 2 ** 31, -(2 ** 31) - 1, 2 ** 53, Number.MAX_SAFE_INTEGER, 1e308, -1e308, 5e-324];
const STRINGS = [
  '',
  ' ',
  'x',
  '-1',
  '0',
  'true',
  'null',
  '1e400',
  'NaN',
  '1Gi',
  '-1Gi',
  '1e1000',
  '0.0000000001m',
  '100000000000000000000000000000Ei',
  '2024-13-45T99:99:99Z',
  '1970-01-01T00:00:00Z',
  'Always',
  'IfNotPresent',
  'Never',
  'TCP',
  'ClusterIP',
  'LoadBalancer',
  'a,b',
  'a=b',
  'app in (x,y)',
  '!x',
  '../../etc/passwd',
  'UPPER',
  'with space',
  'tab\there',
  'new\nline',
  '\u0000',
  '\u001b[31m',
  '\ud800',
  '\udfff\ud800',
  'é',
  '日本語',
  '🙂',
  '\u202e',
  '\ufeff',
  '%2F',
  '$' + '{HOME}',
  '$(VAR)',
  '*',
  '-',
  '.',
  '..',
  'kubernetes.io/',
  '/absolute',
  '10.0.0.1',
  '::1',
  '256.256.256.256',
  '10.0.0.0/33',
  'http://x',
  'a'.repeat(63),
  'a'.repeat(64),
  'a'.repeat(253),
  'a'.repeat(254),
];

/** Nested arrays or objects `depth` deep around a small value (deeper than 1000 is refused). */
function nested(rng: Rng, depth: number): unknown {
  let v: unknown = rng.pick([1, 'x', null, {}]);
  const arrays = rng.chance(0.5);
  for (let i = 0; i < depth; i++) v = arrays ? [v] : { a: v };
  return v;
}

/** A value of any type, mostly one no field expects. */
export function nastyValue(rng: Rng, depth = 0): unknown {
  // Below the top, only small values: a body stays small (a few KiB, now and then a MiB or two).
  const kind = rng.int(depth > 0 ? 11 : 18);
  switch (kind) {
    case 0:
    case 1:
      return new Raw(rng.pick(RAW_NUMBERS));
    case 2:
    case 3:
      return rng.pick(NUMBERS);
    case 4:
    case 5:
    case 6:
      return rng.pick(STRINGS);
    case 7:
      return rng.pick([true, false]);
    case 8:
    case 9:
      return null;
    case 10:
      return rng.pick([{}, [], [null], { '': '' }, [[]], { 'a.b/c': 1 }]);
    case 11:
      // A long string: mostly up to 40 KiB; now and then past the 1.5 MiB object limit or
      // the 3 MiB body limit (413s: never stored, so the watch cache does not fill up with them).
      if (rng.chance(0.04)) return 'a'.repeat(rng.pick([1_600_000, 3_200_000]));
      return rng.pick(['a', '\u00e9', 'x\n', '\ud83d\ude00']).repeat(rng.range(256, 10_000));
    case 12:
      return String.fromCharCode(...Array.from({ length: rng.range(1, 40) }, () => rng.int(0x10000)));
    case 13:
      return rng.int(1_000_000) - 500_000;
    case 14:
      return nested(rng, rng.pick([5, 50, 999, 1000, 1001, 1500]));
    case 15:
      return Array.from({ length: rng.pick([2, 100, 2000]) }, () => nastyValue(rng, depth + 3));
    case 16:
      return Object.fromEntries(Array.from({ length: rng.pick([1, 50, 500, 1000]) }, (_, i) => [`k${i}-${rng.int(1000)}`, nastyValue(rng, depth + 3)]));
    default:
      return { [rng.pick(['unknownField', 'x-y', '$patch', '__proto__', 'constructor', 'toString', ''])]: nastyValue(rng, depth + 1) };
  }
}

/** Every object and array in a tree, with its parent chain's keys (for JSON pointers). */
export function containers(v: unknown, path: string[] = [], out: Array<{ node: Obj | unknown[]; path: string[] }> = []): typeof out {
  if (Array.isArray(v) || isObj(v)) {
    out.push({ node: v, path });
    if (path.length > 12) return out;
    for (const [k, x] of Object.entries(v)) containers(x, [...path, k], out);
  }
  return out;
}

/** JSON pointers of a tree's values (for JSON patches). */
export function pointers(v: unknown): string[] {
  const out: string[] = [];
  for (const c of containers(v))
    for (const k of Object.keys(c.node)) out.push(`/${[...c.path, k].map((s) => s.replace(/~/g, '~0').replace(/\//g, '~1')).join('/')}`);
  return out;
}

const META_FIELDS = [
  'name',
  'generateName',
  'namespace',
  'labels',
  'annotations',
  'resourceVersion',
  'uid',
  'finalizers',
  'ownerReferences',
  'deletionTimestamp',
  'deletionGracePeriodSeconds',
  'creationTimestamp',
  'managedFields',
  'generation',
  'selfLink',
];

/** A plausible-looking but wrong metadata value for one field. */
function metaValue(rng: Rng, field: string): unknown {
  switch (rng.int(4)) {
    case 0:
      return nastyValue(rng);
    case 1:
      if (field === 'labels' || field === 'annotations') return { [rng.pick(STRINGS)]: rng.pick(STRINGS) };
      if (field === 'finalizers') return [rng.pick(['kubernetes', 'example.com/x', 'foregroundDeletion', 'orphan', '', 'a/b/c']), rng.pick(STRINGS)];
      if (field === 'ownerReferences')
        return [{ apiVersion: 'v1', kind: 'Pod', name: rng.pick(STRINGS), uid: rng.pick(STRINGS), controller: rng.pick([true, 'yes']) }];
      if (field === 'managedFields')
        return [{ manager: 'x', operation: rng.pick(['Apply', 'Update', 'Bad']), fieldsType: 'FieldsV1', fieldsV1: nastyValue(rng) }];
      return rng.pick(STRINGS);
    case 2:
      return rng.pick(['2024-01-01T00:00:00Z', '0', '-1', 'fz-0', '12345', 'not-a-uid']);
    default:
      return null;
  }
}

/** Applies `n` mutations to (a clone of) `obj`. */
export function mutate(rng: Rng, obj: unknown, n: number, kinds: Array<{ apiVersion: string; kind: string }>): unknown {
  let root = structuredClone(obj) as unknown;
  for (let i = 0; i < n; i++) {
    const choice = rng.int(12);
    if (choice === 0 && isObj(root)) {
      if (!isObj(root.metadata)) root.metadata = {};
      const meta = root.metadata as Obj;
      const f = rng.pick(META_FIELDS);
      if (rng.chance(0.2)) delete meta[f];
      else meta[f] = metaValue(rng, f);
      continue;
    }
    if (choice === 1 && isObj(root)) {
      // Another kind's apiVersion/kind, a made-up one, or none.
      const other = rng.pick(kinds);
      const r = rng.int(4);
      if (r === 0) root.kind = other.kind;
      else if (r === 1) root.apiVersion = other.apiVersion;
      else if (r === 2) delete root[rng.pick(['kind', 'apiVersion'])];
      else root[rng.pick(['kind', 'apiVersion'])] = rng.pick(['v2', 'apps/v1beta1', 'Foo', 'nope/v1', '', 'v1/']);
      continue;
    }
    if (choice === 2 && rng.chance(0.3)) {
      root = rng.pick([[root], 'string', 42, null, true, [], new Raw('1e400')]);
      continue;
    }
    const all = containers(root);
    if (!all.length) continue;
    const { node } = rng.pick(all);
    const keys = Object.keys(node);
    if (choice === 3 && keys.length) {
      // Remove a field (or an item).
      const k = rng.pick(keys);
      if (Array.isArray(node)) node.splice(Number(k), 1);
      else delete (node as Obj)[k];
    } else if (choice === 4 && isObj(node) && keys.length) {
      // Repeat a key with another value (the container turns into a Dup in place).
      const entries: Array<[string, unknown]> = Object.entries(node);
      const k = rng.pick(keys);
      entries.splice(rng.int(entries.length + 1), 0, [k, nastyValue(rng)]);
      for (const key of keys) delete node[key];
      (node as Obj)[`\u0000dup`] = new Dup(entries);
    } else if (choice === 5) {
      // An unknown field.
      if (Array.isArray(node)) node.push(nastyValue(rng));
      else (node as Obj)[rng.pick(['unknownField', 'spec2', 'extra', 'x', '', ' ', 'metadata', 'status', '$patch', '__proto__'])] = nastyValue(rng);
    } else if (keys.length) {
      // The common case: a value of the wrong type (or a wrong value) where a valid one was.
      const k = rng.pick(keys);
      (node as Obj)[k] = nastyValue(rng);
    }
  }
  return undupe(root);
}

/** A container turned into a Dup by `mutate` is held under a marker key: unwrap it. */
function undupe(v: unknown): unknown {
  if (v instanceof Dup) return new Dup(v.entries.map(([k, x]) => [k, undupe(x)]));
  if (Array.isArray(v)) return v.map(undupe);
  if (isObj(v)) {
    const d = v['\u0000dup'];
    if (d instanceof Dup && Object.keys(v).length === 1) return undupe(d);
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, undupe(x)]));
  }
  return v;
}

const INVALID_UTF8 = [
  Buffer.from([0xff]),
  Buffer.from([0xc3, 0x28]),
  Buffer.from([0xc0, 0xaf]),
  Buffer.from([0xed, 0xa0, 0x80]),
  Buffer.from([0xf8, 0x88, 0x80, 0x80, 0x80]),
];

/** Breaks a text body: truncation, invalid UTF-8 inside a string, a BOM, trailing garbage, bytes flipped. */
export function breakText(rng: Rng, text: Buffer): Buffer {
  switch (rng.int(7)) {
    case 0:
      return text.subarray(0, rng.int(text.length));
    case 1: {
      const quote = text.indexOf(0x22, rng.int(Math.max(1, text.length)));
      const at = quote < 0 ? rng.int(text.length + 1) : quote + 1;
      return Buffer.concat([text.subarray(0, at), rng.pick(INVALID_UTF8), text.subarray(at)]);
    }
    case 2:
      return Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), text]);
    case 3:
      return Buffer.concat([text, Buffer.from(rng.pick(['}', ']', '{}', ' garbage', '\u0000', '\n---\nkind: X\n', '/* c */', ',']))]);
    case 4: {
      const b = Buffer.from(text);
      for (let i = rng.range(1, 4); i > 0 && b.length; i--) b[rng.int(b.length)] = rng.int(256);
      return b;
    }
    case 5:
      return Buffer.from(rng.pick(['', ' ', 'null', '0', '"x"', '[]', '{', '}', '{"a":', '[1,2', 'true', '\u0000', '{"kind":"Status"}', '---', '~']));
    default:
      return rng.bytes(rng.range(1, 200));
  }
}

/** YAML text of a value, sometimes with YAML's own traps (aliases, tags, duplicate keys, documents, tabs). */
export function yamlBody(rng: Rng, v: unknown): Buffer {
  let text: string;
  try {
    text = toYaml(toPlain(v), { aliasDuplicateObjects: false });
  } catch {
    text = toJson(v);
  }
  if (!rng.chance(0.3)) return Buffer.from(text);
  switch (rng.int(7)) {
    case 0: {
      // An alias bomb, small in bytes.
      const lines = ['a: &a ["x","x","x","x","x","x","x","x","x"]'];
      for (let i = 1; i < 10; i++)
        lines.push(
          `${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${Array(9)
            .fill(`*${String.fromCharCode(96 + i)}`)
            .join(',')}]`,
        );
      return Buffer.from(`${text}\nbomb:\n${lines.map((l) => `  ${l}`).join('\n')}\n`);
    }
    case 1:
      return Buffer.from(`${text}\n${text.split('\n')[0]}\n`);
    case 2:
      return Buffer.from(`${text}\n---\n${text}`);
    case 3:
      return Buffer.from(
        `${text}\nextra: ${rng.pick(['!!binary AAAA', '!!js/function "x"', '!!python/object:os.system x', '!<tag:yaml.org,2002:int> zz', '*undefined', '&anchor', '|-\n  x', '{', '[', '\t- tab'])}\n`,
      );
    case 4:
      return Buffer.from(text.replace(/^ {2}/gm, '\t'));
    case 5:
      return Buffer.from(`%YAML 1.1\n%TAG ! tag:x:\n---\n${text}`);
    default:
      return breakText(rng, Buffer.from(text));
  }
}

/** A protobuf body: the valid encoding of `v` when it has one, else an envelope around junk; sometimes broken. */
export function protobufBody(rng: Rng, v: unknown, kind: { apiVersion: string; kind: string }): Buffer {
  let bytes: Buffer;
  try {
    bytes = encodeKubernetesProtobuf(toPlain(v) as Obj);
  } catch {
    const w = new Writer()
      .raw(Uint8Array.of(0x6b, 0x38, 0x73, 0x00))
      .message(1, (t) => t.string(1, kind.apiVersion).string(2, kind.kind))
      .bytes(2, rng.bytes(rng.range(0, 64)));
    if (rng.chance(0.2)) w.string(3, rng.pick(['gzip', '']));
    if (rng.chance(0.2)) w.string(4, rng.pick(['application/json', PROTOBUF_CONTENT_TYPE, 'x']));
    bytes = Buffer.from(w.finish());
  }
  if (!rng.chance(0.6)) return bytes;
  const b = Buffer.from(bytes);
  switch (rng.int(6)) {
    case 0:
      return b.subarray(0, rng.range(0, b.length));
    case 1:
      for (let i = rng.range(1, 6); i > 0; i--) b[rng.range(4, Math.max(4, b.length - 1))] = rng.int(256);
      return b;
    case 2:
      // A field with a length far past the end, or a varint that never ends.
      return Buffer.concat([
        b,
        rng.pick([Buffer.from([0x12, 0xff, 0xff, 0xff, 0xff, 0x0f]), Buffer.from(Array(12).fill(0xff)), Buffer.from([0x0b]), Buffer.from([0x1a, 0x05, 0x61])]),
      ]);
    case 3: {
      // A byte inserted into the middle, which shifts every length after it.
      const at = rng.range(4, b.length);
      return Buffer.concat([b.subarray(0, at), rng.bytes(rng.range(1, 3)), b.subarray(at)]);
    }
    case 4:
      return Buffer.concat([Buffer.from('k8s'), b.subarray(4)]);
    default:
      return Buffer.concat([b, rng.bytes(rng.range(1, 100))]);
  }
}
