/**
 * Sets of field paths, as structured-merge-diff's `fieldpath.Set`, and their FieldsV1
 * encoding (`{"f:spec":{"f:replicas":{}}}`).
 *
 * A path is a list of serialized path elements, exactly as they appear in FieldsV1:
 * - `f:<name>`: a field of a map or struct;
 * - `k:{"containerPort":80,"protocol":"TCP"}`: an element of an associative list, by its
 *   key fields (sorted by name, Go JSON);
 * - `v:"finalizer.example.com"`: an element of a set (a list of scalars), by value;
 * - `i:0`: an element of an atomic list by index (never produced here; parsed and kept).
 *
 * Like upstream, a set node keeps its `members` (paths that end here) apart from its
 * `children` (paths that go deeper); an element that is both is written with a `"."` key.
 */
import { compareStrings, compareValues, goJson, isMap } from './internal/json.ts';

export type PathElement = string;
export type FieldPath = readonly PathElement[];
/** The FieldsV1 trie as JSON: `{"f:spec":{"f:replicas":{}}}`. */
export type FieldsV1 = { [element: string]: FieldsV1 };

export class FieldSet {
  private readonly members = new Set<PathElement>();
  private readonly kids = new Map<PathElement, FieldSet>();

  static of(...paths: FieldPath[]): FieldSet {
    const s = new FieldSet();
    for (const p of paths) s.insert(p);
    return s;
  }

  insert(path: FieldPath): this {
    if (path.length === 0) return this;
    let node: FieldSet = this;
    for (let i = 0; i < path.length - 1; i++) node = node.child(path[i]!, true)!;
    node.members.add(path[path.length - 1]!);
    return this;
  }

  has(path: FieldPath): boolean {
    if (path.length === 0) return false;
    let node: FieldSet | undefined = this;
    for (let i = 0; i < path.length - 1 && node; i++) node = node.kids.get(path[i]!);
    return node?.members.has(path[path.length - 1]!) ?? false;
  }

  /** The paths below `pe`, without it: upstream's `WithPrefix`. */
  withPrefix(pe: PathElement): FieldSet | undefined {
    return this.kids.get(pe);
  }

  hasMember(pe: PathElement): boolean {
    return this.members.has(pe);
  }

  isEmpty(): boolean {
    return this.members.size === 0 && this.kids.size === 0;
  }

  /** How many paths the set holds. */
  get size(): number {
    let n = this.members.size;
    for (const k of this.kids.values()) n += k.size;
    return n;
  }

  union(other: FieldSet): FieldSet {
    const out = this.copy();
    out.addAll(other);
    return out;
  }

  intersection(other: FieldSet): FieldSet {
    const out = new FieldSet();
    for (const m of this.members) if (other.members.has(m)) out.members.add(m);
    for (const [pe, kid] of this.kids) {
      const theirs = other.kids.get(pe);
      if (!theirs) continue;
      const both = kid.intersection(theirs);
      if (!both.isEmpty()) out.kids.set(pe, both);
    }
    return out;
  }

  /** The paths of this set that are not paths of `other` (exact paths, not prefixes). */
  difference(other: FieldSet): FieldSet {
    const out = new FieldSet();
    for (const m of this.members) if (!other.members.has(m)) out.members.add(m);
    for (const [pe, kid] of this.kids) {
      const theirs = other.kids.get(pe);
      const rest = theirs ? kid.difference(theirs) : kid.copy();
      if (!rest.isEmpty()) out.kids.set(pe, rest);
    }
    return out;
  }

  /** The paths of this set that neither are nor lie under a path of `other`. */
  recursiveDifference(other: FieldSet): FieldSet {
    const out = new FieldSet();
    for (const m of this.members) if (!other.members.has(m)) out.members.add(m);
    for (const [pe, kid] of this.kids) {
      if (other.members.has(pe)) continue;
      const theirs = other.kids.get(pe);
      const rest = theirs ? kid.recursiveDifference(theirs) : kid.copy();
      if (!rest.isEmpty()) out.kids.set(pe, rest);
    }
    return out;
  }

