/**
 * Hashing and comparing objects as upstream's controllers do: FNV-32a (pod-template-hash,
 * DaemonSet revisions), FNV-32 (ControllerRevision names), rand.SafeEncodeString, and
 * Semantic.DeepEqual.
 */
/** FNV-1a, 32 bits. */
export function fnv32a(bytes: Uint8Array, h = 0x811c9dc5): number {
  for (const b of bytes) {
    h ^= b;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/** Upstream's rand.SafeEncodeString: digits mapped to letters that cannot spell words. */
const ALPHANUMS = 'bcdfghjklmnpqrstvwxz2456789';
export function safeEncodeString(s: string): string {
  let out = '';
  for (let i = 0; i < s.length; i++) out += ALPHANUMS[s.charCodeAt(i) % ALPHANUMS.length];
  return out;
}

/** JSON with sorted keys, so equal templates hash equally. */
export function stableJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(stableJson).join(',')}]`;
  if (v && typeof v === 'object') {
    const entries = Object.entries(v)
      .filter(([, x]) => x !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, x]) => `${JSON.stringify(k)}:${stableJson(x)}`).join(',')}}`;
  }
  return JSON.stringify(v);
}

/**
 * The pod-template-hash (upstream's controller.ComputeHash): FNV-32a of the template
 * (here its canonical JSON rather than Go's printed struct), then the collision count
 * as 4 little-endian bytes padded to 8, printed in decimal and safe-encoded.
 */
export function computeHash(template: unknown, collisionCount?: number): string {
  let h = fnv32a(new TextEncoder().encode(stableJson(template)));
  if (collisionCount !== undefined) {
    const b = new Uint8Array(8);
    new DataView(b.buffer).setUint32(0, collisionCount >>> 0, true);
    h = fnv32a(b, h);
  }
  return safeEncodeString(String(h));
}

/** FNV-1, 32 bits (Go's fnv.New32, which upstream's controller history uses). */
export function fnv32(bytes: Uint8Array, h = 0x811c9dc5): number {
  for (const b of bytes) {
    h = Math.imul(h, 0x01000193) >>> 0;
    h ^= b;
  }
  return h >>> 0;
}

/** Upstream's Semantic.DeepEqual for our purposes: missing, null, {} and [] are all "empty". */
export function semanticEqual(a: unknown, b: unknown): boolean {
  const empty = (v: unknown) =>
    v === undefined ||
    v === null ||
    (Array.isArray(v) && v.length === 0) ||
    (typeof v === 'object' && v !== null && !Array.isArray(v) && Object.keys(v).length === 0);
  if (empty(a) && empty(b)) return true;
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    return a.every((x, i) => semanticEqual(x, b[i]));
  }
  if (a && b && typeof a === 'object' && typeof b === 'object') {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    for (const k of keys) if (!semanticEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k])) return false;
    return true;
  }
  return a === b;
}
