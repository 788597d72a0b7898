/**
 * Errors as kubectl prints them (cmdutil.CheckErr / StandardErrorMessage): one message at
 * the top, `Error from server (Reason): ...` for API errors, `error: ...` otherwise, and the
 * per-field list for Invalid. With `-v` the request that failed is added.
 */
import { KubeApiError, KubeConnectionError, KubeconfigError } from '@minik8s/client/kube';
import { CliError } from './context.ts';

/** The text to print on stderr for an error, ending in a newline. */
export function formatError(e: unknown, verbosity = 0): string {
  let text: string;
  if (e instanceof CliError) text = e.message;
  else if (e instanceof KubeApiError) text = apiErrorMessage(e);
  else if (e instanceof KubeConnectionError) text = connectionMessage(e);
  else if (e instanceof KubeconfigError) text = `error: ${e.message}`;
  else text = `error: ${(e as Error)?.message ?? String(e)}`;
  if (!text.endsWith('\n')) text += '\n';
  if (verbosity > 0) {
    const req = (e as { request?: { method: string; path: string } }).request;
    if (req) text += `  (request: ${req.method} ${req.path})\n`;
    const cause = (e as { cause?: unknown }).cause;
    if (verbosity >= 4 && cause) text += `  (cause: ${(cause as Error).message ?? String(cause)})\n`;
  }
  return text;
}

function apiErrorMessage(e: KubeApiError): string {
  const s = e.status;
  if (s.reason === 'Invalid' && s.details) {
    const d = s.details;
    const head = d.kind || d.name ? `The ${d.kind ?? ''} "${d.name ?? ''}" is invalid` : 'The request is invalid';
    const causes = d.causes ?? [];
    if (causes.length === 0) return `${head}\n`;
    const lines = causes.map((c) => (c.field ? `${c.field}: ${c.message ?? ''}` : (c.message ?? '')));
    if (lines.length === 1) return `${head}: ${lines[0]}\n`;
    return `${head}: \n${lines.map((l) => `* ${l}\n`).join('')}`;
  }
  if (s.reason === 'Unauthorized') return `error: You must be logged in to the server (${s.message ?? 'Unauthorized'})`;
  if (s.reason) return `Error from server (${s.reason}): ${e.message}`;
  return `Error from server: ${e.message}`;
}

function connectionMessage(e: KubeConnectionError): string {
  const cause = e.cause as { code?: string; cause?: { code?: string } } | undefined;
  const code = cause?.code ?? cause?.cause?.code;
  if (code === 'ECONNREFUSED') {
    const host = e.request.server.replace(/^https?:\/\//, '');
    return `The connection to the server ${host} was refused - did you specify the right host or port?`;
  }
  return e.message;
}

/** A 404 for `kind "name"` as the server words it, for errors found on the client side. */
export function notFoundMessage(resource: string, name: string): string {
  return `Error from server (NotFound): ${resource} "${name}" not found`;
}
