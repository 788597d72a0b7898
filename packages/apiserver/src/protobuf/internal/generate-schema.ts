/**
 * Regenerates ../schema/*.ts, our compact description of the Kubernetes protobuf
 * messages, from the one authoritative copy of them on this machine: the gzipped
 * FileDescriptorProtos that kubectl's generated.pb.go files register, which sit as byte
 * arrays in the kubectl binary.
 *
 *   pnpm exec tsx packages/apiserver/src/protobuf/internal/generate-schema.ts [path/to/kubectl]
 *
 * (default: the kubectl on the PATH). schema.test.ts checks that the files still match.
 *
 * It keeps only messages reachable from KIND_MESSAGES, and adds what descriptors lack:
 * which Go fields are embedded (`json:",inline"`) and the few fields whose JSON name is
 * not their protobuf name. Both come from the table below, checked against the Go struct
 * tags (`json:"…" protobuf:"…,name=…"`) that the binary also carries.
 */
import { accessSync, constants, readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { inflateRawSync } from 'node:zlib';
import { KIND_MESSAGES } from '../kinds.ts';
import { Reader, WireType } from '../wire.ts';

export const SCHEMA_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', 'schema');

/** The first executable called `name` on the PATH, links resolved. */
export function findOnPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    const p = join(dir, name);
    try {
      accessSync(p, constants.X_OK);
      return realpathSync(p);
    } catch {}
  }
  return undefined;
}

/** Fields whose JSON name differs from the protobuf name; '...' means embedded (inline). */
const JSON_NAMES: Record<string, string> = {
  'core.v1.Volume.volumeSource': '...',
  'core.v1.Probe.handler': '...',
  'core.v1.ConfigMapEnvSource.localObjectReference': '...',
  'core.v1.ConfigMapKeySelector.localObjectReference': '...',
  'core.v1.ConfigMapProjection.localObjectReference': '...',
  'core.v1.ConfigMapVolumeSource.localObjectReference': '...',
  'core.v1.SecretEnvSource.localObjectReference': '...',
  'core.v1.SecretKeySelector.localObjectReference': '...',
  'core.v1.SecretProjection.localObjectReference': '...',
  'networking.v1.IngressRule.ingressRuleValue': '...',
  'networking.v1.IngressClassParametersReference.aPIGroup': 'apiGroup',
  'authentication.v1.BoundObjectReference.uID': 'uid',
};

/** Output files and the packages each holds. */
const FILES: Record<string, { constName: string; packages: string[]; about: string }> = {
  'meta.ts': {
    constName: 'META',
    packages: ['meta.v1', 'resource', 'intstr', 'runtime'],
    about: 'meta.k8s.io/v1 (ObjectMeta, Time, LabelSelector, DeleteOptions…), Quantity, IntOrString, RawExtension',
  },
  'core-v1.ts': { constName: 'CORE_V1', packages: ['core.v1'], about: 'the core group, v1' },
  'workloads.ts': {
    constName: 'WORKLOADS',
    packages: ['apps.v1', 'batch.v1', 'autoscaling.v1', 'autoscaling.v2', 'policy.v1', 'scheduling.v1'],
    about: 'apps/v1, batch/v1, autoscaling/v1 and v2, policy/v1, scheduling.k8s.io/v1',
  },
  'access.ts': {
    constName: 'ACCESS',
    packages: ['rbac.v1', 'authorization.v1', 'authentication.v1', 'certificates.v1'],
    about: 'rbac, authorization, authentication and certificates (all v1)',
  },
  'networking.ts': { constName: 'NETWORKING', packages: ['networking.v1'], about: 'networking.k8s.io/v1' },
};

interface FieldDesc {
  name: string;
  number: number;
  repeated: boolean;
  type: number;
  typeName: string;
  nullable: boolean;
}
interface MessageDesc {
  name: string;
  fields: FieldDesc[];
  mapEntry: boolean;
}

const SCALARS: Record<number, string> = { 3: 'int64', 5: 'int32', 8: 'bool', 9: 'string', 12: 'bytes' };
const TYPE_MESSAGE = 11;
const GOGO_NULLABLE = 65001;

type Rec = { field: number; value: number | Uint8Array };
function records(buf: Uint8Array): Rec[] {
  const r = new Reader(buf);
  const out: Rec[] = [];
  while (!r.done()) {
    const { field, wire } = r.tag();
    if (wire === WireType.Varint) out.push({ field, value: r.int64() });
    else if (wire === WireType.Bytes) out.push({ field, value: r.bytes() });
    else r.skip(wire);
  }
  return out;
}
const text = (v: number | Uint8Array) => (typeof v === 'number' ? String(v) : new TextDecoder().decode(v));
const num = (v: number | Uint8Array) => (typeof v === 'number' ? v : Number.NaN);

