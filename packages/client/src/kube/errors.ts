/**
 * Errors from the API server, as client-go's `k8s.io/apimachinery/pkg/api/errors`:
 * a `KubeApiError` carries the metav1.Status the server sent (or one made up from the
 * HTTP status when the body was not a Status), and `isNotFound(e)` & co. branch on it.
 */
import type { Status, StatusDetails } from './types.ts';

export interface RequestInfo {
  method: string;
  /** Path and query, as sent. */
  path: string;
}

export class KubeApiError extends Error {
  override name = 'KubeApiError';
  /** The Status as the server sent it (or as synthesized from the HTTP response). */
  readonly status: Status;
  readonly request?: RequestInfo;

  constructor(status: Status, options?: { request?: RequestInfo; cause?: unknown }) {
    super(status.message || `the server responded with HTTP ${status.code}`, options?.cause ? { cause: options.cause } : undefined);
    this.status = status;
    if (options?.request) this.request = options.request;
  }

  /** HTTP status code (404, 409, ...). */
  get code(): number {
    return this.status.code;
  }

  /** The Status reason (`NotFound`, `Conflict`, `AlreadyExists`, ...); `Unknown` when the server gave none. */
  get reason(): string {
    return this.status.reason || 'Unknown';
  }

  get details(): StatusDetails | undefined {
    return this.status.details;
  }
}

/**
 * The resourceVersion asked for is older than the server still has (HTTP 410, reason
 * `Gone` or `Expired`): a watcher must re-list.
 */
export class GoneError extends KubeApiError {
  override name = 'GoneError';
}

/** client-go calls the same condition "resource expired"; one class, two names. */
export const ExpiredError = GoneError;
export type ExpiredError = GoneError;

/** The request never got an HTTP answer (connection refused, TLS failure, timeout, ...). */
export class KubeConnectionError extends Error {
  override name = 'KubeConnectionError';
  readonly request: RequestInfo & { server: string };

  constructor(request: RequestInfo & { server: string }, cause: unknown) {
    const why = (cause as Error)?.message ?? String(cause);
    super(`Unable to connect to the server: ${why}`, { cause });
    this.request = request;
  }
}

/** Makes the right error class for a Status. */
export function apiError(status: Status, request?: RequestInfo): KubeApiError {
  return status.code === 410 ? new GoneError(status, { request }) : new KubeApiError(status, { request });
}

const REASONS: Record<number, [string, string]> = {
  400: ['BadRequest', 'the server rejected our request for an unknown reason'],
  401: ['Unauthorized', 'the server has asked for the client to provide credentials'],
  403: ['Forbidden', 'the server does not allow access to the requested resource'],
  404: ['NotFound', 'the server could not find the requested resource'],
  405: ['MethodNotAllowed', 'the server does not allow this method on the requested resource'],
  406: ['NotAcceptable', 'the server was unable to respond with a content type that the client supports'],
  409: ['Conflict', 'the server reported a conflict'],
  410: ['Gone', 'the server has asked for the client to restart the request'],
  413: ['RequestEntityTooLarge', 'the server rejected the request because it is too large'],
  415: ['UnsupportedMediaType', 'the server was unable to handle the media type in the request'],
  422: ['Invalid', 'the server rejected our request due to an error in our request'],
  429: ['TooManyRequests', 'the server has received too many requests and has asked us to try again later'],
  500: ['InternalError', 'an error on the server has prevented the request from succeeding'],
  503: ['ServiceUnavailable', 'the server is currently unable to handle the request'],
  504: ['Timeout', 'the server was unable to return a response in the time allotted, but may still be processing the request'],
};

/** A Status for an error response whose body was not one (client-go's newUnstructuredResponseError). */
export function statusFromResponse(code: number, body: string): Status {
  const [reason, text] = REASONS[code] ?? ['Unknown', `the server responded with the status code ${code} but did not return more information`];
  const trimmed = body.trim();
  const message = code >= 500 && trimmed ? `${text} (${trimmed.slice(0, 200)})` : text;
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code };
}

/** True for a JSON value that looks like a metav1.Status. */
export function isStatus(v: unknown): v is Status {
  return typeof v === 'object' && v !== null && (v as { kind?: unknown }).kind === 'Status' && typeof (v as { code?: unknown }).code === 'number';
}

const statusOf = (e: unknown): Status | undefined => (e instanceof KubeApiError ? e.status : undefined);
const hasReason = (e: unknown, reason: string, code: number) => {
  const s = statusOf(e);
  if (!s) return false;
  if (s.reason) return s.reason === reason;
  return s.code === code;
};

export const isNotFound = (e: unknown) => hasReason(e, 'NotFound', 404);
export const isAlreadyExists = (e: unknown) => hasReason(e, 'AlreadyExists', 409);
/** A write lost an optimistic-concurrency race (or a precondition failed): read again and retry. */
export const isConflict = (e: unknown) => hasReason(e, 'Conflict', 409);
/** HTTP 410, reason `Gone` or `Expired`. */
export const isGone = (e: unknown) => statusOf(e)?.code === 410;
/** HTTP 410 with reason `Expired` (client-go's IsResourceExpired). */
export const isExpired = (e: unknown) => statusOf(e)?.reason === 'Expired';
export const isInvalid = (e: unknown) => hasReason(e, 'Invalid', 422);
export const isBadRequest = (e: unknown) => hasReason(e, 'BadRequest', 400);
export const isForbidden = (e: unknown) => hasReason(e, 'Forbidden', 403);
export const isUnauthorized = (e: unknown) => hasReason(e, 'Unauthorized', 401);
export const isMethodNotSupported = (e: unknown) => hasReason(e, 'MethodNotAllowed', 405);
export const isTooManyRequests = (e: unknown) => hasReason(e, 'TooManyRequests', 429);
export const isTimeout = (e: unknown) => hasReason(e, 'Timeout', 504);
export const isInternalError = (e: unknown) => hasReason(e, 'InternalError', 500);
