/**
 * Streaming GETs with an Accept header of our choosing, which the shared client's
 * `watch()` does not offer: `get -w` asks for Table rows, `logs -f` for plain text.
 */
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { StringDecoder } from 'node:string_decoder';
import { errorFrom, KubeConnectionError } from '@minik8s/client/kube';
import type { Ctx } from '../context.ts';

/** A streaming GET: the response body's chunks as they arrive, until the server ends it or the signal fires. */
export async function* streamChunks(ctx: Ctx, pathWithQuery: string, accept: string, signal?: AbortSignal): AsyncGenerator<Buffer> {
  const c = ctx.config;
  const url = new URL(c.server);
  const headers: Record<string, string> = { accept, 'user-agent': 'mkctl' };
  if (c.bearerToken) headers.authorization = `Bearer ${c.bearerToken}`;
  else if (c.basicAuth) headers.authorization = `Basic ${Buffer.from(`${c.basicAuth.username}:${c.basicAuth.password}`).toString('base64')}`;
  const path = url.pathname.replace(/\/+$/, '') + pathWithQuery;
  const started = Date.now();
  let res: IncomingMessage;
  try {
    res = await new Promise<IncomingMessage>((resolve, reject) => {
      const opts = {
        host: url.hostname.replace(/^\[|\]$/g, ''),
        port: url.port || (url.protocol === 'https:' ? 443 : 80),
        path,
        method: 'GET',
        headers,
        signal,
        ...(url.protocol === 'https:'
          ? { ca: c.tls.ca, cert: c.tls.cert, key: c.tls.key, rejectUnauthorized: !c.tls.insecureSkipTlsVerify, servername: c.tls.serverName }
          : {}),
      };
      const req = (url.protocol === 'https:' ? httpsRequest : httpRequest)(opts, resolve);
      req.on('error', (e) => reject(signal?.aborted ? e : new KubeConnectionError({ method: 'GET', path, server: c.server }, e)));
      req.end();
    });
  } catch (e) {
    if (signal?.aborted) return;
    throw e;
  }
  if (ctx.verbosity >= 6) ctx.log(`GET ${c.server}${pathWithQuery} ${res.statusCode} in ${Date.now() - started} milliseconds`);
  if ((res.statusCode ?? 0) < 200 || (res.statusCode ?? 0) >= 300) {
    let text = '';
    for await (const chunk of res) text += chunk;
    throw errorFrom(res.statusCode ?? 500, text, { method: 'GET', path: pathWithQuery });
  }
  try {
    for await (const chunk of res) yield chunk as Buffer;
  } catch (e) {
    if (signal?.aborted) return;
    throw e;
  } finally {
    res.destroy();
  }
}

/** One parsed JSON value per line of a streaming GET (a watch). */
export async function* streamLines(ctx: Ctx, pathWithQuery: string, accept: string, signal?: AbortSignal): AsyncGenerator<unknown> {
  const decoder = new StringDecoder('utf8');
  let buf = '';
  for await (const chunk of streamChunks(ctx, pathWithQuery, accept, signal)) {
    buf += decoder.write(chunk);
    for (let i = buf.indexOf('\n'); i >= 0; i = buf.indexOf('\n')) {
      const line = buf.slice(0, i).trim();
      buf = buf.slice(i + 1);
      if (line) yield JSON.parse(line);
    }
  }
  if (signal?.aborted) return;
  const rest = (buf + decoder.end()).trim();
  if (rest) yield JSON.parse(rest);
}
