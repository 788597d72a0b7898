/**
 * Sends a fuzzed request over TLS with the admin client certificate, the path byte for
 * byte, on one keep-alive connection. A watch (an answer with a `stream=watch` type) is
 * read briefly and dropped; any other answer is read whole, or reported as a hang.
 */
import { readFileSync } from 'node:fs';
import { Agent, request } from 'node:https';
import { join } from 'node:path';
import type { FuzzRequest } from './requests.ts';

export interface FuzzResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
  /** Milliseconds until the answer's headers arrived. */
  ms: number;
  /** The answer streamed (a watch) and was dropped after a first look. */
  streamed: boolean;
}

export class Sender {
  private readonly agent: Agent;

  constructor(
    private readonly url: URL,
    pkiDir: string,
    private readonly timeoutMs = 10_000,
  ) {
    const read = (n: string) => readFileSync(join(pkiDir, n), 'utf8');
    this.agent = new Agent({ keepAlive: true, maxSockets: 1, cert: read('admin.crt'), key: read('admin.key'), ca: read('ca.crt') });
  }

  send(r: FuzzRequest): Promise<FuzzResponse> {
    const started = performance.now();
    return new Promise((resolve, reject) => {
      const headers: Record<string, string | number> = { accept: r.accept ?? 'application/json', 'user-agent': 'minik8s-fuzz' };
      if (r.contentType !== undefined) headers['content-type'] = r.contentType;
      if (r.body !== undefined) headers['content-length'] = r.body.length;
      let done = false;
      const finish = (f: () => void) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        f();
      };
      const req = request({ host: this.url.hostname, port: this.url.port, method: r.method, path: r.path, headers, agent: this.agent }, (res) => {
        const ms = performance.now() - started;
        const chunks: Buffer[] = [];
        const streaming = /stream=watch/.test(String(res.headers['content-type'] ?? '')) || (r.watch && res.statusCode === 200);
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => finish(() => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks), ms, streamed: false })));
        res.on('error', (e) => finish(() => reject(e)));
        if (streaming) {
          // Look at what the watch sends first, then hang up (as a client that goes away would).
          setTimeout(
            () =>
              finish(() => {
                req.destroy();
                resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks), ms, streamed: true });
              }),
            20,
          );
        }
      });
      const timer = setTimeout(
        () =>
          finish(() => {
            req.destroy();
            reject(new Error(`no complete answer within ${this.timeoutMs} ms`));
          }),
        this.timeoutMs,
      );
      req.on('error', (e) => finish(() => reject(e)));
      req.end(r.body);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}