export function shortPackage(pkg: string): string {
  return pkg.replace(/^k8s\.io\.api\./, '').replace(/^k8s\.io\.apimachinery\.pkg\.(apis\.|api\.|util\.)?/, '');
}

function parseMessage(buf: Uint8Array, prefix: string, out: Map<string, MessageDesc>): void {
  const recs = records(buf);
  const name = `${prefix}.${text(recs.find((r) => r.field === 1)!.value)}`;
  const msg: MessageDesc = { name, fields: [], mapEntry: false };
  for (const { field, value } of recs) {
    if (field === 2 && typeof value !== 'number') {
      const f: FieldDesc = { name: '', number: 0, repeated: false, type: 0, typeName: '', nullable: true };
      for (const r of records(value)) {
        if (r.field === 1) f.name = text(r.value);
        else if (r.field === 3) f.number = num(r.value);
        else if (r.field === 4) f.repeated = r.value === 3;
        else if (r.field === 5) f.type = num(r.value);
        else if (r.field === 6) f.typeName = text(r.value).replace(/^\./, '');
        else if (r.field === 8 && typeof r.value !== 'number') for (const o of records(r.value)) if (o.field === GOGO_NULLABLE) f.nullable = o.value !== 0;
      }
      msg.fields.push(f);
    } else if (field === 3 && typeof value !== 'number') parseMessage(value, name, out);
    else if (field === 7 && typeof value !== 'number') for (const o of records(value)) if (o.field === 7) msg.mapEntry = o.value !== 0;
  }
  out.set(name, msg);
}

/** Every k8s generated.proto descriptor found in the binary, by full message name. */
function readDescriptors(binary: Buffer): Map<string, MessageDesc> {
  const messages = new Map<string, MessageDesc>();
  const magic = Buffer.from([0x1f, 0x8b, 0x08, 0, 0, 0, 0, 0]);
  for (let i = binary.indexOf(magic); i >= 0; i = binary.indexOf(magic, i + 1)) {
    let fd: Buffer;
    try {
      // A 10-byte gzip header without optional parts, then one raw deflate stream (Go's
      // gzip output). Inflating the raw stream stops at its end, unlike gunzip, which would
      // run on into a following descriptor's gzip member.
      if (binary[i + 3] !== 0) continue;
      fd = inflateRawSync(binary.subarray(i + 10, i + 1_000_000));
    } catch {
      continue;
    }
    let recs: Rec[];
    try {
      recs = records(fd);
    } catch {
      continue;
    }
    const file = recs.find((r) => r.field === 1);
    const pkg = recs.find((r) => r.field === 2);
    if (!file || !pkg || !text(file.value).endsWith('/generated.proto')) continue;
    for (const r of recs) if (r.field === 4 && typeof r.value !== 'number') parseMessage(r.value, text(pkg.value), messages);
  }
  return messages;
}

/** protobuf name → every JSON name a Go struct tag pairs it with. */
function readTags(binary: Buffer): Map<string, Set<string>> {
  const tags = new Map<string, Set<string>>();
  for (const m of binary.toString('latin1').matchAll(/json:"([^"]*)" protobuf:"[^"]*?name=([A-Za-z0-9_]+)/g)) {
    const json = m[1]!.split(',')[0]!;
    const set = tags.get(m[2]!) ?? new Set();
    set.add(json);
    tags.set(m[2]!, set);
  }
  return tags;
}

