/**
 * The stock kubectl (v1.32, on the PATH) against a real API server on loopback.
 */
import { eventually } from '@minik8s/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApiServer, type TestApiServer } from './testing/cluster.ts';

const DEPLOYMENT = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels: {app: web}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - name: web
        image: nginx:1.25
        ports: [{containerPort: 80}]
---
apiVersion: v1
kind: ConfigMap
metadata: {name: settings}
data: {mode: fast}
`;

describe('kubectl against the API server', () => {
  let s: TestApiServer;
  beforeAll(async () => {
    s = await startTestApiServer();
  });
  afterAll(async () => {
    await s?.close();
  });

  it('reports the server version and its resources', async () => {
    const v = await s.kubectl(['version', '-o', 'json']);
    expect(v.code).toBe(0);
    expect(JSON.parse(v.stdout).serverVersion).toMatchObject({ major: '1', minor: '32' });
    const r = await s.kubectl(['api-resources', '--no-headers']);
    expect(r.code).toBe(0);
    const lines = r.stdout.split('\n').map((l) => l.trim().split(/\s+/));
    expect(lines).toContainEqual(['deployments', 'deploy', 'apps/v1', 'true', 'Deployment']);
    expect(lines).toContainEqual(['namespaces', 'ns', 'v1', 'false', 'Namespace']);
    expect(lines).toContainEqual(['leases', 'coordination.k8s.io/v1', 'true', 'Lease']);
  });

  it('starts with the system namespaces and the kubernetes Service', async () => {
    const ns = await s.kubectl(['get', 'ns', '-o', 'name']);
    expect(ns.stdout.split('\n').filter(Boolean).sort()).toEqual([
      'namespace/default',
      'namespace/kube-node-lease',
      'namespace/kube-public',
      'namespace/kube-system',
    ]);
    const svc = await s.kubectl(['get', 'svc', 'kubernetes', '-o', 'jsonpath={.spec.clusterIP}']);
    expect(svc.stdout).toBe('10.96.0.1');
  });

  it('applies, updates and deletes manifests, printing what kubectl prints', async () => {
    const created = await s.kubectl(['apply', '-f', '-'], { input: DEPLOYMENT });
    expect(created.stderr).toBe('');
    expect(created.stdout).toBe('deployment.apps/web created\nconfigmap/settings created\n');
    const again = await s.kubectl(['apply', '-f', '-'], { input: DEPLOYMENT });
    expect(again.stdout).toBe('deployment.apps/web unchanged\nconfigmap/settings unchanged\n');
    const scaled = await s.kubectl(['apply', '-f', '-'], { input: DEPLOYMENT.replace('replicas: 2', 'replicas: 3') });
    expect(scaled.stdout).toBe('deployment.apps/web configured\nconfigmap/settings unchanged\n');
    const d = JSON.parse((await s.kubectl(['get', 'deploy', 'web', '-o', 'json'])).stdout);
    expect(d.spec.replicas).toBe(3);
    expect(d.metadata.generation).toBe(2);
    expect(d.metadata.uid).toMatch(/^[0-9a-f-]{36}$/);
    expect(Number(d.metadata.resourceVersion)).toBeGreaterThan(0);

    const table = await s.kubectl(['get', 'deploy']);
    expect(table.stdout.split('\n')[0]!.split(/\s+/)).toEqual(['NAME', 'READY', 'UP-TO-DATE', 'AVAILABLE', 'AGE']);
    expect(table.stdout).toMatch(/^web\s+0\/3\s+0\s+0\s+\d+s$/m);

    // A strategic merge patch changes the image and keeps the ports it did not mention.
    const patched = await s.kubectl(['patch', 'deploy', 'web', '-p', '{"spec":{"template":{"spec":{"containers":[{"name":"web","image":"nginx:1.26"}]}}}}']);
    expect(patched.stdout).toBe('deployment.apps/web patched\n');
    const c = JSON.parse((await s.kubectl(['get', 'deploy', 'web', '-o', 'jsonpath={.spec.template.spec.containers[0]}'])).stdout);
    expect(c).toEqual({
      name: 'web',
      image: 'nginx:1.26',
      ports: [{ containerPort: 80, protocol: 'TCP' }],
      // Upstream's defaults, filled in by the server:
      imagePullPolicy: 'IfNotPresent',
      resources: {},
      terminationMessagePath: '/dev/termination-log',
      terminationMessagePolicy: 'File',
    });
    const spec = JSON.parse((await s.kubectl(['get', 'deploy', 'web', '-o', 'jsonpath={.spec}'])).stdout);
    expect(spec).toMatchObject({
      revisionHistoryLimit: 10,
      progressDeadlineSeconds: 600,
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' } },
    });

    expect((await s.kubectl(['label', 'cm', 'settings', 'tier=backend'])).stdout).toBe('configmap/settings labeled\n');
    const cm = JSON.parse((await s.kubectl(['get', 'cm', 'settings', '-o', 'json'])).stdout);
    expect(cm.metadata.labels).toEqual({ tier: 'backend' });

    const deleted = await s.kubectl(['delete', '-f', '-'], { input: DEPLOYMENT });
    expect(deleted.stdout).toBe('deployment.apps "web" deleted\nconfigmap "settings" deleted\n');
    const gone = await s.kubectl(['get', 'deploy', 'web']);
    expect(gone.code).toBe(1);
    expect(gone.stderr).toBe('Error from server (NotFound): deployments.apps "web" not found\n');
  });

  it('creates objects from kubectl create generators (protobuf bodies)', async () => {
    const run = async (...args: string[]) => {
      const r = await s.kubectl(args);
      expect(r.stderr).toBe('');
      return r.stdout;
    };
    expect(await run('create', 'namespace', 'gen')).toBe('namespace/gen created\n');
    expect(await run('create', 'deployment', 'app', '-n', 'gen', '--image=nginx:1.25', '--replicas=3', '--port=80')).toBe('deployment.apps/app created\n');
    expect(await run('create', 'configmap', 'conf', '-n', 'gen', '--from-literal=a=b')).toBe('configmap/conf created\n');
    expect(await run('create', 'secret', 'generic', 'sec', '-n', 'gen', '--from-literal=k=v')).toBe('secret/sec created\n');
    const d = JSON.parse(await run('get', 'deploy', 'app', '-n', 'gen', '-o', 'json'));
    expect(d.spec.replicas).toBe(3);
    expect(d.spec.template.spec.containers[0]).toMatchObject({ name: 'nginx', image: 'nginx:1.25', ports: [{ containerPort: 80, protocol: 'TCP' }] });
    const secret = JSON.parse(await run('get', 'secret', 'sec', '-n', 'gen', '-o', 'json'));
    expect(Buffer.from(secret.data.k, 'base64').toString()).toBe('v');
    expect(secret.type).toBe('Opaque');
    await run('delete', 'ns', 'gen');
  });

  it('serves OpenAPI: kubectl explain works and apply validates on the server', async () => {
    const explain = await s.kubectl(['explain', 'deployment.spec.replicas']);
    expect(explain.code).toBe(0);
    expect(explain.stdout).toMatch(/FIELD: replicas <integer>/);
    expect(explain.stdout).toMatch(/Number of desired pods/);
    const bogus = DEPLOYMENT.replace('replicas: 2', 'replicas: 2\n  bogus: 1').replace('name: web', 'name: strict');
    const strict = await s.kubectl(['apply', '-f', '-'], { input: bogus });
    expect(strict.code).toBe(1);
    expect(strict.stderr).toContain('Deployment in version "v1" cannot be handled as a Deployment: strict decoding error: unknown field "spec.bogus"');
    expect((await s.kubectl(['get', 'deploy', 'strict'])).code).toBe(1);
    const warned = await s.kubectl(['apply', '--validate=warn', '-f', '-'], { input: bogus });
    expect(warned.stderr).toContain('Warning: unknown field "spec.bogus"');
    const stored = JSON.parse((await s.kubectl(['get', 'deploy', 'strict', '-o', 'json'])).stdout);
    expect(stored.spec.bogus).toBeUndefined();
    const wrongType = await s.kubectl(['apply', '-f', '-'], { input: bogus.replace('  bogus: 1\n', '').replace('replicas: 2', 'replicas: "two"') });
    expect(wrongType.stderr).toContain('spec.replicas: Invalid value: "string": spec.replicas in body must be of type integer');
    await s.kubectl(['delete', 'deploy', 'strict']);
  });

  it('applies on the server side, with field ownership and conflicts', async () => {
    const cm = 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: ssa}\ndata: {a: "1", b: "1"}\n';
    const first = await s.kubectl(['apply', '--server-side', '-f', '-'], { input: cm });
    expect(first.stdout).toBe('configmap/ssa serverside-applied\n');
    const get = async () => JSON.parse((await s.kubectl(['get', 'cm', 'ssa', '-o', 'json', '--show-managed-fields'])).stdout);
    const created = await get();
    expect(created.metadata.managedFields).toEqual([
      expect.objectContaining({
        manager: 'kubectl',
        operation: 'Apply',
        apiVersion: 'v1',
        fieldsType: 'FieldsV1',
        fieldsV1: { 'f:data': { 'f:a': {}, 'f:b': {} } },
      }),
    ]);
    // Dropping a field from the applied configuration removes it.
    await s.kubectl(['apply', '--server-side', '-f', '-'], { input: cm.replace(', b: "1"', '') });
    expect((await get()).data).toEqual({ a: '1' });
    // Another manager changes a field kubectl owns: the next apply conflicts...
    expect((await s.kubectl(['patch', 'cm', 'ssa', '--type=merge', '-p', '{"data":{"a":"other"}}', '--field-manager=someone'])).code).toBe(0);
    const conflict = await s.kubectl(['apply', '--server-side', '-f', '-'], { input: cm.replace(', b: "1"', '').replace('a: "1"', 'a: "2"') });
    expect(conflict.code).toBe(1);
    expect(conflict.stderr).toContain('Apply failed with 1 conflict: conflict with "someone" using v1: .data.a');
    // ...until it is forced, which takes the field over.
    const forced = await s.kubectl(['apply', '--server-side', '--force-conflicts', '-f', '-'], {
      input: cm.replace(', b: "1"', '').replace('a: "1"', 'a: "2"'),
    });
    expect(forced.code).toBe(0);
    const after = await get();
    expect(after.data).toEqual({ a: '2' });
    expect(after.metadata.managedFields.map((m: { manager: string }) => m.manager)).toEqual(['kubectl']);
  });

  it('scales through the scale subresource', async () => {
    expect((await s.kubectl(['create', 'deployment', 'sc', '--image=nginx:1.25', '--replicas=2'])).code).toBe(0);
    expect((await s.kubectl(['scale', 'deploy', 'sc', '--replicas=5'])).stdout).toBe('deployment.apps/sc scaled\n');
    const d = JSON.parse((await s.kubectl(['get', 'deploy', 'sc', '-o', 'json'])).stdout);
    expect(d.spec.replicas).toBe(5);
    expect(d.metadata.generation).toBe(2);
    const scale = JSON.parse((await s.kubectl(['get', '--raw', '/apis/apps/v1/namespaces/default/deployments/sc/scale'])).stdout);
    expect(scale).toMatchObject({ kind: 'Scale', apiVersion: 'autoscaling/v1', spec: { replicas: 5 }, status: { selector: 'app=sc' } });
    const bad = await s.kubectl(['scale', 'deploy', 'sc', '--replicas=-1']);
    expect(bad.code).not.toBe(0);
    await s.kubectl(['delete', 'deploy', 'sc']);
  });

  it('streams changes to kubectl get -w', async () => {
    let logged = '';
    // -v=6 logs each request once answered: the watch's, once it is open.
    const watching = s.kubectl(['get', 'configmaps', '-w', '--output-watch-events', '-v=6'], { timeoutMs: 4000, onStderr: (t) => (logged += t) });
    await eventually(() => /[?&]watch=true\S* 200 OK/.test(logged), { message: 'kubectl get -w to open its watch' });
    const cm = '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"watched"},"data":{"a":"1"}}';
    await s.kubectl(['create', '-f', '-'], { input: cm });
    await s.kubectl(['delete', 'cm', 'watched']);
    const out = (await watching).stdout;
    expect(out).toMatch(/^ADDED\s+watched\s+1\s+/m);
    expect(out).toMatch(/^DELETED\s+watched\s+1\s+/m);
  });

  it('deletes a namespace with everything in it, and keeps the system ones', async () => {
    const manifest = `apiVersion: v1