  /**
   * Every path plus every prefix of it that ends in a field name (upstream's
   * `EnsureNamedFieldsAreMembers`): owning `.spec.replicas` implies having a say on `.spec`.
   */
  withNamedFieldsAsMembers(): FieldSet {
    const out = new FieldSet();
    for (const m of this.members) out.members.add(m);
    for (const [pe, kid] of this.kids) {
      if (pe.startsWith('f:')) out.members.add(pe);
      out.kids.set(pe, kid.withNamedFieldsAsMembers());
    }
    return out;
  }

  equals(other: FieldSet): boolean {
    if (this.members.size !== other.members.size || this.kids.size !== other.kids.size) return false;
    for (const m of this.members) if (!other.members.has(m)) return false;
    for (const [pe, kid] of this.kids) {
      const theirs = other.kids.get(pe);
      if (!theirs || !kid.equals(theirs)) return false;
    }
    return true;
  }

  /**
   * Every path, in upstream's iteration order: at each level the members first, then the
   * children, each sorted as path elements sort.
   */
  paths(): FieldPath[] {
    const out: FieldPath[] = [];
    const walk = (node: FieldSet, prefix: PathElement[]) => {
      for (const m of [...node.members].sort(comparePathElements)) out.push([...prefix, m]);
      for (const pe of [...node.kids.keys()].sort(comparePathElements)) walk(node.kids.get(pe)!, [...prefix, pe]);
    };
    walk(this, []);
    return out;
  }

  toString(): string {
    return this.paths().map(pathString).join('\n');
  }

  copy(): FieldSet {
    const out = new FieldSet();
    out.addAll(this);
    return out;
  }

  private addAll(other: FieldSet): void {
    for (const m of other.members) this.members.add(m);
    for (const [pe, kid] of other.kids) this.child(pe, true)!.addAll(kid);
  }

  private child(pe: PathElement, create: boolean): FieldSet | undefined {
    let kid = this.kids.get(pe);
    if (!kid && create) {
      kid = new FieldSet();
      this.kids.set(pe, kid);
    }
    return kid;
  }

  /** @internal the FieldsV1 encoder walks the trie. */
  entries(): { pe: PathElement; member: boolean; kid?: FieldSet }[] {
    const all = new Set([...this.members, ...this.kids.keys()]);
    return [...all].sort(comparePathElements).map((pe) => ({ pe, member: this.members.has(pe), kid: this.kids.get(pe) }));
  }

  /** @internal */
  setEntry(pe: PathElement, member: boolean, kid: FieldSet | undefined): void {
    if (member) this.members.add(pe);
    if (kid && !kid.isEmpty()) this.child(pe, true)!.addAll(kid);
  }
}

// ---- path elements ----

export const fieldElement = (name: string): PathElement => `f:${name}`;

/** `k:` element of an associative list item, from its key fields (sorted by name). */
export function keyElement(key: Record<string, unknown>): PathElement {
  return `k:${goJson(key)}`;
}

/** `v:` element of a set item. */
export const valueElement = (value: unknown): PathElement => `v:${goJson(value)}`;

const TYPE_ORDER: Record<string, number> = { f: 0, k: 1, v: 2, i: 3 };

/** Upstream's order of path elements: fields, then keys, then values, then indexes. */
export function comparePathElements(a: PathElement, b: PathElement): number {
  if (a === b) return 0;
  const ta = TYPE_ORDER[a[0]!] ?? 4;
  const tb = TYPE_ORDER[b[0]!] ?? 4;
  if (ta !== tb) return ta < tb ? -1 : 1;
  const ra = a.slice(2);
  const rb = b.slice(2);
  switch (a[0]) {
    case 'f':
      return compareStrings(ra, rb);
    // Keys compare as maps (`value.FieldList.Compare`: names, then values), set values as values.
    case 'k':
    case 'v':
      return compareValues(JSON.parse(ra), JSON.parse(rb));
    case 'i':
      return Number(ra) - Number(rb) < 0 ? -1 : Number(ra) > Number(rb) ? 1 : 0;
    default:
      return compareStrings(ra, rb);
  }
}

