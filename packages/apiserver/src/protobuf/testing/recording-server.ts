/**
 * A stand-in API server for tests that records what a client sends. It serves just
 * enough legacy discovery for kubectl to find the resources below, answers every write
 * with 201 and whatever `reply` returns, and keeps each request's method, path, content
 * type and raw body.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface RecordedRequest {
  method: string;
  path: string;
  contentType: string;
  body: Buffer;
}

type Json = Record<string, unknown>;

/** name, kind, namespaced, verbs; a name with a slash is a subresource answered by group/version/kind. */
type Res = [name: string, kind: string, namespaced: boolean, extra?: { group: string; version: string }];

const RW = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];

const RESOURCES: Record<string, Res[]> = {
  v1: [
    ['namespaces', 'Namespace', false],
    ['nodes', 'Node', false],
    ['configmaps', 'ConfigMap', true],
    ['secrets', 'Secret', true],
    ['services', 'Service', true],
    ['serviceaccounts', 'ServiceAccount', true],
    ['serviceaccounts/token', 'TokenRequest', true, { group: 'authentication.k8s.io', version: 'v1' }],
    ['resourcequotas', 'ResourceQuota', true],
    ['pods', 'Pod', true],
    ['pods/eviction', 'Eviction', true, { group: 'policy', version: 'v1' }],
  ],
  'apps/v1': [
    ['deployments', 'Deployment', true],
    ['deployments/scale', 'Scale', true, { group: 'autoscaling', version: 'v1' }],
    ['replicasets', 'ReplicaSet', true],
    ['statefulsets', 'StatefulSet', true],
    ['daemonsets', 'DaemonSet', true],
  ],
  'batch/v1': [
    ['jobs', 'Job', true],
    ['cronjobs', 'CronJob', true],
  ],
  'rbac.authorization.k8s.io/v1': [
    ['roles', 'Role', true],
    ['rolebindings', 'RoleBinding', true],
    ['clusterroles', 'ClusterRole', false],
    ['clusterrolebindings', 'ClusterRoleBinding', false],
  ],
  'networking.k8s.io/v1': [['ingresses', 'Ingress', true]],
  'policy/v1': [['poddisruptionbudgets', 'PodDisruptionBudget', true]],
  'scheduling.k8s.io/v1': [['priorityclasses', 'PriorityClass', false]],
  'authorization.k8s.io/v1': [
    ['selfsubjectaccessreviews', 'SelfSubjectAccessReview', false],
    ['selfsubjectrulesreviews', 'SelfSubjectRulesReview', false],
  ],
  'authentication.k8s.io/v1': [['selfsubjectreviews', 'SelfSubjectReview', false]],
  'certificates.k8s.io/v1': [
    ['certificatesigningrequests', 'CertificateSigningRequest', false],
    ['certificatesigningrequests/approval', 'CertificateSigningRequest', false, { group: 'certificates.k8s.io', version: 'v1' }],
  ],
  'autoscaling/v1': [['horizontalpodautoscalers', 'HorizontalPodAutoscaler', true]],
};

function resourceList(gv: string) {
  return {
    kind: 'APIResourceList',
    apiVersion: 'v1',
    groupVersion: gv,
    resources: (RESOURCES[gv] ?? []).map(([name, kind, namespaced, extra]) => ({
      name,
      singularName: name.includes('/') ? '' : kind.toLowerCase(),
      namespaced,
      kind,
      verbs: name.includes('/') ? ['create', 'get', 'patch', 'update'] : RW,
      ...extra,
    })),
  };
}

function groupList() {
  return {
    kind: 'APIGroupList',
    apiVersion: 'v1',
    groups: Object.keys(RESOURCES)
      .filter((gv) => gv.includes('/'))
      .map((gv) => {
        const version = { groupVersion: gv, version: gv.split('/')[1] };
        return { name: gv.split('/')[0], versions: [version], preferredVersion: version };
      }),
  };
}

export interface RecordingServer {
  url: string;
  requests: RecordedRequest[];
  /** Runs kubectl with a kubeconfig for this server and a private HOME (so a private discovery cache). */
  kubectl(args: string[]): Promise<{ code: number; stdout: string; stderr: string }>;
  close(): Promise<void>;
}

/**
 * `reply` turns a recorded write into the JSON object to answer with (201). GETs of a
 * named object answer with `objects[path]` when present, else 404.
 */
export async function startRecordingServer(opts: { reply: (req: RecordedRequest) => Json; objects?: Record<string, Json> }): Promise<RecordingServer> {
  const requests: RecordedRequest[] = [];
  const send = (res: ServerResponse, code: number, body: unknown) => {
    res.writeHead(code, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  };
  const handle = (req: IncomingMessage, res: ServerResponse, body: Buffer) => {
    const path = (req.url ?? '/').split('?')[0]!;
    const method = req.method ?? 'GET';
    if (method === 'GET') {
      if (path === '/version') return send(res, 200, { major: '1', minor: '32', gitVersion: 'v1.32.0' });
      if (path === '/api') return send(res, 200, { kind: 'APIVersions', versions: ['v1'] });
      if (path === '/apis') return send(res, 200, groupList());
      if (path === '/api/v1') return send(res, 200, resourceList('v1'));
      const m = /^\/apis\/([^/]+\/[^/]+)$/.exec(path);
      if (m) return send(res, 200, resourceList(m[1]!));
      const obj = opts.objects?.[path];
      if (obj) return send(res, 200, obj);
      return send(res, 404, { kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'NotFound', code: 404, message: `${path} not found` });
    }
    const rec: RecordedRequest = { method, path, contentType: req.headers['content-type'] ?? '', body };
    requests.push(rec);
    try {
      send(res, method === 'POST' ? 201 : 200, opts.reply(rec));
    } catch (e) {
      send(res, 400, { kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'BadRequest', code: 400, message: String(e) });
    }
  };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => handle(req, res, Buffer.concat(chunks)));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const home = mkdtempSync(join(tmpdir(), 'protobuf-kubectl-'));
  const kubeconfig = join(home, 'kubeconfig');
  writeFileSync(
    kubeconfig,
    [
      'apiVersion: v1',
      'kind: Config',
      'clusters: [{name: rec, cluster: {server: "' + url + '"}}]',
      'users: [{name: rec, user: {token: test}}]',
      'contexts: [{name: rec, context: {cluster: rec, user: rec, namespace: default}}]',
      'current-context: rec',
      '',
    ].join('\n'),
  );
  return {
    url,
    requests,
    kubectl: (args) =>
      new Promise((resolve) => {
        execFile('kubectl', args, { env: { ...process.env, KUBECONFIG: kubeconfig, HOME: home }, timeout: 20_000 }, (err, stdout, stderr) =>
          resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }),
        );
      }),
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      rmSync(home, { recursive: true, force: true });
    },
  };
}
