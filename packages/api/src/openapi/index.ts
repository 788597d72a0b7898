export {
  groupVersionPath,
  OpenApi,
  type OpenApiDocument,
  type OpenApiOptions,
  type OpenApiV3Index,
  strictDecodingMessage,
} from './openapi.ts';
export { SchemaCursor } from './patch-meta.ts';
export { loadKubernetesSpec, SPEC_FILE, SPEC_KUBERNETES_VERSION, SPEC_PACKAGE } from './spec-source.ts';
export type {
  FieldCause,
  FieldValidation,
  GroupVersionKind,
  KindDefinition,
  OpenApiResource,
  OpenApiSubresource,
  PatchMeta,
  Schema,
  ValidateOptions,
  ValidationResult,
} from './types.ts';
