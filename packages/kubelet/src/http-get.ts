/**
 * The kubelet's one HTTP client, for httpGet probes and lifecycle hooks, as lenient as
 * upstream's Go client: an HTTPS server's certificate is not checked (Pods serve
 * self-signed ones), redirects are not followed, header lines ending in a bare LF (busybox
 * httpd's CGI) are read, and errors are worded as Go words them (`Get "<url>": ...`).
 */
import { get as plainGet } from 'node:http';
import { get as httpsGet } from 'node:https';

export interface HttpGetResult {
  status: number;
  /** The first 10 KiB of the body. */
  body: string;
}

const BODY_LIMIT = 10 * 1024;

/** One GET; rejects with an Error whose message is Go's (`Get "<url>": dial tcp ...: connect: connection refused`). */
export function kubeletGet(url: string, headers: Record<string, string>, timeoutMs: number): Promise<HttpGetResult> {
  const u = new URL(url);
  const get = u.protocol === 'https:' ? httpsGet : plainGet;
  return new Promise<HttpGetResult>((resolve, reject) => {
    const req = get(u, { headers, rejectUnauthorized: false, insecureHTTPParser: true }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        if (body.length < BODY_LIMIT) body += chunk.slice(0, BODY_LIMIT - body.length);
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.setTimeout(timeoutMs, () => req.destroy(Object.assign(new Error('timeout'), { name: 'TimeoutError' })));
    req.on('error', (e: NodeJS.ErrnoException) => {
      const why =
        e.name === 'TimeoutError'
          ? 'context deadline exceeded (Client.Timeout exceeded while awaiting headers)'
          : e.code === 'ECONNREFUSED'
            ? `dial tcp ${u.host}: connect: connection refused`
            : (e.code ?? e.message);
      reject(new Error(`Get ${JSON.stringify(url)}: ${why}`));
    });
  });
}
