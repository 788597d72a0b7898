/** The definitions (`components.schemas`) with a GVK index and `$ref` resolution. */
import { type GroupVersionKind, gvkKey, type KindDefinition, type Schema } from './types.ts';

export const REF_PREFIX = '#/components/schemas/';

export const isSchema = (v: unknown): v is Schema => typeof v === 'object' && v !== null && !Array.isArray(v);

export class Definitions {
  readonly schemas: Record<string, Schema>;
  private readonly byGvk = new Map<string, string>();

  constructor(base: Record<string, Schema>, extra: Record<string, Schema> = {}) {
    this.schemas = Object.keys(extra).length ? { ...base, ...extra } : base;
    for (const [name, schema] of Object.entries(this.schemas)) {
      const gvks = schema['x-kubernetes-group-version-kind'];
      if (!Array.isArray(gvks)) continue;
      for (const g of gvks as GroupVersionKind[]) {
        const key = gvkKey(g);
        // Extra schemas win over the package's; otherwise the first definition wins.
        if (!this.byGvk.has(key) || name in extra) this.byGvk.set(key, name);
      }
    }
  }

  /** The definition name registered for a GVK, e.g. `io.k8s.api.apps.v1.Deployment`. */
  nameFor(gvk: GroupVersionKind): string | undefined {
    return this.byGvk.get(gvkKey(gvk));
  }

  kinds(): KindDefinition[] {
    return [...this.byGvk.entries()].map(([key, definition]) => {
      const [group = '', version = '', kind = ''] = key.split('/');
      return { group, version, kind, definition };
    });
  }

  /** Follows `$ref` and a lone `allOf` (upstream's v3 style) to the schema that has the content. */
  resolve(schema: Schema | undefined): Schema | undefined {
    let s = schema;
    for (let i = 0; s && i < 16; i++) {
      const ref = s.$ref;
      if (typeof ref === 'string') {
        s = this.schemas[refName(ref)];
        continue;
      }
      const allOf = s.allOf;
      if (Array.isArray(allOf) && allOf.length === 1 && !s.properties && isSchema(allOf[0])) {
        s = allOf[0];
        continue;
      }
      return s;
    }
    return s;
  }

  /** Every definition reachable from `roots` through `$ref`s (the roots included). */
  closure(roots: Iterable<string>): Set<string> {
    const seen = new Set<string>();
    const stack = [...roots];
    while (stack.length) {
      const name = stack.pop()!;
      if (seen.has(name)) continue;
      const schema = this.schemas[name];
      if (!schema) continue;
      seen.add(name);
      collectRefs(schema, stack);
    }
    return seen;
  }
}

export const refName = (ref: string) => (ref.startsWith(REF_PREFIX) ? ref.slice(REF_PREFIX.length) : ref);

function collectRefs(node: unknown, out: string[]): void {
  if (Array.isArray(node)) {
    for (const v of node) collectRefs(v, out);
    return;
  }
  if (!isSchema(node)) return;
  for (const [k, v] of Object.entries(node)) {
    if (k === '$ref' && typeof v === 'string') out.push(refName(v));
    // Extensions (x-kubernetes-group-version-kind, ...) hold no references.
    else if (typeof v === 'object' && v !== null && !k.startsWith('x-')) collectRefs(v, out);
  }
}
