/** Types shared by the OpenAPI documents, the validator and the patch metadata lookups. */

export interface GroupVersionKind {
  group: string;
  version: string;
  kind: string;
}

/** A subresource the server serves, by name, optionally with the kind it answers with. */
export type OpenApiSubresource = string | { name: string; kind?: GroupVersionKind };

/**
 * One resource the API server serves. The registry's `ResourceInfo` fits this shape
 * (its `subresources` carry `{ name, kind }`).
 */
export interface OpenApiResource {
  group: string;
  version: string;
  kind: string;
  /** Lower-case plural: the path segment. */
  plural: string;
  namespaced: boolean;
  /** e.g. 'status', 'scale', 'binding', 'eviction', 'log', 'exec'. */
  subresources?: OpenApiSubresource[];
  /** Kubernetes verbs; defaults to all of them. Only the listed operations are documented. */
  verbs?: string[];
}

/** A JSON Schema / OpenAPI schema object, as found in the spec. */
export type Schema = { [key: string]: unknown };

/** A `details.causes[]` entry of a `422 Invalid` Status (the JSON key is `reason`). */
export interface FieldCause {
  reason: string;
  field: string;
  message: string;
}

/** The `fieldValidation` query parameter. */
export type FieldValidation = 'Ignore' | 'Warn' | 'Strict';

export interface ValidateOptions {
  unknownFields: FieldValidation;
  /** Delete unknown fields from `obj` in place, as upstream's decoder drops them. */
  dropUnknown?: boolean;
}

export interface ValidationResult {
  /**
   * Schema violations (wrong type, missing required field, unsupported enum value), with
   * upstream field paths and messages. Under `Strict`, unknown fields are listed here too
   * (reason `FieldValueInvalid`, message `unknown field "spec.foo"`).
   */
  causes: FieldCause[];
  /** Under `Warn`: one `unknown field "spec.foo"` per unknown field (send as `Warning: 299 - "..."`). */
  warnings: string[];
  /** Every unknown field found, whatever the mode, as upstream paths (`spec.template.spec.foo`). */
  unknownFields: string[];
  /**
   * Under `Strict` with unknown fields: upstream's decoder error text,
   * `strict decoding error: unknown field "spec.foo", unknown field "spec.bar"`.
   * Upstream answers this as 400 BadRequest (see `strictDecodingMessage`), before any 422.
   */
  strictError?: string;
}

/** Strategic-merge-patch and server-side-apply metadata for one field. */
export interface PatchMeta {
  /** `x-kubernetes-patch-merge-key` */
  mergeKey?: string;
  /** `x-kubernetes-patch-strategy`, split on commas (e.g. `['merge', 'retainKeys']`). */
  strategy?: string[];
  /** `x-kubernetes-list-type`: atomic, set or map. */
  listType?: string;
  /** `x-kubernetes-list-map-keys` */
  listMapKeys?: string[];
  /** `x-kubernetes-map-type`: atomic or granular. */
  mapType?: string;
}

/** A definition name with the GVK it is registered under (`x-kubernetes-group-version-kind`). */
export interface KindDefinition extends GroupVersionKind {
  /** e.g. `io.k8s.api.apps.v1.Deployment` */
  definition: string;
}

export const gvkKey = (g: GroupVersionKind) => `${g.group}/${g.version}/${g.kind}`;
