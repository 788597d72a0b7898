/**
 * What the stock kubectl (v1.32, on the PATH) really sends. Each command runs against a
 * recording server that answers with the decoded object; the decoded body must equal the
 * JSON kubectl prints for the same command with `--dry-run=client -o json`, and encoding
 * it again must give back kubectl's exact bytes.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeKubernetesProtobuf, encodeKubernetesProtobuf, PROTOBUF_CONTENT_TYPE } from './index.ts';
import { type RecordedRequest, type RecordingServer, startRecordingServer } from './testing/recording-server.ts';

type Json = Record<string, unknown>;

/** Objects that `--from=…` and `autoscale`/`certificate` commands read first. */
const OBJECTS: Record<string, Json> = {
  '/apis/batch/v1/namespaces/default/cronjobs/nightly': {
    apiVersion: 'batch/v1',
    kind: 'CronJob',
    metadata: { name: 'nightly', namespace: 'default', uid: '0b9b2c4e-1111-4222-8333-444455556666' },
    spec: {
      schedule: '0 3 * * *',
      jobTemplate: {
        spec: { template: { spec: { containers: [{ name: 'c', image: 'busybox', args: ['date'] }], restartPolicy: 'Never' } } },
      },
    },
  },
  '/apis/apps/v1/namespaces/default/deployments/web': {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', namespace: 'default', resourceVersion: '7' },
    spec: { replicas: 1, selector: { matchLabels: { app: 'web' } }, template: { spec: { containers: [{ name: 'c', image: 'x' }] } } },
  },
  '/api/v1/nodes/n1': { apiVersion: 'v1', kind: 'Node', metadata: { name: 'n1' } },
  '/api/v1/namespaces/default/pods/p': {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'p', namespace: 'default', labels: { app: 'p' } },
    spec: {
      containers: [{ name: 'c', image: 'x', livenessProbe: { httpGet: { path: '/', port: 'http' } } }],
      volumes: [{ name: 'v', emptyDir: {} }],
      securityContext: {},
    },
  },
  '/apis/certificates.k8s.io/v1/certificatesigningrequests/csr1': {
    apiVersion: 'certificates.k8s.io/v1',
    kind: 'CertificateSigningRequest',
    metadata: { name: 'csr1', resourceVersion: '3' },
    spec: { request: Buffer.from('not really a CSR').toString('base64'), signerName: 'example.com/s', usages: ['client auth'] },
  },
};

/** Answers as the real server would, so kubectl carries on: reviews and tokens get a status. */
function reply(req: RecordedRequest): Json {
  const obj = decodeKubernetesProtobuf(req.body);
  switch (obj.kind) {
    case 'SelfSubjectAccessReview':
      return { ...obj, status: { allowed: true } };
    case 'SelfSubjectRulesReview':
      return { ...obj, status: { resourceRules: [{ verbs: ['get'], apiGroups: [''], resources: ['pods'] }], incomplete: false } };
    case 'SelfSubjectReview':
      return { ...obj, status: { userInfo: { username: 'alice', groups: ['devs'] } } };
    case 'TokenRequest':
      return { ...obj, status: { token: 'the-token', expirationTimestamp: '2030-01-01T00:00:00Z' } };
    default:
      return { ...obj, metadata: { namespace: 'default', ...(obj.metadata as Json) } };
  }
}

/** Drops what Go's JSON prints for unset non-pointer fields: null, {}, [] and an all-zero status. */
function prune(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(prune);
  if (typeof v !== 'object' || v === null) return v;
  const out: Json = {};
  for (const [k, x] of Object.entries(v)) {
    const p = prune(x);
    if (p === null || (typeof p === 'object' && Object.keys(p).length === 0)) continue;
    out[k] = p;
  }
  return out;
}
function withoutZeroStatus(obj: Json): Json {
  const zeroOnly = (v: unknown): boolean => (typeof v === 'object' && v !== null ? Object.values(v).every(zeroOnly) : v === 0 || v === '' || v === false);
  const { status, ...rest } = obj;
  return status === undefined || zeroOnly(status) ? rest : obj;
}

interface Case {
  args: string[];
  /** Compare with `--dry-run=client -o json` (commands that support it). */
  dryRun?: boolean;
  /** Otherwise, the object the body must decode to. */
  expected?: Json;
  stdout?: string | RegExp;
}

