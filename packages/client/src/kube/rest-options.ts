/**
 * What a `KubeClient` request takes: the options of each verb, and how a resource
 * reference becomes a URL path. Also the error for a non-2xx answer, which kubectl's own
 * requests share.
 */
import { apiError, isStatus, type KubeApiError, type RequestInfo, statusFromResponse } from './errors.ts';
import type { ResourceRef, Status } from './types.ts';

/** A label selector as a string (`app=web,tier!=db`) or as matchLabels. */
export type Selector = string | Record<string, string>;

export interface GetOptions {
  resourceVersion?: string;
  signal?: AbortSignal;
}

export interface ListOptions {
  labelSelector?: Selector;
  fieldSelector?: Selector;
  limit?: number;
  continue?: string;
  resourceVersion?: string;
  resourceVersionMatch?: 'Exact' | 'NotOlderThan';
  timeoutSeconds?: number;
  signal?: AbortSignal;
}

export interface WriteOptions {
  fieldManager?: string;
  dryRun?: boolean;
  signal?: AbortSignal;
}

export type PatchType = 'merge' | 'json' | 'strategic' | 'apply';

export const PATCH_CONTENT_TYPES: Record<PatchType, string> = {
  merge: 'application/merge-patch+json',
  json: 'application/json-patch+json',
  strategic: 'application/strategic-merge-patch+json',
  apply: 'application/apply-patch+yaml',
};

export interface PatchOptions extends WriteOptions {
  type: PatchType;
  /** Server-side apply: take fields other managers own. */
  force?: boolean;
}

export interface DeleteOptions {
  propagationPolicy?: 'Foreground' | 'Background' | 'Orphan';
  preconditions?: { uid?: string; resourceVersion?: string };
  gracePeriodSeconds?: number;
  dryRun?: boolean;
  signal?: AbortSignal;
}

export interface WatchOptions {
  /** Start after this version; absent or "0": first an ADDED for everything that exists. */
  resourceVersion?: string;
  /** The server ends the watch after this long (the iteration then simply finishes). */
  timeoutSeconds?: number;
  allowWatchBookmarks?: boolean;
  labelSelector?: Selector;
  fieldSelector?: Selector;
  signal?: AbortSignal;
}

export interface RequestOptions {
  method?: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE' | 'HEAD' | 'OPTIONS';
  /** Absolute path (`/api/v1/namespaces`); the server's path prefix is added. */
  path: string;
  query?: Record<string, string | number | boolean | undefined>;
  /** Objects are sent as JSON; strings and Buffers as they are. */
  body?: unknown;
  contentType?: string;
  accept?: string;
  headers?: Record<string, string>;
  signal?: AbortSignal;
  timeoutMs?: number;
}

export interface RawResponse {
  statusCode: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

/** The URL path of a resource reference: `/api/v1/namespaces/ns/pods/name/status`. */
export function resourcePath(ref: ResourceRef): string {
  const e = encodeURIComponent;
  let p = ref.group ? `/apis/${e(ref.group)}/${e(ref.version)}` : `/api/${e(ref.version)}`;
  if (ref.namespace) p += `/namespaces/${e(ref.namespace)}`;
  p += `/${e(ref.plural)}`;
  if (ref.name !== undefined) {
    if (ref.name === '') throw new TypeError(`resource name may not be empty (${ref.plural})`);
    p += `/${e(ref.name)}`;
    if (ref.subresource) p += `/${e(ref.subresource)}`;
  } else if (ref.subresource) throw new TypeError(`a subresource (${ref.subresource}) needs a resource name`);
  return p;
}

/** matchLabels → `a=b,c=d`; strings pass through. */
export function selectorString(s: Selector | undefined): string | undefined {
  if (s === undefined) return undefined;
  if (typeof s === 'string') return s || undefined;
  const parts = Object.entries(s).map(([k, v]) => `${k}=${v}`);
  return parts.length ? parts.join(',') : undefined;
}

/** The error for a non-2xx answer: the Status in the body, or one made from the HTTP code. */
export function errorFrom(code: number, text: string, request: RequestInfo): KubeApiError {
  let status: Status | undefined;
  try {
    const v: unknown = JSON.parse(text);
    if (isStatus(v)) status = v;
  } catch {
    // not JSON
  }
  return apiError(status ?? statusFromResponse(code, text), request);
}