/** Upstream's `value.ToString`: strings quoted, the rest as Go prints them. */
function valueString(v: unknown): string {
  if (v === null) return 'null';
  if (typeof v === 'string') return JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.map(valueString).join(',')}]`;
  if (isMap(v))
    return Object.keys(v)
      .map((k) => `${k}=${valueString(v[k])}`)
      .join('');
  return String(v);
}

/** One element as upstream prints paths: `.name`, `[name="web"]`, `[="x"]`, `[0]`. */
export function elementString(pe: PathElement): string {
  const rest = pe.slice(2);
  switch (pe[0]) {
    case 'f':
      return `.${rest}`;
    case 'k': {
      const key = JSON.parse(rest) as Record<string, unknown>;
      const parts = Object.keys(key)
        .sort(compareStrings)
        .map((k) => `${k}=${valueString(key[k])}`);
      return `[${parts.join(',')}]`;
    }
    case 'v':
      return `[=${valueString(JSON.parse(rest))}]`;
    case 'i':
      return `[${rest}]`;
    default:
      return '{{invalid path element}}';
  }
}

/** A path as upstream prints it in conflicts: `.spec.template.spec.containers[name="web"].image`. */
export const pathString = (path: FieldPath): string => path.map(elementString).join('');

/**
 * Parses and normalizes one FieldsV1 key (`k:` fields sorted, values in Go JSON);
 * undefined for element types this version does not know.
 */
export function parsePathElement(raw: string): PathElement | undefined {
  if (raw.length < 2 || raw[1] !== ':') return undefined;
  const rest = raw.slice(2);
  switch (raw[0]) {
    case 'f':
      return raw;
    case 'k': {
      const key = JSON.parse(rest);
      if (!isMap(key)) throw new Error(`key path element is not an object: ${raw}`);
      return keyElement(key);
    }
    case 'v':
      return valueElement(JSON.parse(rest));
    case 'i': {
      if (!/^-?\d+$/.test(rest)) throw new Error(`bad index path element: ${raw}`);
      return `i:${Number(rest)}`;
    }
    default:
      return undefined; // unknown element types are dropped, as upstream does
  }
}

// ---- FieldsV1 ----

/**
 * Encodes a set as FieldsV1, in upstream's byte order: elements sorted (fields, keys,
 * values, indexes), and an element that is owned itself and has owned children gets a
 * `"."` key after its children.
 */
export function toFieldsV1(set: FieldSet): FieldsV1 {
  const out: FieldsV1 = {};
  for (const { pe, member, kid } of set.entries()) {
    if (!kid) {
      out[pe] = {};
      continue;
    }
    const inner = toFieldsV1(kid);
    if (member) inner['.'] = {};
    out[pe] = inner;
  }
  return out;
}

/**
 * Decodes FieldsV1 (an object, or its JSON text). Keys are normalized (key fields sorted,
 * Go escaping), unknown element types are dropped, as upstream does; a malformed element
 * throws.
 */
export function fromFieldsV1(json: unknown): FieldSet {
  const doc = typeof json === 'string' ? JSON.parse(json) : json;
  if (doc === undefined || doc === null) return new FieldSet();
  if (!isMap(doc)) throw new Error('FieldsV1 must be a JSON object');
  return read(doc).kids ?? new FieldSet();
}

function read(doc: Record<string, unknown>): { kids?: FieldSet; member: boolean } {
  let member = false;
  let kids: FieldSet | undefined;
  for (const [raw, sub] of Object.entries(doc)) {
    if (raw === '.') {
      member = true;
      continue;
    }
    const pe = parsePathElement(raw);
    if (!pe) continue;
    if (!isMap(sub)) throw new Error(`FieldsV1 value of ${raw} must be an object`);
    const inner = read(sub);
    kids ??= new FieldSet();
    kids.setEntry(pe, inner.member, inner.kids);
  }
  // A key with no children (`{}`) or only unknown ones is a member itself.
  if (!kids) member = true;
  return { kids, member };
}