kind: Namespace
metadata: {name: scratch}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: inside, namespace: scratch}
`;
    expect((await s.kubectl(['apply', '-f', '-'], { input: manifest })).code).toBe(0);
    const del = await s.kubectl(['delete', 'ns', 'scratch', '--timeout=15s']);
    expect(del.stdout).toBe('namespace "scratch" deleted\n');
    expect((await s.kubectl(['get', 'ns', 'scratch'])).stderr).toBe('Error from server (NotFound): namespaces "scratch" not found\n');
    expect((await s.kubectl(['get', 'cm', '-n', 'scratch', '-o', 'name'])).stdout).toBe('');
    const system = await s.kubectl(['delete', 'ns', 'default']);
    expect(system.code).toBe(1);
    expect(system.stderr).toBe('Error from server (Forbidden): namespaces "default" is forbidden: this namespace may not be deleted\n');
  });

  it('filters by label and field selectors, and explains bad ones', async () => {
    const cms = ['a', 'b', 'c']
      .map((n, i) => `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"sel-${n}","labels":{"tier":"${i < 2 ? 'web' : 'db'}","n":"${i}"}}}`)
      .join('\n');
    expect((await s.kubectl(['create', '-f', '-'], { input: cms })).code).toBe(0);
    const names = async (...args: string[]) => (await s.kubectl(['get', 'cm', '-o', 'name', ...args])).stdout.split('\n').filter(Boolean);
    expect(await names('-l', 'tier=web')).toEqual(['configmap/sel-a', 'configmap/sel-b']);
    expect(await names('-l', 'tier in (db),n!=1')).toEqual(['configmap/sel-c']);
    expect(await names('-l', '!tier')).not.toContain('configmap/sel-a');
    expect(await names('--field-selector', 'metadata.name=sel-b')).toEqual(['configmap/sel-b']);
    const bad = await s.kubectl(['get', 'cm', '--field-selector', 'spec.nope=1']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toBe(
      'Error from server (BadRequest): Unable to find "/v1, Resource=configmaps" that match label selector "", field selector "spec.nope=1": "spec.nope" is not a known field selector: only "metadata.name", "metadata.namespace"\n',
    );
    let printed = '';
    const single = s.kubectl(['get', 'cm', 'sel-a', '-w', '-o', 'name'], { timeoutMs: 2500, onStdout: (t) => (printed += t) });
    // Listed: the watch goes on from the list's resourceVersion.
    await eventually(() => printed === 'configmap/sel-a\n', { message: 'kubectl get -w to list' });
    await s.kubectl(['label', 'cm', 'sel-b', 'touched=yes']);
    await s.kubectl(['label', 'cm', 'sel-a', 'touched=yes']);
    expect((await single).stdout.split('\n').filter(Boolean)).toEqual(['configmap/sel-a', 'configmap/sel-a']);
  });

  it('refuses objects in a namespace that does not exist', async () => {
    const r = await s.kubectl(['create', '-n', 'nowhere', '-f', '-'], {
      input: '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"x"}}',
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('Error from server (NotFound): error when creating "STDIN": namespaces "nowhere" not found\n');
  });
});