const CASES: Case[] = [
  { args: ['create', 'namespace', 'ns1'], dryRun: true },
  { args: ['create', 'deployment', 'web', '--image=nginx:1.25', '--replicas=3', '--port=80'], dryRun: true },
  { args: ['create', 'deployment', 'pair', '--image=nginx', '--image=busybox', '--replicas=0'], dryRun: true },
  { args: ['create', 'configmap', 'c', '--from-literal=a=b', '--from-literal=empty='], dryRun: true },
  { args: ['create', 'configmap', 'bin', '--from-file=blob=@BLOB'], dryRun: true },
  { args: ['create', 'secret', 'generic', 's', '--from-literal=k=v', '--type=Opaque'], dryRun: true },
  { args: ['create', 'secret', 'tls', 'tls1', '--cert=@CERT', '--key=@KEY'], dryRun: true },
  {
    args: ['create', 'secret', 'docker-registry', 'reg', '--docker-server=r.example', '--docker-username=u', '--docker-password=p'],
    dryRun: true,
  },
  { args: ['create', 'service', 'nodeport', 'np', '--tcp=80:8080', '--node-port=30080'], dryRun: true },
  { args: ['create', 'service', 'clusterip', 'cip', '--tcp=443:https'], dryRun: true },
  { args: ['create', 'service', 'clusterip', 'headless', '--clusterip=None'], dryRun: true },
  { args: ['create', 'service', 'loadbalancer', 'lb', '--tcp=80'], dryRun: true },
  { args: ['create', 'service', 'externalname', 'ext', '--external-name=db.example.com'], dryRun: true },
  { args: ['create', 'serviceaccount', 'sa'], dryRun: true },
  { args: ['create', 'job', 'j', '--image=busybox', '--', 'echo', 'hi'], dryRun: true },
  { args: ['create', 'job', 'manual', '--from=cronjob/nightly'], dryRun: true },
  { args: ['create', 'cronjob', 'cj', '--image=busybox', '--schedule=*/5 * * * *', '--restart=OnFailure', '--', 'date'], dryRun: true },
  { args: ['create', 'role', 'r', '--verb=get', '--verb=list', '--resource=pods', '--resource=deployments.apps'], dryRun: true },
  { args: ['create', 'role', 'named', '--verb=get', '--resource=configmaps', '--resource-name=settings'], dryRun: true },
  { args: ['create', 'rolebinding', 'rb', '--role=r', '--user=alice', '--serviceaccount=default:sa'], dryRun: true },
  { args: ['create', 'clusterrole', 'cr', '--verb=get', '--non-resource-url=/healthz', '--non-resource-url=/logs/*'], dryRun: true },
  { args: ['create', 'clusterrole', 'agg', '--aggregation-rule=rbac.example.com/aggregate=true'], dryRun: true },
  { args: ['create', 'clusterrolebinding', 'crb', '--clusterrole=cr', '--group=devs'], dryRun: true },
  { args: ['create', 'ingress', 'ing', '--rule=foo.com/bar*=svc1:8080,tls=my-cert', '--class=nginx', '--annotation=a=b'], dryRun: true },
  { args: ['create', 'ingress', 'named-port', '--default-backend=svc2:http'], dryRun: true },
  { args: ['create', 'quota', 'q', '--hard=cpu=1,memory=1G,pods=2', '--scopes=BestEffort'], dryRun: true },
  {
    args: ['create', 'priorityclass', 'pc', '--value=1000', '--description=high', '--preemption-policy=Never', '--global-default'],
    dryRun: true,
  },
  { args: ['create', 'poddisruptionbudget', 'pdb', '--selector=app=web', '--min-available=0'], dryRun: true },
  { args: ['create', 'poddisruptionbudget', 'half', '--selector=app=web', '--max-unavailable=50%'], dryRun: true },
  { args: ['autoscale', 'deployment', 'web', '--min=2', '--max=5', '--cpu-percent=80'], dryRun: true },
  {
    args: [
      'create',
      'token',
      'sa',
      '--duration=1h',
      '--audience=a',
      '--audience=b',
      '--bound-object-kind=Pod',
      '--bound-object-name=p',
      '--bound-object-uid=123',
    ],
    expected: {
      kind: 'TokenRequest',
      apiVersion: 'authentication.k8s.io/v1',
      spec: {
        audiences: ['a', 'b'],
        expirationSeconds: 3600,
        boundObjectRef: { kind: 'Pod', apiVersion: 'v1', name: 'p', uid: '123' },
      },
    },
    stdout: /^the-token\n?$/,
  },
  {
    args: ['auth', 'can-i', 'create', 'deployments.apps', '--subresource=scale', '-n', 'team'],
    expected: {
      kind: 'SelfSubjectAccessReview',
      apiVersion: 'authorization.k8s.io/v1',
      spec: { resourceAttributes: { namespace: 'team', verb: 'create', group: 'apps', resource: 'deployments', subresource: 'scale' } },
    },
    stdout: 'yes\n',
  },
  {
    args: ['auth', 'can-i', 'get', '/healthz'],
    expected: {
      kind: 'SelfSubjectAccessReview',
      apiVersion: 'authorization.k8s.io/v1',
      spec: { nonResourceAttributes: { path: '/healthz', verb: 'get' } },
    },
    stdout: 'yes\n',
  },
  {
    args: ['auth', 'can-i', '--list'],
    expected: { kind: 'SelfSubjectRulesReview', apiVersion: 'authorization.k8s.io/v1', spec: { namespace: 'default' } },
    stdout: /pods\s+\[\]\s+\[\]\s+\[get\]/,
  },
  {
    args: ['debug', 'node/n1', '--image=busybox', '--profile=sysadmin'],
    expected: {
      kind: 'Pod',
      apiVersion: 'v1',
      metadata: { name: expect.stringMatching(/^node-debugger-n1-\w+$/) },
      spec: {
        volumes: [{ name: 'host-root', hostPath: { path: '/' } }],
        containers: [
          {
            name: 'debugger',
            image: 'busybox',
            volumeMounts: [{ name: 'host-root', mountPath: '/host' }],
            terminationMessagePolicy: 'File',
            securityContext: { privileged: true },
          },
        ],
        restartPolicy: 'Never',
        nodeName: 'n1',
        hostNetwork: true,
        hostPID: true,
        hostIPC: true,
        tolerations: [{ operator: 'Exists' }],
      },
    },
    stdout: /Creating debugging pod node-debugger-n1-/,
  },
  {
    args: ['debug', 'p', '--copy-to=p2', '--image=busybox', '--container=dbg', '--profile=general', '--', 'sh'],
    expected: {
      kind: 'Pod',
      apiVersion: 'v1',
      metadata: { name: 'p2', namespace: 'default' },
      spec: {
        volumes: [{ name: 'v', emptyDir: {} }],
        containers: [
          { name: 'c', image: 'x' },
          {
            name: 'dbg',
            image: 'busybox',
            command: ['sh'],
            terminationMessagePolicy: 'File',
            securityContext: { capabilities: { add: ['SYS_PTRACE'] } },
          },
        ],
        shareProcessNamespace: true,
        securityContext: {},
      },
    },
  },
  {
    args: ['auth', 'whoami', '-o', 'json'],
    expected: { kind: 'SelfSubjectReview', apiVersion: 'authentication.k8s.io/v1' },
    stdout: /"username": "alice"/,
  },
];

