/**
 * The OpenAPI side of writes, given to `buildServer` as `hooks`: schema validation per
 * the request's fieldValidation, and the schema's patch metadata. What individual kinds
 * add (defaults aside) is their strategy's, under registry/.
 */
import { type OpenApi, strictDecodingMessage } from '@minik8s/api/openapi';
import { knownPatchMeta } from './rest/patch.ts';
import type { ResourceContext } from './rest/resources.ts';

export function kindHooks({ openapi }: { openapi: OpenApi }): Pick<ResourceContext, 'validate' | 'patchMeta'> {
  return {
    validate: (r, obj, fieldValidation) => {
      const res = openapi.validate(r, obj, { unknownFields: fieldValidation, dropUnknown: fieldValidation !== 'Strict' });
      return {
        causes: res.causes,
        warnings: res.warnings,
        strictError: res.strictError ? strictDecodingMessage(r, res.strictError) : undefined,
      };
    },
    patchMeta: (r) => (path) => openapi.patchMeta(r, path) ?? knownPatchMeta(path),
  };
}