/** File name under schema/ → its content, derived from the kubectl binary at `binaryPath`. */
export function generate(binaryPath: string): Record<string, string> {
  const binary = readFileSync(binaryPath);
  const all = readDescriptors(binary);
  const tags = readTags(binary);
  const byShort = new Map<string, MessageDesc>();
  for (const m of all.values()) {
    const dot = m.name.lastIndexOf('.');
    const parent = m.name.slice(0, dot);
    // Nested messages (map entries) keep their parent's name as a prefix.
    const owner = all.get(parent);
    const pkg = owner ? parent.slice(0, owner.name.lastIndexOf('.')) : parent;
    byShort.set(`${shortPackage(pkg)}.${m.name.slice(pkg.length + 1)}`, m);
  }
  const shortOf = new Map([...byShort].map(([s, m]) => [m.name, s]));

  const reached = new Set<string>();
  const queue = [...KIND_MESSAGES];
  while (queue.length) {
    const s = queue.pop()!;
    if (reached.has(s)) continue;
    const m = byShort.get(s);
    if (!m) throw new Error(`no descriptor for ${s}`);
    reached.add(s);
    for (const f of m.fields) if (f.typeName) queue.push(shortOf.get(f.typeName)!);
  }

  const problems: string[] = [];
  const packageOf = (s: string) => s.slice(0, s.lastIndexOf('.'));
  const typeRef = (from: string, fullName: string): string => {
    const s = shortOf.get(fullName)!;
    return packageOf(s) === packageOf(from) ? s.slice(s.lastIndexOf('.') + 1) : s;
  };
  const fieldType = (owner: string, f: FieldDesc): string => {
    if (f.type !== TYPE_MESSAGE) {
      const t = SCALARS[f.type];
      if (!t) problems.push(`${owner}.${f.name}: unsupported scalar type ${f.type}`);
      return t ?? '?';
    }
    const target = all.get(f.typeName)!;
    if (target.mapEntry) {
      const [k, v] = [target.fields.find((x) => x.number === 1)!, target.fields.find((x) => x.number === 2)!];
      return `{${fieldType(owner, k)}:${fieldType(owner, v)}}`;
    }
    return typeRef(owner, f.typeName);
  };

  const describe = (s: string): string => {
    const m = byShort.get(s)!;
    return m.fields
      .map((f) => {
        const key = `${s}.${f.name}`;
        let json = JSON_NAMES[key] ?? f.name;
        const seen = tags.get(f.name);
        if (!(key in JSON_NAMES) && seen && [...seen].some((j) => j !== f.name && j !== '-'))
          problems.push(`${key}: Go tags pair "${f.name}" with JSON names ${[...seen].join(', ')}; add it to JSON_NAMES`);
        if (json === '') json = '...';
        const t = fieldType(s, f);
        const isMap = t.startsWith('{');
        const prefix = isMap ? '' : f.repeated ? '[]' : f.nullable ? '?' : '';
        return `${f.number} ${json} ${prefix}${t}`;
      })
      .join('; ');
  };

  const files: Record<string, string> = {};
  for (const [file, spec] of Object.entries(FILES)) {
    const lines = [
      `/**`,
      ` * Protobuf layouts for ${spec.about}.`,
      ` * Generated by internal/generate-schema.ts from kubectl's embedded descriptors; do not edit.`,
      ` * Syntax (see ../schema.ts): "<number> <jsonName> <type>" joined by "; ".`,
      ` */`,
      `import type { SchemaPackages } from '../schema.ts';`,
      ``,
      `export const ${spec.constName}: SchemaPackages = {`,
    ];
    for (const pkg of spec.packages) {
      const names = [...reached].filter((s) => packageOf(s) === pkg && !byShort.get(s)!.mapEntry).sort();
      if (!names.length) continue;
      lines.push(`  ${propertyKey(pkg)}: {`);
      for (const s of names) lines.push(...property(s.slice(pkg.length + 1), describe(s)));
      lines.push('  },');
    }
    lines.push('};', '');
    files[file] = lines.join('\n');
  }
  const placed = new Set(Object.values(FILES).flatMap((f) => f.packages));
  for (const s of reached) if (!byShort.get(s)!.mapEntry && !placed.has(packageOf(s))) problems.push(`${s}: package ${packageOf(s)} has no output file`);
  if (problems.length) throw new Error(`cannot generate the schema:\n  ${problems.join('\n  ')}`);
  return files;
}

/** A package key as Biome writes it: quoted only when it is not an identifier. */
const propertyKey = (key: string) => (/^[A-Za-z_$][\w$]*$/.test(key) ? key : `'${key}'`);

/** One message's line, broken after the colon as Biome does when it passes 160 columns. */
function property(name: string, value: string): string[] {
  const line = `    ${propertyKey(name)}: '${value}',`;
  return line.length <= 160 ? [line] : [`    ${propertyKey(name)}:`, `      '${value}',`];
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const binary = process.argv[2] ?? findOnPath('kubectl');
  if (!binary) throw new Error('kubectl is not on the PATH; pass the path to a kubectl binary');
  for (const [file, content] of Object.entries(generate(binary))) {
    writeFileSync(join(SCHEMA_DIR, file), content);
    console.log(`wrote schema/${file}`);
  }
}
