/**
 * Kubernetes protobuf → Kubernetes JSON. A body is the magic "k8s\0" followed by a
 * runtime.Unknown envelope (typeMeta = 1 {apiVersion = 1, kind = 2}, raw = 2,
 * contentEncoding = 3, contentType = 4) whose raw bytes are the typed object.
 */
import { messageForKind } from './kinds.ts';
import { type FieldSpec, type MessageSpec, SCHEMA, type ScalarType, type ValueType } from './schema.ts';
import { formatGoDuration, formatMicroTime, formatTime } from './time.ts';
import { Reader, WireError, WireType } from './wire.ts';

export const PROTOBUF_CONTENT_TYPE = 'application/vnd.kubernetes.protobuf';
export const PROTOBUF_MAGIC = Uint8Array.of(0x6b, 0x38, 0x73, 0x00);

/**
 * Why a body could not be decoded. `status` is the HTTP answer that fits: 415 for a kind
 * or encoding we do not handle, 400 for bytes that are not a valid message.
 */
export class ProtobufDecodeError extends Error {
  constructor(
    message: string,
    readonly status: 400 | 415,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'ProtobufDecodeError';
  }
}

type Json = Record<string, unknown>;

export function hasProtobufMagic(body: Uint8Array): boolean {
  return body.length >= 4 && PROTOBUF_MAGIC.every((b, i) => body[i] === b);
}

/** Decodes a `application/vnd.kubernetes.protobuf` request body into the object's JSON form. */
export function decodeKubernetesProtobuf(body: Uint8Array): Json {
  if (!hasProtobufMagic(body)) throw new ProtobufDecodeError('protobuf body does not start with the Kubernetes magic prefix "k8s\\x00"', 400);
  try {
    const env = readEnvelope(body);
    if (env.contentEncoding) throw new ProtobufDecodeError(`protobuf body has contentEncoding "${env.contentEncoding}", which is not supported`, 415);
    if (env.contentType && env.contentType !== PROTOBUF_CONTENT_TYPE)
      throw new ProtobufDecodeError(`protobuf envelope holds content type "${env.contentType}", which is not supported`, 415);
    if (!env.kind) throw new ProtobufDecodeError('protobuf envelope has no kind', 400);
    const name = messageForKind(env.apiVersion, env.kind);
    if (!name) throw new ProtobufDecodeError(`protobuf bodies of ${env.apiVersion || '(no apiVersion)'}, Kind=${env.kind} are not supported; send JSON`, 415);
    const obj = decodeObject(SCHEMA.message(name), env.raw, 0, env.raw.length, env.kind);
    return { kind: env.kind, apiVersion: env.apiVersion, ...obj };
  } catch (e) {
    if (e instanceof WireError) throw new ProtobufDecodeError(`malformed protobuf body: ${e.message}`, 400, { cause: e });
    throw e;
  }
}

function readEnvelope(body: Uint8Array) {
  const env: { apiVersion: string; kind: string; raw: Uint8Array; contentEncoding: string; contentType: string } = {
    apiVersion: '',
    kind: '',
    raw: new Uint8Array(0),
    contentEncoding: '',
    contentType: '',
  };
  const r = new Reader(body, 4);
  while (!r.done()) {
    const { field, wire } = r.tag();
    if (field >= 1 && field <= 4 && wire !== WireType.Bytes)
      throw new ProtobufDecodeError(`malformed protobuf envelope: field ${field} has wire type ${wire}`, 400);
    if (field === 1) {
      const [s, e] = r.span();
      const t = new Reader(body, s, e);
      while (!t.done()) {
        const tag = t.tag();
        if (tag.field === 1 && tag.wire === WireType.Bytes) env.apiVersion = t.string();
        else if (tag.field === 2 && tag.wire === WireType.Bytes) env.kind = t.string();
        else t.skip(tag.wire);
      }
    } else if (field === 2) env.raw = r.bytes();
    else if (field === 3) env.contentEncoding = r.string();
    else if (field === 4) env.contentType = r.string();
    else r.skip(wire);
  }
  return env;
}

const WIRE_NAMES = ['varint', '64-bit', 'length-delimited', 'group start', 'group end', '32-bit'];

