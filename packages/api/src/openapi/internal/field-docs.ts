/**
 * Field descriptions for struct-typed fields. The bundled spec went through a Swagger 2 →
 * OpenAPI 3 conversion that drops everything beside a `$ref`, so `spec.template` or
 * `metadata` lost their descriptions (`kubectl explain` would print `<no description>`).
 * The `kubernetes-types` npm package carries every field's upstream description as JSDoc;
 * we read those from its declaration files when a document is first built.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const files = new Map<string, Map<string, Map<string, string>> | null>();

/** The upstream description of `definition`'s field `property`, if known. */
export function fieldDescription(definition: string, property: string): string | undefined {
  const dot = definition.lastIndexOf('.');
  const file = declarationFile(definition.slice(0, dot));
  if (!file) return undefined;
  return parse(file)
    ?.get(definition.slice(dot + 1))
    ?.get(property);
}

/** `io.k8s.api.apps.v1` → `apps/v1`, `io.k8s.apimachinery.pkg.apis.meta.v1` → `meta/v1`. */
function declarationFile(pkg: string): string | undefined {
  const apis = pkg.indexOf('.apis.');
  if (apis >= 0) return pkg.slice(apis + 6).replaceAll('.', '/');
  if (pkg.startsWith('io.k8s.api.')) return pkg.slice(11).replaceAll('.', '/');
  const p = pkg.indexOf('.pkg.');
  if (p >= 0) return pkg.slice(p + 5).replaceAll('.', '/');
  return undefined;
}

const INTERFACE = /^export interface (\w+)[^{\n]*\{\n([\s\S]*?)^\}/gm;
const FIELD = /\/\*\*([\s\S]*?)\*\/\s*(?:readonly\s+)?["']?([\w$-]+)["']?\??\s*:/g;

function parse(file: string): Map<string, Map<string, string>> | undefined {
  const cached = files.get(file);
  if (cached !== undefined) return cached ?? undefined;
  let text: string;
  try {
    text = readFileSync(require.resolve(`kubernetes-types/${file}.d.ts`), 'utf8');
  } catch {
    files.set(file, null);
    return undefined;
  }
  const out = new Map<string, Map<string, string>>();
  for (const m of text.matchAll(INTERFACE)) {
    const fields = new Map<string, string>();
    for (const f of (m[2] ?? '').matchAll(FIELD)) fields.set(f[2]!, comment(f[1]!));
    out.set(m[1]!, fields);
  }
  files.set(file, out);
  return out;
}

function comment(body: string): string {
  return body
    .split('\n')
    .map((line) => line.replace(/^\s*\*? ?/, ''))
    .join('\n')
    .trim();
}
