/**
 * API errors as metav1.Status, with upstream's HTTP codes, reasons and message texts, so
 * that kubectl prints `Error from server (NotFound): pods "x" not found` as it would
 * against a real cluster.
 */
import { groupResource } from './registry.ts';

export type StatusReason =
  | 'BadRequest'
  | 'Unauthorized'
  | 'Forbidden'
  | 'NotFound'
  | 'AlreadyExists'
  | 'Conflict'
  | 'Gone'
  | 'Expired'
  | 'Invalid'
  | 'MethodNotAllowed'
  | 'NotAcceptable'
  | 'RequestEntityTooLarge'
  | 'UnsupportedMediaType'
  | 'TooManyRequests'
  | 'InternalError'
  | 'ServiceUnavailable'
  | 'Timeout';

export interface StatusCause {
  reason?: string;
  message?: string;
  field?: string;
}

export interface StatusDetails {
  name?: string;
  group?: string;
  kind?: string;
  uid?: string;
  causes?: StatusCause[];
  retryAfterSeconds?: number;
}

export interface Status {
  kind: 'Status';
  apiVersion: 'v1';
  metadata: Record<string, unknown>;
  status: 'Success' | 'Failure';
  message?: string;
  reason?: StatusReason;
  details?: StatusDetails;
  code: number;
}

export class StatusError extends Error {
  override readonly name = 'StatusError';
  constructor(
    readonly code: number,
    readonly reason: StatusReason,
    message: string,
    readonly details?: StatusDetails,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }

  toStatus(): Status {
    return {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: this.message,
      reason: this.reason,
      ...(this.details ? { details: this.details } : {}),
      code: this.code,
    };
  }
}

export const isStatusError = (e: unknown): e is StatusError => e instanceof StatusError;

interface GR {
  group: string;
  plural: string;
}

const detailsOf = (gr: GR, name: string): StatusDetails => ({ name, group: gr.group || undefined, kind: gr.plural });

/** One cause as upstream's field.Error prints it: `spec.replicas: Invalid value: -1: must be ...`. */
export const causeText = (c: StatusCause) => (c.field ? `${c.field}: ${c.message}` : (c.message ?? ''));

export const apiErrors = {
  notFound: (gr: GR, name: string) => new StatusError(404, 'NotFound', `${groupResource(gr)} "${name}" not found`, detailsOf(gr, name)),
  alreadyExists: (gr: GR, name: string) => new StatusError(409, 'AlreadyExists', `${groupResource(gr)} "${name}" already exists`, detailsOf(gr, name)),
  conflict: (gr: GR, name: string, why: string) =>
    new StatusError(409, 'Conflict', `Operation cannot be fulfilled on ${groupResource(gr)} "${name}": ${why}`, detailsOf(gr, name)),
  /** The optimistic-concurrency conflict: the object changed since the client read it. */
  modified: (gr: GR, name: string) =>
    apiErrors.conflict(gr, name, 'the object has been modified; please apply your changes to the latest version and try again'),
  invalid: (kind: { group: string; kind: string }, name: string, causes: StatusCause[]) => {
    const qualified = kind.group ? `${kind.kind}.${kind.group}` : kind.kind;
    const what = causes.length === 1 ? causeText(causes[0]!) : `[${causes.map(causeText).join(', ')}]`;
    return new StatusError(422, 'Invalid', `${qualified} "${name}" is invalid: ${what}`, {
      name,
      group: kind.group || undefined,
      kind: kind.kind,
      causes,
    });
  },
  /** A path the server does not serve. */
  noResource: () => new StatusError(404, 'NotFound', 'the server could not find the requested resource', {}),
  badRequest: (message: string, causes?: StatusCause[]) => new StatusError(400, 'BadRequest', message, causes ? { causes } : undefined),
  methodNotAllowed: () => new StatusError(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource'),
  notAcceptable: (message: string) => new StatusError(406, 'NotAcceptable', message),
  gone: (message: string) => new StatusError(410, 'Gone', message),
  expired: (message: string) => new StatusError(410, 'Expired', message),
  tooLarge: (limit: number) => new StatusError(413, 'RequestEntityTooLarge', `Request entity too large: limit is ${limit}`),
  unsupportedMediaType: (contentType: string, accepted: string[]) =>
    new StatusError(
      415,
      'UnsupportedMediaType',
      `the body of the request was in an unknown format - accepted media types include: ${accepted.join(', ')}`,
      contentType ? { causes: [{ reason: 'UnsupportedMediaType', message: contentType }] } : undefined,
    ),
  unauthorized: () => new StatusError(401, 'Unauthorized', 'Unauthorized'),
  forbidden: (message: string) => new StatusError(403, 'Forbidden', message),
  /** 403 naming the object (upstream's NewForbidden): `<resource> "<name>" is forbidden: <why>`. */
  forbiddenObject: (gr: GR, name: string, why: string) =>
    new StatusError(403, 'Forbidden', `${groupResource(gr)} "${name}" is forbidden: ${why}`, detailsOf(gr, name)),
  tooManyRequests: (message: string, causes?: StatusCause[]) => new StatusError(429, 'TooManyRequests', message, causes ? { causes } : {}),
  /** Writes into a namespace that is going away. */
  namespaceTerminating: (gr: GR, name: string, namespace: string) =>
    new StatusError(
      403,
      'Forbidden',
      `${groupResource(gr)} "${name}" is forbidden: unable to create new content in namespace ${namespace} because it is being terminated`,
      detailsOf(gr, name),
    ),
  internal: (err: unknown) =>
    new StatusError(500, 'InternalError', `Internal error occurred: ${(err as Error)?.message ?? String(err)}`, undefined, {
      cause: err,
    }),
  unavailable: (message: string) => new StatusError(503, 'ServiceUnavailable', message),
  timeout: (message: string) => new StatusError(504, 'Timeout', message),
};