function expectWire(path: string, f: FieldSpec, got: number, want: number): void {
  if (got !== want)
    throw new ProtobufDecodeError(
      `malformed protobuf body: ${path} (field ${f.number}) arrived as ${WIRE_NAMES[got] ?? got}, expected ${WIRE_NAMES[want]}`,
      400,
    );
}

function readScalar(r: Reader, t: ScalarType): unknown {
  switch (t) {
    case 'string':
      return r.string();
    case 'bytes':
      return Buffer.from(r.bytes()).toString('base64');
    case 'bool':
      return r.bool();
    case 'int32':
      return r.int32();
    case 'int64':
      return r.int64();
  }
}

const wireOf = (t: ValueType) => ('message' in t || t.scalar === 'string' || t.scalar === 'bytes' ? WireType.Bytes : WireType.Varint);

/** A decoded value plus whether it is the type's zero value (dropped from non-pointer fields). */
interface Decoded {
  value: unknown;
  zero: boolean;
}

function readValue(r: Reader, t: ValueType, path: string): Decoded {
  if ('scalar' in t) {
    const value = readScalar(r, t.scalar);
    return { value, zero: value === '' || value === 0 || value === false };
  }
  const [s, e] = r.span();
  return decodeValue(SCHEMA.message(t.message), r.buf, s, e, path);
}

function decodeValue(spec: MessageSpec, buf: Uint8Array, start: number, end: number, path: string): Decoded {
  if (spec.special) return decodeSpecial(spec, buf, start, end, path);
  const value = decodeObject(spec, buf, start, end, path);
  return { value, zero: Object.keys(value).length === 0 };
}

function decodeObject(spec: MessageSpec, buf: Uint8Array, start: number, end: number, path: string): Json {
  const singles = new Map<FieldSpec, Decoded>();
  const lists = new Map<FieldSpec, unknown[]>();
  const maps = new Map<FieldSpec, Json>();
  const r = new Reader(buf, start, end);
  while (!r.done()) {
    const { field, wire } = r.tag();
    const f = spec.byNumber.get(field);
    if (!f) {
      r.skip(wire); // a field newer than our schema
      continue;
    }
    const fpath = f.json === '...' ? path : `${path}.${f.json}`;
    if (f.map) {
      expectWire(fpath, f, wire, WireType.Bytes);
      const [key, value] = readMapEntry(r, f, fpath);
      const m = maps.get(f) ?? {};
      m[key] = value;
      maps.set(f, m);
    } else if (f.repeated) {
      const list = lists.get(f) ?? [];
      lists.set(f, list);
      const want = wireOf(f.type);
      if (want === WireType.Varint && wire === WireType.Bytes && 'scalar' in f.type) {
        const [s, e] = r.span(); // packed
        const packed = new Reader(r.buf, s, e);
        while (!packed.done()) list.push(readScalar(packed, f.type.scalar));
      } else {
        expectWire(fpath, f, wire, want);
        list.push(readValue(r, f.type, `${fpath}[${list.length}]`).value ?? null);
      }
    } else {
      // A singular field that arrives twice: the last one wins (Go would merge two messages).
      expectWire(fpath, f, wire, wireOf(f.type));
      singles.set(f, readValue(r, f.type, fpath));
    }
  }
  const out: Json = {};
  for (const f of spec.fields) {
    const single = singles.get(f);
    const list = lists.get(f);
    const map = maps.get(f);
    if (list?.length) out[f.json] = list;
    else if (map) out[f.json] = map;
    else if (!single) continue;
    else if (f.json === '...') Object.assign(out, single.value);
    else if (single.value === undefined) continue;
    else if (f.pointer && !('scalar' in f.type && f.type.scalar === 'bytes' && single.zero)) out[f.json] = single.value;
    else if (!single.zero) out[f.json] = single.value;
  }
  return out;
}

function readMapEntry(r: Reader, f: FieldSpec, path: string): [string, unknown] {
  const [s, e] = r.span();
  const entry = new Reader(r.buf, s, e);
  const { key: keyType, value: valueType } = f.map!;
  let key: unknown = keyType === 'string' || keyType === 'bytes' ? '' : 0;
  let value: unknown;
  while (!entry.done()) {
    const { field, wire } = entry.tag();
    if (field === 1) {
      expectWire(`${path} key`, f, wire, wireOf({ scalar: keyType }));
      key = readScalar(entry, keyType);
    } else if (field === 2) {
      expectWire(`${path} value`, f, wire, wireOf(valueType));
      value = readValue(entry, valueType, `${path}[${String(key)}]`).value;
    } else entry.skip(wire);
  }
  if (value === undefined) value = defaultMapValue(valueType, path);
  return [String(key), value];
}

