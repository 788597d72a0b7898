/**
 * `GET pods/{name}/log`: validates the PodLogOptions, picks the container, finds the
 * Pod's node and streams the answer of that node's kubelet
 * (`/containerLogs/{ns}/{pod}/{container}`, upstream's path and query names) back to
 * the client. As upstream: an unscheduled Pod has no logs yet (an empty 200), the
 * kubelet's 400s pass through as BadRequest with its message, and a client that goes
 * away ends the request to the kubelet.
 */
import type { IncomingMessage } from 'node:http';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { apiErrors, type KubeObject, rfc3339, type StatusCause, StatusError, type StatusReason } from '@minik8s/api';
import type { FastifyReply } from 'fastify';
import type { ResourcePath } from './paths.ts';
import type { Resources } from './resources.ts';

// biome-ignore lint/suspicious/noExplicitAny: pods and nodes are read loosely
type Any = any;

/** How the API server reaches kubelets (upstream: --kubelet-client-certificate & co). */
export interface KubeletClientConfig {
  /** 'https' (the default, as upstream) or 'http' (for tests and plain-HTTP kubelets). */
  scheme?: 'https' | 'http';
  /** The client certificate and key presented to kubelets (apiserver-kubelet-client). */
  cert?: string;
  key?: string;
  /** CA bundle that signed the kubelets' serving certificates (default: Node's roots). */
  ca?: string;
  /** Node address types, most preferred first. */
  preferredAddressTypes?: string[];
  /** Used when a Node does not publish status.daemonEndpoints.kubeletEndpoint.Port. */
  defaultPort?: number;
}

export const DEFAULT_ADDRESS_TYPES = ['InternalIP', 'Hostname', 'InternalDNS', 'ExternalIP', 'ExternalDNS'];

/** The query of a log request (core/v1 PodLogOptions). */
export interface PodLogOptions {
  container?: string;
  follow: boolean;
  previous: boolean;
  timestamps: boolean;
  sinceSeconds?: number;
  sinceTime?: string;
  tailLines?: number;
  limitBytes?: number;
  insecureSkipTLSVerifyBackend: boolean;
}

/** Go's strconv.ParseBool, as query parameters are decoded upstream. */
function boolParam(q: URLSearchParams, name: string): boolean {
  const v = q.get(name);
  if (v === null || v === '') return false;
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(v)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(v)) return false;
  throw apiErrors.badRequest(`strconv.ParseBool: parsing ${JSON.stringify(v)}: invalid syntax`);
}

function int64Param(q: URLSearchParams, name: string): number | undefined {
  const v = q.get(name);
  if (v === null || v === '') return undefined;
  if (!/^[-+]?\d+$/.test(v)) throw apiErrors.badRequest(`strconv.ParseInt: parsing ${JSON.stringify(v)}: invalid syntax`);
  return Number(v);
}

export function parsePodLogOptions(q: URLSearchParams, name: string): PodLogOptions {
  const o: PodLogOptions = {
    container: q.get('container') || undefined,
    follow: boolParam(q, 'follow'),
    previous: boolParam(q, 'previous'),
    timestamps: boolParam(q, 'timestamps'),
    sinceSeconds: int64Param(q, 'sinceSeconds'),
    tailLines: int64Param(q, 'tailLines'),
    limitBytes: int64Param(q, 'limitBytes'),
    insecureSkipTLSVerifyBackend: boolParam(q, 'insecureSkipTLSVerifyBackend'),
  };
  const since = q.get('sinceTime');
  if (since) {
    const t = Date.parse(since);
    if (!/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/.test(since) || Number.isNaN(t)) {
      throw apiErrors.badRequest(`parsing time ${JSON.stringify(since)} as "2006-01-02T15:04:05Z07:00": cannot parse ${JSON.stringify(since)}`);
    }
    // Whole seconds in UTC, as metav1.Time serializes (RFC 3339).
    o.sinceTime = rfc3339(new Date(t));
  }
  // Upstream's ValidatePodLogOptions.
  const causes: StatusCause[] = [];
  if (o.tailLines !== undefined && o.tailLines < 0) {
    causes.push({ reason: 'FieldValueInvalid', field: 'tailLines', message: `Invalid value: ${o.tailLines}: must be greater than or equal to 0` });
  }
  if (o.limitBytes !== undefined && o.limitBytes < 1) {
    causes.push({ reason: 'FieldValueInvalid', field: 'limitBytes', message: `Invalid value: ${o.limitBytes}: must be greater than 0` });
  }
  if (o.sinceSeconds !== undefined && o.sinceTime !== undefined) {
    causes.push({ reason: 'FieldValueForbidden', field: '', message: 'Forbidden: at most one of `sinceTime` or `sinceSeconds` may be specified' });
  } else if (o.sinceSeconds !== undefined && o.sinceSeconds < 1) {
    causes.push({ reason: 'FieldValueInvalid', field: 'sinceSeconds', message: `Invalid value: ${o.sinceSeconds}: must be greater than 0` });
  }
  if (causes.length) throw apiErrors.invalid({ group: '', kind: 'PodLogOptions' }, name, causes);
  return o;
}

