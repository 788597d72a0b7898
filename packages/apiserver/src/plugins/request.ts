/**
 * A resource request's query, as upstream decodes it: write options (fieldValidation,
 * dryRun, fieldManager), DeleteOptions, and integer parameters, each refused with a 400
 * or 422 naming what is wrong.
 */
import { apiErrors } from '@minik8s/api';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { type DeleteOptions, PROPAGATION_POLICIES } from '../rest/deletion.ts';
import { PATCH_TYPES } from '../rest/patch.ts';
import type { ResourcePath } from '../rest/paths.ts';
import type { FieldValidation, WriteOptions } from '../rest/resources.ts';
import { checkFieldManager, fieldManagerFor } from '../ssa/index.ts';
import type { ResourceRequest } from './plugin.ts';

/** Parses what every verb shares; a bad fieldManager on a write is refused here. */
export function resourceRequest(req: FastifyRequest, reply: FastifyReply, path: ResourcePath, query: URLSearchParams): ResourceRequest {
  const write: WriteOptions = {
    fieldValidation: fieldValidation(query.get('fieldValidation')),
    warnings: [],
    dryRun: dryRun(query),
    manager: fieldManagerFor(query.get('fieldManager') ?? undefined, req.headers['user-agent']),
  };
  if (['POST', 'PUT', 'PATCH'].includes(req.method)) {
    const isApply = req.method === 'PATCH' && (req.headers['content-type'] ?? '').startsWith(PATCH_TYPES.apply);
    const kind = isApply ? 'apply' : req.method === 'POST' ? 'create' : req.method === 'PUT' ? 'update' : 'patch';
    const bad = checkFieldManager({ kind, fieldManager: query.get('fieldManager') ?? undefined, force: query.get('force') ?? undefined });
    if (bad) throw bad;
  }
  return {
    req,
    reply,
    path,
    query,
    write,
    asTable: /as=Table/.test(req.headers.accept ?? ''),
    warn: (v) => {
      if (write.warnings!.length) reply.header('warning', warningHeader(write.warnings!));
      return v;
    },
  };
}

/** Upstream's bounds on warnings (k8s.io/apiserver's recorder): 4096 characters in all; past that, each cut to 256. */
export const WARNINGS_TOTAL_CHARS = 4 * 1024;
export const WARNING_ITEM_CHARS = 256;

/**
 * The Warning header (`299 - "text"`, one per warning). A header holds printable ASCII
 * and Latin-1 only, and a warning may quote a field name from the body: whatever lies
 * outside printable ASCII is escaped (`\u00e9`), where a raw character would make the
 * answer a 500. The warnings are bounded as upstream's recorder bounds them: repeats are
 * dropped, and once the text passes 4096 characters every warning is cut to 256 and
 * those after the 4096th character are left out (a body of 1,000 unknown fields made a
 * 37 KB header, more than Node's clients read).
 */