/** The JSON for a map value absent from its entry (proto's default for the type). */
function defaultMapValue(t: ValueType, path: string): unknown {
  if ('scalar' in t) return t.scalar === 'string' || t.scalar === 'bytes' ? '' : t.scalar === 'bool' ? false : 0;
  const v = decodeValue(SCHEMA.message(t.message), new Uint8Array(0), 0, 0, path).value;
  return v === undefined ? null : v;
}

/** Reads the fields of a small fixed-layout message into number → last value read. */
function readFields(buf: Uint8Array, start: number, end: number, types: Record<number, ScalarType>, path: string) {
  const out = new Map<number, unknown>();
  const r = new Reader(buf, start, end);
  while (!r.done()) {
    const { field, wire } = r.tag();
    const t = types[field];
    if (!t) {
      r.skip(wire);
      continue;
    }
    const want = wireOf({ scalar: t });
    if (wire !== want) throw new ProtobufDecodeError(`malformed protobuf body: ${path} field ${field} arrived as ${WIRE_NAMES[wire] ?? wire}`, 400);
    out.set(field, readScalar(r, t));
  }
  return out;
}

function decodeSpecial(spec: MessageSpec, buf: Uint8Array, start: number, end: number, path: string): Decoded {
  switch (spec.special) {
    case 'Time':
    case 'MicroTime': {
      const f = readFields(buf, start, end, { 1: 'int64', 2: 'int32' }, path);
      const seconds = (f.get(1) as number | undefined) ?? 0;
      const nanos = (f.get(2) as number | undefined) ?? 0;
      if (seconds === 0 && nanos === 0) return { value: undefined, zero: true };
      const value = spec.special === 'Time' ? formatTime(seconds) : formatMicroTime(seconds, nanos);
      return { value, zero: false };
    }
    case 'Duration': {
      const ns = (readFields(buf, start, end, { 1: 'int64' }, path).get(1) as number | undefined) ?? 0;
      return { value: formatGoDuration(ns), zero: ns === 0 };
    }
    case 'Quantity': {
      const s = (readFields(buf, start, end, { 1: 'string' }, path).get(1) as string | undefined) ?? '';
      return { value: s || '0', zero: s === '' };
    }
    case 'IntOrString': {
      const f = readFields(buf, start, end, { 1: 'int64', 2: 'int32', 3: 'string' }, path);
      if (f.get(1) === 1) {
        const s = (f.get(3) as string | undefined) ?? '';
        return { value: s, zero: s === '' };
      }
      const n = (f.get(2) as number | undefined) ?? 0;
      return { value: n, zero: n === 0 };
    }
    case 'StringList': {
      const items: string[] = [];
      const r = new Reader(buf, start, end);
      while (!r.done()) {
        const { field, wire } = r.tag();
        if (field === 1 && wire === WireType.Bytes) items.push(r.string());
        else r.skip(wire);
      }
      return { value: items, zero: items.length === 0 };
    }
    case 'RawExtension':
    case 'FieldsV1': {
      const raw = readFields(buf, start, end, { 1: 'bytes' }, path).get(1) as string | undefined;
      if (!raw) return { value: undefined, zero: true };
      return { value: decodeEmbedded(Buffer.from(raw, 'base64'), path), zero: false };
    }
    default:
      throw new Error(`no decoder for special type ${spec.special}`);
  }
}

/** An embedded object's bytes: nested Kubernetes protobuf, or JSON. */
function decodeEmbedded(raw: Buffer, path: string): unknown {
  if (hasProtobufMagic(raw)) return decodeKubernetesProtobuf(raw);
  try {
    return JSON.parse(raw.toString('utf8'));
  } catch (e) {
    throw new ProtobufDecodeError(`${path} holds bytes that are neither JSON nor Kubernetes protobuf`, 400, { cause: e });
  }
}