/** Every container name, init containers first, then app containers, then ephemeral ones. */
function allContainerNames(pod: Any): string[] {
  const spec = pod.spec ?? {};
  return [...(spec.initContainers ?? []), ...(spec.containers ?? []), ...(spec.ephemeralContainers ?? [])].map((c: Any) => String(c.name));
}

/** Upstream's validateContainer: the named container must exist; unnamed, the Pod must have exactly one. */
export function containerFor(pod: Any, container: string | undefined): string {
  const name = pod.metadata.name as string;
  if (!container) {
    const containers = pod.spec?.containers ?? [];
    if (containers.length === 1) return containers[0].name;
    if (containers.length === 0) throw apiErrors.badRequest(`a container name must be specified for pod ${name}`);
    throw apiErrors.badRequest(`a container name must be specified for pod ${name}, choose one of: [${allContainerNames(pod).join(' ')}]`);
  }
  if (!allContainerNames(pod).includes(container)) throw apiErrors.badRequest(`container ${container} is not valid for pod ${name}`);
  return container;
}

/** An error without a Kubernetes reason (upstream's answer for plain Go errors): `Error from server: ...`. */
const plainError = (message: string) => new StatusError(500, '' as StatusReason, message);

/** The kubelet's address and port, as upstream's NodeConnectionInfoGetter picks them. */
export function kubeletAddress(node: Any, c: KubeletClientConfig): { host: string; port: number } {
  const addresses: Array<{ type?: string; address?: string }> = node.status?.addresses ?? [];
  let host: string | undefined;
  for (const type of c.preferredAddressTypes ?? DEFAULT_ADDRESS_TYPES) {
    host = addresses.find((a) => a.type === type && a.address)?.address;
    if (host) break;
  }
  if (!host) {
    const known = addresses.map((a) => `{${a.type ?? ''} ${a.address ?? ''}}`).join(' ');
    throw plainError(`no preferred addresses found; known addresses: [${known}]`);
  }
  const port = Number(node.status?.daemonEndpoints?.kubeletEndpoint?.Port) || c.defaultPort || 10250;
  return { host, port };
}

/** Upstream's GenericHttpResponseChecker: a kubelet's error answer as the API error kubectl prints. */
function kubeletError(code: number, body: string, pod: string): StatusError {
  const suffix = ` ( pods/log ${pod})`;
  const details = { name: pod, kind: 'pods/log' };
  switch (code) {
    case 400:
      return apiErrors.badRequest(body);
    case 500:
      return new StatusError(500, 'InternalError', `Internal error occurred: ${body}`);
    case 401:
      return new StatusError(401, 'Unauthorized', `the server has asked for the client to provide credentials${suffix}`, details);
    case 403:
      return new StatusError(403, 'Forbidden', `${body}${suffix}`, details);
    case 404:
      return new StatusError(404, 'NotFound', `the server could not find the requested resource${suffix}`, details);
    default:
      return new StatusError(
        code,
        '' as StatusReason,
        `the server responded with the status code ${code} but did not return more information${suffix}`,
        details,
      );
  }
}

