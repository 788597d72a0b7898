/**
 * `mkctl apply -f`: client-side apply as kubectl does it (create with the
 * last-applied-configuration annotation, else a three-way strategic merge patch, retried
 * on conflicts), or `--server-side` apply.
 */
import { isConflict, isNotFound, type KubeObject } from '@minik8s/client/kube';
import type { Ctx } from '../context.ts';
import { formatError } from '../errors.ts';
import { readManifests } from '../internal/manifests.ts';
import { pathOf } from '../internal/resources.ts';
import { threeWayMergePatch } from '../internal/three-way.ts';
import { escapeHtml, sortKeys } from '../printers/jsonpath.ts';
import { kindName } from '../printers/output.ts';

export const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';

export interface ApplyFlags {
  filename?: string[];
  recursive?: boolean;
  serverSide?: boolean;
  forceConflicts?: boolean;
  fieldManager?: string;
  dryRun?: string;
}

export async function apply(ctx: Ctx, f: ApplyFlags): Promise<number> {
  const manifests = await readManifests(ctx.io, f.filename ?? [], f.recursive);
  const dryRun = dryRunMode(f.dryRun);
  const suffix = dryRun === 'server' ? ' (server dry run)' : dryRun === 'client' ? ' (dry run)' : '';
  let failed = false;
  for (const { object } of manifests) {
    try {
      const r = await ctx.discovery.forKind(object.apiVersion ?? '', object.kind ?? '');
      const name = object.metadata?.name;
      if (!name) throw new Error(`error when retrieving current configuration of: resource name may not be empty`);
      const namespace = r.namespaced ? object.metadata?.namespace || ctx.namespace : undefined;
      const label = `${kindName(r.kind, r.group)}/${name}`;
      const query = { fieldManager: undefined as string | undefined, fieldValidation: 'Strict', dryRun: dryRun === 'server' ? 'All' : undefined };
      if (f.serverSide) {
        const body = { ...object, metadata: { ...object.metadata, ...(namespace ? { namespace } : {}) } };
        if (dryRun !== 'client') {
          await ctx.request({
            method: 'PATCH',
            path: pathOf(r, namespace, name),
            query: { ...query, fieldManager: f.fieldManager ?? 'mkctl', force: f.forceConflicts ? 'true' : undefined },
            body: JSON.stringify(body),
            contentType: 'application/apply-patch+yaml',
          });
        }
        ctx.io.out(`${label} serverside-applied${suffix}\n`);
        continue;
      }
      const modified = withLastApplied(object, namespace);
      let outcome: 'created' | 'configured' | 'unchanged' = 'unchanged';
      for (let attempt = 0; ; attempt++) {
        let live: KubeObject | undefined;
        try {
          live = await ctx.request<KubeObject>({ path: pathOf(r, namespace, name) });
        } catch (e) {
          if (!isNotFound(e)) throw e;
        }
        if (!live) {
          if (dryRun !== 'client') {
            await ctx.request({
              method: 'POST',
              path: pathOf(r, namespace),
              query: { ...query, fieldManager: f.fieldManager ?? 'kubectl-client-side-apply' },
              body: modified,
            });
          }
          outcome = 'created';
          break;
        }
        const lastText = live.metadata?.annotations?.[LAST_APPLIED];
        let original: Record<string, unknown> | undefined;
        try {
          original = lastText ? (JSON.parse(lastText) as Record<string, unknown>) : undefined;
        } catch {
          original = undefined;
        }
        const patch = threeWayMergePatch(original, modified as Record<string, unknown>, live as unknown as Record<string, unknown>);
        if (Object.keys(patch).length === 0) break;
        if (dryRun === 'client') {
          outcome = 'configured';
          break;
        }
        try {
          await ctx.request({
            method: 'PATCH',
            path: pathOf(r, namespace, name),
            query: { ...query, fieldManager: f.fieldManager ?? 'kubectl-client-side-apply' },
            body: patch,
            contentType: 'application/strategic-merge-patch+json',
          });
          outcome = 'configured';
          break;
        } catch (e) {
          if (!isConflict(e) || attempt >= 4) throw e;
        }
      }
      ctx.io.out(`${label} ${outcome}${suffix}\n`);
    } catch (e) {
      failed = true;
      ctx.io.err(formatError(e, ctx.verbosity));
    }
  }
  return failed ? 1 : 0;
}

/** The manifest as it is sent: namespace filled in and the last-applied annotation set. */
export function withLastApplied(object: KubeObject, namespace: string | undefined): KubeObject {
  const { [LAST_APPLIED]: _old, ...annotations } = object.metadata?.annotations ?? {};
  const recorded = { ...object, metadata: { ...object.metadata, annotations, ...(namespace ? { namespace } : {}) } };
  const text = `${escapeHtml(JSON.stringify(sortKeys(recorded)))}\n`;
  return { ...recorded, metadata: { ...recorded.metadata, annotations: { ...annotations, [LAST_APPLIED]: text } } } as KubeObject;
}

export function dryRunMode(v: string | undefined): 'none' | 'client' | 'server' {
  if (v === undefined || v === 'none' || v === 'false') return 'none';
  if (v === 'server') return 'server';
  if (v === 'client' || v === 'true' || v === '') return 'client';
  throw new Error(`Invalid dry-run value (${v}). Must be "none", "server", or "client".`);
}
