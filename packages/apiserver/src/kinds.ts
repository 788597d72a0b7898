/**
 * What individual kinds add to the generic REST semantics: metadata rules, server-set
 * status on create, and defaults. (Schema validation and Service IP allocation hook in
 * here too.)
 */
import { applyDefaults, isObject, type KubeObject, type ResourceInfo, type StatusCause } from '@minik8s/api';
import { type OpenApi, strictDecodingMessage } from '@minik8s/api/openapi';
import { type NameRule, validateObjectMeta, validateWorkload } from '@minik8s/api/validation';
import { knownPatchMeta } from './rest/patch.ts';
import type { ResourceContext } from './rest/resources.ts';
import { ServiceAllocator } from './service-ips.ts';
import type { WatchCache } from './storage/watch-cache.ts';

// biome-ignore lint/suspicious/noExplicitAny: kinds read loosely typed fields
type Any = any;

/** Upstream's name rule per kind: most are DNS subdomains, a few are DNS labels. */
function nameRule(r: ResourceInfo): NameRule {
  if (r.kind === 'Namespace') return 'label';
  if (r.kind === 'Service') return 'dns1035';
  return 'subdomain';
}

export function kindHooks({ cache, openapi }: { cache: WatchCache; openapi: OpenApi }): Partial<ResourceContext> {
  const services = new ServiceAllocator(cache);
  return {
    validate: (r, obj, fieldValidation) => {
      const res = openapi.validate(r, obj, { unknownFields: fieldValidation, dropUnknown: fieldValidation !== 'Strict' });
      // Semantic rules only once the shape is right (as upstream: decode, then validate).
      const semantic = res.causes.length || res.strictError ? [] : validateWorkload(r.group, r.kind, obj);
      return {
        causes: [...res.causes.filter((c) => !res.strictError || c.reason !== 'FieldValueInvalid' || !c.message.startsWith('unknown field')), ...semantic],
        warnings: res.warnings,
        strictError: res.strictError ? strictDecodingMessage(r, res.strictError) : undefined,
      };
    },
    patchMeta: (r) => (path) => openapi.patchMeta(r, path) ?? knownPatchMeta(path),
    serialize: (r) => r.group === '' && r.kind === 'Service',
    validateMeta: (r, meta) => validateObjectMeta(meta, { namespaced: r.namespaced, nameRule: nameRule(r) }) as StatusCause[],
    admit: (r, obj, old) => {
      applyDefaults(r.group, r.kind, obj);
      if (!old) initialStatus(r, obj);
      if (r.group === '' && r.kind === 'Service') services.admit(obj, old);
    },
  };
}

/** On create, the server decides the status a new object starts with. */
function initialStatus(r: ResourceInfo, obj: KubeObject): void {
  const o = obj as Any;
  switch (`${r.group}/${r.kind}`) {
    case '/Namespace':
      o.spec = isObject(o.spec) ? o.spec : {};
      o.spec.finalizers ??= ['kubernetes'];
      o.status = { phase: 'Active' };
      break;
    case '/Pod':
      o.status = { phase: 'Pending', qosClass: qosClass(o) };
      break;
    case '/Service':
      o.status = { loadBalancer: {} };
      break;
    default:
      if (r.subresources.some((s) => s.name === 'status') && r.group !== '') o.status = {};
  }
}

/** Guaranteed when every container sets equal CPU and memory requests and limits; BestEffort when none sets any. */
function qosClass(pod: Any): string {
  const containers: Any[] = [...(pod.spec?.containers ?? []), ...(pod.spec?.initContainers ?? [])];
  let any = false;
  let guaranteed = containers.length > 0;
  for (const c of containers) {
    const req = c.resources?.requests ?? {};
    const lim = c.resources?.limits ?? {};
    if (Object.keys(req).length || Object.keys(lim).length) any = true;
    for (const res of ['cpu', 'memory']) {
      const l = lim[res];
      const q = req[res] ?? l;
      if (l === undefined || String(q) !== String(l)) guaranteed = false;
    }
  }
  return !any ? 'BestEffort' : guaranteed ? 'Guaranteed' : 'Burstable';
}