/** The kubelet URL for a container's logs, with upstream's query names and order. */
export function containerLogsPath(namespace: string, pod: string, container: string, o: PodLogOptions): string {
  const q = new URLSearchParams();
  if (o.follow) q.set('follow', 'true');
  if (o.limitBytes !== undefined) q.set('limitBytes', String(o.limitBytes));
  if (o.previous) q.set('previous', 'true');
  if (o.sinceSeconds !== undefined) q.set('sinceSeconds', String(o.sinceSeconds));
  if (o.sinceTime !== undefined) q.set('sinceTime', o.sinceTime);
  if (o.tailLines !== undefined) q.set('tailLines', String(o.tailLines));
  if (o.timestamps) q.set('timestamps', 'true');
  const qs = q.toString();
  const seg = encodeURIComponent;
  return `/containerLogs/${seg(namespace)}/${seg(pod)}/${seg(container)}${qs ? `?${qs}` : ''}`;
}

export interface PodLogDeps {
  resources: Resources;
  /** The path of a Node, to read it. */
  nodePath(name: string): ResourcePath;
  kubelet: KubeletClientConfig;
}

/** Serves one log request; the reply is either an error (thrown) or the kubelet's stream. */
export async function servePodLog(d: PodLogDeps, p: ResourcePath, q: URLSearchParams, reply: FastifyReply): Promise<unknown> {
  const o = parsePodLogOptions(q, p.name!);
  const pod = (await d.resources.get({ ...p, subresource: undefined })) as Any;
  const container = containerFor(pod, o.container);
  const nodeName: string | undefined = pod.spec?.nodeName;
  // Not scheduled yet: nothing to show (upstream answers an empty body).
  if (!nodeName) return reply.type('text/plain').send('');
  const node = await d.resources.get(d.nodePath(nodeName));
  const { host, port } = kubeletAddress(node as KubeObject, d.kubelet);
  const path = containerLogsPath(pod.metadata.namespace, pod.metadata.name, container, o);
  const https = (d.kubelet.scheme ?? 'https') === 'https';
  const url = `${https ? 'https' : 'http'}://${host.includes(':') ? `[${host}]` : host}:${port}${path}`;

  const abort = new AbortController();
  // The client went away (or the answer is done): stop asking the kubelet.
  reply.raw.once('close', () => abort.abort());
  let res: IncomingMessage;
  try {
    res = await new Promise<IncomingMessage>((resolve, reject) => {
      const opts = {
        host: host.replace(/^\[|\]$/g, ''),
        port,
        path,
        method: 'GET',
        agent: false as const,
        signal: abort.signal,
        headers: { accept: '*/*', 'user-agent': 'kube-apiserver' },
        ...(https
          ? {
              cert: d.kubelet.cert,
              key: d.kubelet.key,
              ca: d.kubelet.ca,
              rejectUnauthorized: !o.insecureSkipTLSVerifyBackend,
            }
          : {}),
      };
      const req = (https ? httpsRequest : httpRequest)(opts, resolve);
      req.on('error', reject);
      req.end();
    });
  } catch (e) {
    throw plainError(`Get ${JSON.stringify(url)}: ${describeNetworkError(e, host, port)}`);
  }
  const code = res.statusCode ?? 500;
  if (code < 200 || code > 206) {
    let body = '';
    for await (const chunk of res) {
      body += chunk;
      if (body.length >= 1024) break;
    }
    res.destroy();
    throw kubeletError(code, body.slice(0, 1024), pod.metadata.name);
  }
  // Fastify pipes the stream and destroys it when the client goes away.
  return reply.type('text/plain').header('cache-control', 'no-cache, private').send(res);
}

/** Go's net/http wording for the usual failures (`dial tcp 10.0.0.1:10250: connect: connection refused`). */
function describeNetworkError(e: unknown, host: string, port: number): string {
  const err = e as { code?: string; message?: string };
  const addr = `${host.includes(':') ? `[${host}]` : host}:${port}`;
  if (err.code === 'ECONNREFUSED') return `dial tcp ${addr}: connect: connection refused`;
  if (err.code === 'EHOSTUNREACH') return `dial tcp ${addr}: connect: no route to host`;
  if (err.code === 'ETIMEDOUT') return `dial tcp ${addr}: i/o timeout`;
  if (err.code === 'ENOTFOUND') return `dial tcp: lookup ${host}: no such host`;
  return err.message ?? String(e);
}
