/**
 * Turns a request path into what it names: `/api/v1/namespaces/default/pods/web/status`
 * → core/v1 pods, namespace default, name web, subresource status. Segments are
 * percent-decoded one by one and never re-joined, so a namespace or name of `.`, `..` or
 * one holding `/` or `%` (as `%2F`, `%25`) is refused with a 400 as upstream's storage
 * key functions refuse it, instead of naming another key (`namespaces/../configmaps`
 * would otherwise list every namespace).
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
  const segs = path.split('/').filter(Boolean).map(decodeSegment);
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
      checkSegment('Namespace', rest[1]);
      checkSegment('Name', rest[3]);
      return { resource: r, namespace: rest[1], name: rest[3], subresource: rest[4], watchPath };
    }
  }
  const r = registry.resource(group, version, rest[0] ?? '');
  if (!r) throw apiErrors.noResource();
  if (rest.length > 3) throw apiErrors.badRequest(`the path ${path} has too many segments`);
  if (r.namespaced && rest.length > 1) throw apiErrors.noResource();
  checkSegment('Name', rest[1]);
  return { resource: r, name: rest[1], subresource: rest[2], watchPath };
}

function decodeSegment(raw: string): string {
  try {
    return decodeURIComponent(raw);
  } catch {
    throw apiErrors.badRequest(`invalid path segment ${JSON.stringify(raw)}: malformed percent-encoding`);
  }
}

/** Upstream's IsValidPathSegmentName: the messages, joined with ';' as its key functions do. */
export function pathSegmentNameErrors(name: string): string[] {
  if (name === '.' || name === '..') return [`may not be '${name}'`];
  return ['/', '%'].filter((c) => name.includes(c)).map((c) => `may not contain '${c}'`);
}

function checkSegment(what: 'Namespace' | 'Name', value: string | undefined): void {
  if (value === undefined) return;
  const errs = pathSegmentNameErrors(value);
  if (errs.length) throw apiErrors.badRequest(`${what} parameter invalid: ${JSON.stringify(value)}: ${errs.join(';')}`);
}
