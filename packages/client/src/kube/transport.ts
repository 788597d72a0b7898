/**
 * The HTTP(S) transport of `KubeClient`: Node's own `http`/`https` with keep-alive
 * agents. Node's HTTP stack is part of its startup snapshot, so a short-lived command
 * such as mkctl pays nothing to load it (undici took about 70 ms to load and compile);
 * long-running components get keep-alive connections all the same.
 *
 * Unary requests share one agent (`maxSockets` connections, reused last-in first-out);
 * watches get their own agent with no limit, so long watches never starve requests.
 */
import { Agent as HttpAgent, request as httpRequest, type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';

export interface TransportTls {
  ca?: string | Buffer;
  cert?: string | Buffer;
  key?: string | Buffer;
  rejectUnauthorized?: boolean;
  servername?: string;
}

export interface TransportRequest {
  method: string;
  /** Path and query, already prefixed. */
  path: string;
  headers: Record<string, string>;
  body?: string | Buffer;
  signal?: AbortSignal;
  /** A long-lived answer (a watch or a log stream): sent on the stream agent, no socket timeout. */
  stream?: boolean;
}

export interface TransportResponse {
  statusCode: number;
  headers: IncomingHttpHeaders;
  /** The body as it arrives; read it whole with `readBody`. */
  body: IncomingMessage;
}

export class HttpTransport {
  private readonly url: URL;
  private readonly agent: HttpAgent;
  private readonly streams: HttpAgent;
  private readonly send: typeof httpRequest;

  constructor(origin: string, o: { tls?: TransportTls; connections?: number } = {}) {
    this.url = new URL(origin);
    const secure = this.url.protocol === 'https:';
    const base = { keepAlive: true, scheduling: 'lifo' as const };
    const tls = secure ? (o.tls ?? {}) : {};
    const Agent = secure ? HttpsAgent : HttpAgent;
    this.agent = new Agent({ ...base, ...tls, maxSockets: o.connections ?? 16 });
    this.streams = new Agent({ ...tls, keepAlive: false });
    this.send = secure ? httpsRequest : httpRequest;
  }

  request(r: TransportRequest): Promise<TransportResponse> {
    return new Promise((resolve, reject) => {
      const headers: Record<string, string | number> = { ...r.headers };
      if (r.body !== undefined) headers['content-length'] = Buffer.byteLength(r.body);
      const req = this.send({
        protocol: this.url.protocol,
        hostname: this.url.hostname.replace(/^\[(.*)\]$/, '$1'),
        port: this.url.port || undefined,
        method: r.method,
        path: r.path,
        headers,
        agent: r.stream ? this.streams : this.agent,
        signal: r.signal,
      });
      req.once('response', (res) => resolve({ statusCode: res.statusCode ?? 0, headers: res.headers, body: res }));
      req.once('error', reject);
      req.end(r.body);
    });
  }

  /** Closes idle connections now and every other one when its request ends. */
  close(): void {
    this.agent.destroy();
    this.streams.destroy();
  }
}

/** The whole body of an answer. Rejects if the connection breaks or the request is aborted. */
export async function readBody(res: TransportResponse): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of res.body) chunks.push(chunk as Buffer);
  return chunks.length === 1 && chunks[0] ? chunks[0] : Buffer.concat(chunks);
}
