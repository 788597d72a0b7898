/**
 * Kubernetes JSON → Kubernetes protobuf, written the way client-go's generated marshalers
 * write it: fields in number order, non-pointer fields always (zero or not), pointer
 * fields only when set, map entries sorted by key. Decoding and re-encoding a body that
 * kubectl sent therefore gives back the same bytes, which is what the tests check.
 */
import { PROTOBUF_MAGIC } from './decode.ts';
import { messageForKind } from './kinds.ts';
import { type MessageSpec, SCHEMA, type ScalarType, type ValueType } from './schema.ts';
import { parseGoDuration, parseTime } from './time.ts';
import { Writer } from './wire.ts';

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Encodes a Kubernetes object (with apiVersion and kind) as a protobuf body. */
export function encodeKubernetesProtobuf(obj: Json): Buffer {
  const { apiVersion, kind, ...rest } = obj;
  if (typeof apiVersion !== 'string' || typeof kind !== 'string') throw new Error('object needs apiVersion and kind');
  const name = messageForKind(apiVersion, kind);
  if (!name) throw new Error(`no protobuf schema for ${apiVersion}, Kind=${kind}`);
  const raw = encodeMessage(SCHEMA.message(name), rest, kind);
  const w = new Writer()
    .raw(PROTOBUF_MAGIC)
    .message(1, (t) => t.string(1, apiVersion).string(2, kind))
    .bytes(2, raw)
    .string(3, '')
    .string(4, '');
  return Buffer.from(w.finish());
}

/** JSON keys a message accepts, including those of embedded structs. */
function jsonKeys(spec: MessageSpec, into = new Set<string>()): Set<string> {
  for (const f of spec.fields)
    if (f.json === '...' && 'message' in f.type) jsonKeys(SCHEMA.message(f.type.message), into);
    else into.add(f.json);
  return into;
}

/** `embedded`: the value is the parent's object, whose keys the parent already checked. */
function encodeMessage(spec: MessageSpec, value: unknown, path: string, embedded = false): Uint8Array {
  const w = new Writer();
  if (spec.special) {
    encodeSpecial(w, spec, value, path);
    return w.finish();
  }
  const obj = value ?? {};
  if (!isObject(obj)) throw new Error(`${path}: expected an object`);
  if (!embedded) {
    const known = jsonKeys(spec);
    for (const k of Object.keys(obj)) if (!known.has(k)) throw new Error(`${path}: unknown field "${k}"`);
  }
  for (const f of [...spec.fields].sort((a, b) => a.number - b.number)) {
    const fpath = `${path}.${f.json}`;
    const v = obj[f.json];
    if (f.json === '...' && 'message' in f.type) {
      w.bytes(f.number, encodeMessage(SCHEMA.message(f.type.message), obj, path, true));
    } else if (f.map) {
      if (v === undefined || v === null) continue;
      if (!isObject(v)) throw new Error(`${fpath}: expected a map`);
      for (const key of Object.keys(v).sort()) {
        w.message(f.number, (e) => {
          writeValue(e, 1, { scalar: f.map!.key }, f.map!.key === 'string' ? key : Number(key), `${fpath}.key`);
          writeValue(e, 2, f.map!.value, v[key], `${fpath}[${key}]`);
        });
      }
    } else if (f.repeated) {
      if (v === undefined || v === null) continue;
      if (!Array.isArray(v)) throw new Error(`${fpath}: expected a list`);
      for (const [i, item] of v.entries()) writeValue(w, f.number, f.type, item, `${fpath}[${i}]`);
    } else if (!f.pointer || (v !== undefined && v !== null)) writeValue(w, f.number, f.type, v, fpath);
  }
  return w.finish();
}

function writeValue(w: Writer, num: number, t: ValueType, v: unknown, path: string): void {
  if ('message' in t) w.bytes(num, encodeMessage(SCHEMA.message(t.message), v, path));
  else writeScalar(w, num, t.scalar, v, path);
}

function writeScalar(w: Writer, num: number, t: ScalarType, v: unknown, path: string): void {
  const want = (ok: boolean, what: string) => {
    if (!ok) throw new Error(`${path}: expected ${what}, got ${JSON.stringify(v)}`);
  };
  switch (t) {
    case 'string':
      want(v === undefined || v === null || typeof v === 'string', 'a string');
      w.string(num, (v as string | undefined) ?? '');
      return;
    case 'bytes':
      want(v === undefined || v === null || typeof v === 'string', 'a base64 string');
      w.bytes(num, Buffer.from((v as string | undefined) ?? '', 'base64'));
      return;
    case 'bool':
      want(v === undefined || v === null || typeof v === 'boolean', 'a boolean');
      w.bool(num, v === true);
      return;
    case 'int32':
    case 'int64':
      want(v === undefined || v === null || Number.isInteger(v), 'an integer');
      w.int(num, (v as number | undefined) ?? 0);
  }
}

function encodeSpecial(w: Writer, spec: MessageSpec, v: unknown, path: string): void {
  const isAbsent = v === undefined || v === null;
  switch (spec.special) {
    case 'Time':
    case 'MicroTime': {
      if (isAbsent) return; // the zero time marshals to nothing
      if (typeof v !== 'string') throw new Error(`${path}: expected a time string`);
      const { seconds, nanos } = parseTime(v);
      w.int(1, seconds).int(2, nanos);
      return;
    }
    case 'Duration':
      if (!isAbsent && typeof v !== 'string') throw new Error(`${path}: expected a duration string`);
      w.int(1, isAbsent ? 0 : parseGoDuration(v as string));
      return;
    case 'Quantity':
      if (!isAbsent && typeof v !== 'string' && typeof v !== 'number') throw new Error(`${path}: expected a quantity`);
      w.string(1, isAbsent ? '0' : String(v));
      return;
    case 'IntOrString':
      if (typeof v === 'string') w.int(1, 1).int(2, 0).string(3, v);
      else if (isAbsent || Number.isInteger(v))
        w.int(1, 0)
          .int(2, (v as number | undefined) ?? 0)
          .string(3, '');
      else throw new Error(`${path}: expected an integer or a string`);
      return;
    case 'StringList':
      if (!isAbsent && !Array.isArray(v)) throw new Error(`${path}: expected a list of strings`);
      for (const s of (v as unknown[] | undefined) ?? []) writeScalar(w, 1, 'string', s, path);
      return;
    case 'RawExtension':
    case 'FieldsV1':
      if (!isAbsent) w.bytes(1, Buffer.from(JSON.stringify(v)));
      return;
    default:
      throw new Error(`no encoder for special type ${spec.special}`);
  }
}