export function warningHeader(warnings: string[]): string {
  const quote = (m: string) => JSON.stringify(m).replace(/[^\x20-\x7e]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  const unique = [...new Set(warnings.filter((m) => m.length > 0))];
  const chars = (m: string) => [...m].length;
  let kept = unique;
  if (unique.reduce((a, m) => a + chars(m), 0) > WARNINGS_TOTAL_CHARS) {
    kept = [];
    let written = 0;
    for (const m of unique) {
      if (written >= WARNINGS_TOTAL_CHARS) break;
      const cut = chars(m) > WARNING_ITEM_CHARS ? [...m].slice(0, WARNING_ITEM_CHARS).join('') : m;
      kept.push(cut);
      written += chars(cut);
    }
  }
  return kept.map((m) => `299 - ${quote(m)}`).join(', ');
}

/** DeleteOptions from the query and the body. */
export function deleteOptions(r: ResourceRequest): DeleteOptions {
  const body = (r.req.body ?? {}) as Record<string, unknown>;
  return {
    dryRun: r.write.dryRun || (Array.isArray(body.dryRun) && body.dryRun.includes('All')),
    propagationPolicy: propagationPolicy(r.query, body),
    gracePeriodSeconds: gracePeriodSeconds(r.query, body),
    preconditions: body.preconditions as { uid?: string; resourceVersion?: string } | undefined,
  };
}

/** A non-negative integer query parameter, or a 400 naming it. */
export function intParam(q: URLSearchParams, name: string): number | undefined {
  const v = q.get(name);
  if (v === null || v === '') return undefined;
  if (!/^\d+$/.test(v)) throw apiErrors.badRequest(`invalid value for ${name}: ${JSON.stringify(v)}: must be a non-negative integer`);
  return Number(v);
}

export const isWatch = (p: ResourcePath, q: URLSearchParams) => p.watchPath || q.get('watch') === 'true' || q.get('watch') === '1';

export function tableOptions(q: URLSearchParams) {
  return { includeObject: q.get('includeObject') ?? undefined };
}

/** DeleteOptions' gracePeriodSeconds (query or body); negative is invalid, as upstream. */
function gracePeriodSeconds(q: URLSearchParams, body: Record<string, unknown>): number | undefined {
  const raw = q.get('gracePeriodSeconds') ?? body.gracePeriodSeconds;
  if (raw === undefined || raw === null) return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0) {
    throw apiErrors.invalid({ group: 'meta.k8s.io', kind: 'DeleteOptions' }, '', [
      { reason: 'FieldValueInvalid', field: 'gracePeriodSeconds', message: `Invalid value: ${JSON.stringify(raw)}: must be greater than or equal to 0` },
    ]);
  }
  return n;
}

/**
 * DeleteOptions' propagationPolicy (query or body), or the deprecated orphanDependents
 * turned into one; validated as upstream's ValidateDeleteOptions.
 */
function propagationPolicy(q: URLSearchParams, body: Record<string, unknown>): string | undefined {
  const policy = (q.get('propagationPolicy') ?? body.propagationPolicy ?? undefined) as string | undefined;
  const orphanParam = q.get('orphanDependents');
  const orphan = orphanParam !== null ? orphanParam === 'true' : (body.orphanDependents as boolean | undefined);
  const invalid = (message: string, reason = 'FieldValueInvalid') =>
    apiErrors.invalid({ group: 'meta.k8s.io', kind: 'DeleteOptions' }, '', [{ reason, field: 'propagationPolicy', message }]);
  if (orphan !== undefined && orphan !== null && policy !== undefined) {
    throw invalid(`Invalid value: ${JSON.stringify(policy)}: orphanDependents and deletionPropagation cannot be both set`);
  }
  if (policy !== undefined && !PROPAGATION_POLICIES.includes(policy)) {
    throw invalid(`Unsupported value: ${JSON.stringify(policy)}: supported values: "Foreground", "Background", "Orphan", "nil"`, 'FieldValueNotSupported');
  }
  if (policy === undefined && orphan !== undefined && orphan !== null) return orphan ? 'Orphan' : 'Background';
  return policy;
}

/** `?dryRun=All`: validate and admit, but store nothing. */
function dryRun(q: URLSearchParams): boolean {
  const v = q.getAll('dryRun');
  for (const x of v) if (x !== 'All') throw apiErrors.badRequest(`Invalid dry run value: ${JSON.stringify(x)}: supported values: "All"`);
  return v.length > 0;
}

/** `?fieldValidation=`: Strict, Warn (the default) or Ignore. */
function fieldValidation(v: string | null): FieldValidation {
  if (v === null || v === '') return 'Warn';
  if (v === 'Strict' || v === 'Warn' || v === 'Ignore') return v;
  throw apiErrors.badRequest(`fieldValidation must be one of "Ignore", "Warn", or "Strict", got "${v}"`);
}
