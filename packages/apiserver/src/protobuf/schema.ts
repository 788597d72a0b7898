/**
 * Our description of the Kubernetes protobuf messages. Each message is one string of
 * fields joined by "; ", each field "<number> <jsonName> <type>":
 *
 *   type   string | bool | int32 | int64 | bytes | <Message>
 *   []T    repeated
 *   ?T     a Go pointer (or nil-able) field: present on the wire only when set, so a
 *          zero value that does arrive is kept (`replicas: 0`, `emptyDir: {}`)
 *   {K:V}  a map (on the wire, repeated entries with key = 1 and value = 2)
 *   ...    as jsonName: an embedded Go struct whose fields sit in the parent's JSON
 *
 * Message names are local to their package (`PodSpec` inside core.v1) or qualified with a
 * short package (`meta.v1.ObjectMeta`, `resource.Quantity`, `intstr.IntOrString`).
 * Fields without `?` are always on the wire, zero or not, and are left out of the JSON
 * when zero or empty. The messages under schema/ are generated (internal/generate-schema.ts).
 */
import { ACCESS } from './schema/access.ts';
import { CORE_V1 } from './schema/core-v1.ts';
import { META } from './schema/meta.ts';
import { NETWORKING } from './schema/networking.ts';
import { WORKLOADS } from './schema/workloads.ts';

/** package → message name → field list. */
export type SchemaPackages = Record<string, Record<string, string>>;

export type ScalarType = 'string' | 'bool' | 'int32' | 'int64' | 'bytes';

/** Messages whose JSON form is not an object of their fields. */
export type SpecialType = 'Time' | 'MicroTime' | 'Duration' | 'Quantity' | 'IntOrString' | 'RawExtension' | 'FieldsV1' | 'StringList';

export type ValueType = { scalar: ScalarType } | { message: string };

export interface FieldSpec {
  number: number;
  /** JSON name, or '...' for an embedded struct. */
  json: string;
  repeated: boolean;
  pointer: boolean;
  /** For a map field: the key and value types. */
  map?: { key: ScalarType; value: ValueType };
  type: ValueType;
}

export interface MessageSpec {
  name: string;
  fields: FieldSpec[];
  byNumber: Map<number, FieldSpec>;
  special?: SpecialType;
}

export const SPECIAL_TYPES: Readonly<Record<string, SpecialType>> = {
  'meta.v1.Time': 'Time',
  'meta.v1.MicroTime': 'MicroTime',
  'meta.v1.Duration': 'Duration',
  'meta.v1.FieldsV1': 'FieldsV1',
  'resource.Quantity': 'Quantity',
  'intstr.IntOrString': 'IntOrString',
  'runtime.RawExtension': 'RawExtension',
  'authorization.v1.ExtraValue': 'StringList',
  'authentication.v1.ExtraValue': 'StringList',
  'certificates.v1.ExtraValue': 'StringList',
};

const SCALARS = new Set<string>(['string', 'bool', 'int32', 'int64', 'bytes']);

export class Schema {
  private readonly sources = new Map<string, string>();
  private readonly parsed = new Map<string, MessageSpec>();

  constructor(...groups: SchemaPackages[]) {
    for (const packages of groups)
      for (const [pkg, messages] of Object.entries(packages)) for (const [name, fields] of Object.entries(messages)) this.sources.set(`${pkg}.${name}`, fields);
  }

  has(name: string): boolean {
    return this.sources.has(name) || Object.hasOwn(SPECIAL_TYPES, name);
  }

  /** The parsed message (parsed on first use), or an Error naming the missing message. */
  message(name: string): MessageSpec {
    const cached = this.parsed.get(name);
    if (cached) return cached;
    const special = Object.hasOwn(SPECIAL_TYPES, name) ? SPECIAL_TYPES[name] : undefined;
    const source = this.sources.get(name);
    if (source === undefined && !special) throw new Error(`schema has no message ${name}`);
    const pkg = name.slice(0, name.lastIndexOf('.'));
    const fields = source ? source.split('; ').map((f) => parseField(f, pkg, name)) : [];
    const spec: MessageSpec = { name, fields, byNumber: new Map(fields.map((f) => [f.number, f])), special };
    this.parsed.set(name, spec);
    return spec;
  }

  /** Every message name, for tests that check references resolve. */
  names(): string[] {
    return [...this.sources.keys()];
  }
}

function parseValueType(t: string, pkg: string, where: string): ValueType {
  if (SCALARS.has(t)) return { scalar: t as ScalarType };
  if (!/^[A-Za-z][\w.]*$/.test(t)) throw new Error(`${where}: bad type ${t}`);
  return { message: t.includes('.') ? t : `${pkg}.${t}` };
}

function parseField(text: string, pkg: string, owner: string): FieldSpec {
  const m = /^(\d+) (\S+) (\[\]|\?)?(\S+)$/.exec(text);
  if (!m) throw new Error(`${owner}: cannot parse field "${text}"`);
  const [, num, json, prefix, rest] = m as unknown as [string, string, string, string | undefined, string];
  const where = `${owner}.${json}`;
  const field: FieldSpec = {
    number: Number(num),
    json,
    repeated: prefix === '[]',
    pointer: prefix === '?',
    type: { scalar: 'string' },
  };
  const map = /^\{(\w+):(\S+)\}$/.exec(rest);
  if (map) {
    const key = parseValueType(map[1]!, pkg, where);
    if (!('scalar' in key)) throw new Error(`${where}: map keys must be scalars`);
    field.map = { key: key.scalar, value: parseValueType(map[2]!, pkg, where) };
    field.type = field.map.value;
  } else field.type = parseValueType(rest, pkg, where);
  return field;
}

/** The schema for every kind in kinds.ts. */
export const SCHEMA = new Schema(META, CORE_V1, WORKLOADS, ACCESS, NETWORKING);
