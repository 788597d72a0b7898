/**
 * Turns a request path into what it names: `/api/v1/namespaces/default/pods/web/status`
 * → core/v1 pods, namespace default, name web, subresource status.
 */
import { apiErrors, type Registry, type ResourceInfo } from '@minik8s/api';

export interface ResourcePath {
  resource: ResourceInfo;
  namespace?: string;
  name?: string;
  subresource?: string;
  /** The legacy `/watch/` path prefix was used. */
  watchPath: boolean;
}

/** Parses `/api/v1/...` and `/apis/<group>/<version>/...`; undefined when not a resource path. */
export function parseResourcePath(registry: Registry, path: string): ResourcePath | undefined {
  const segs = path.split('/').filter(Boolean).map(decodeURIComponent);
  let group: string;
  let version: string;
  let rest: string[];
  if (segs[0] === 'api' && segs.length >= 3) {
    group = '';
    version = segs[1]!;
    rest = segs.slice(2);
  } else if (segs[0] === 'apis' && segs.length >= 4) {
    group = segs[1]!;
    version = segs[2]!;
    rest = segs.slice(3);
  } else return undefined;

  const watchPath = rest[0] === 'watch';
  if (watchPath) rest = rest.slice(1);
  if (registry.groupVersions().every((gv) => gv.group !== group || gv.version !== version)) return undefined;

  // namespaces/<ns>/<plural>/... when <plural> is a namespaced resource; else <plural>/<name>/<sub>.
  if (rest[0] === 'namespaces' && rest.length >= 3) {
    const r = registry.resource(group, version, rest[2]!);
    if (r?.namespaced) {
      if (rest.length > 5) throw apiErrors.badRequest(`the path ${path} has too many segments`);
      return { resource: r, namespace: rest[1], name: rest[3], subresource: rest[4], watchPath };
    }
  }
  const r = registry.resource(group, version, rest[0] ?? '');
  if (!r) throw apiErrors.noResource();
  if (rest.length > 3) throw apiErrors.badRequest(`the path ${path} has too many segments`);
  if (r.namespaced && rest.length > 1) throw apiErrors.noResource();
  return { resource: r, name: rest[1], subresource: rest[2], watchPath };
}