describe('protobuf bodies from the stock kubectl', () => {
  let server: RecordingServer;
  let files: string;
  const subst = (args: string[]) => args.map((a) => a.replace(/@(\w+)/, (_, name: string) => join(files, name)));

  beforeAll(async () => {
    files = mkdtempSync(join(tmpdir(), 'protobuf-files-'));
    writeFileSync(join(files, 'BLOB'), Buffer.from([0, 1, 2, 0xfe, 0xff, 0x80]));
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-days',
        '1',
        '-subj',
        '/CN=test',
        '-keyout',
        join(files, 'KEY'),
        '-out',
        join(files, 'CERT'),
      ],
      { stdio: 'ignore' },
    );
    server = await startRecordingServer({ reply, objects: OBJECTS });
  });
  afterAll(async () => {
    await server?.close();
    if (files) rmSync(files, { recursive: true, force: true });
  });

  it.each(CASES.map((c) => [c.args.join(' '), c] as const))('kubectl %s', async (_, c) => {
    const before = server.requests.length;
    const run = await server.kubectl(subst(c.args));
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    if (c.stdout) expect(run.stdout).toMatch(c.stdout);

    const writes = server.requests.slice(before);
    expect(writes.map((w) => w.contentType)).toEqual([PROTOBUF_CONTENT_TYPE]);
    const body = writes[0]!.body;
    const decoded = decodeKubernetesProtobuf(body);
    expect(encodeKubernetesProtobuf(decoded).equals(body)).toBe(true);

    if (c.dryRun) {
      const args = subst(c.args);
      const dash = args.includes('--') ? args.indexOf('--') : args.length;
      const dry = await server.kubectl([...args.slice(0, dash), '--dry-run=client', '-o', 'json', ...args.slice(dash)]);
      expect(dry.code).toBe(0);
      expect(decoded).toEqual(withoutZeroStatus(prune(JSON.parse(dry.stdout)) as Json));
    } else expect(decoded).toEqual(c.expected);
  });

  it('answers PUT bodies too: kubectl certificate approve', async () => {
    const before = server.requests.length;
    const run = await server.kubectl(['certificate', 'approve', 'csr1']);
    expect(run.code).toBe(0);
    const [put] = server.requests.slice(before);
    expect(put).toMatchObject({ method: 'PUT', path: '/apis/certificates.k8s.io/v1/certificatesigningrequests/csr1/approval' });
    const csr = decodeKubernetesProtobuf(put!.body) as { spec: unknown; status: { conditions: Json[] } };
    expect(csr.spec).toEqual(OBJECTS['/apis/certificates.k8s.io/v1/certificatesigningrequests/csr1']!.spec);
    expect(csr.status.conditions).toEqual([
      {
        type: 'Approved',
        status: 'True',
        reason: 'KubectlApprove',
        message: 'This CSR was approved by kubectl certificate approve.',
        lastUpdateTime: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/),
      },
    ]);
    expect(encodeKubernetesProtobuf(csr).equals(put!.body)).toBe(true);
  });
});
