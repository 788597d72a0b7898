/**
 * mkctl's read-only commands against a real API server, side by side with the stock
 * kubectl: global flags and errors, get (tables and -o), api-resources, version,
 * config, describe.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, startHarness, withoutAges } from './testing/harness.ts';

const MANIFESTS = `apiVersion: apps/v1
kind: Deployment
metadata: {name: web, labels: {app: web}}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - {name: web, image: "nginx:1.25", ports: [{containerPort: 80}]}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: settings, labels: {tier: back}}
data: {mode: fast}
---
apiVersion: v1
kind: Pod
metadata: {name: p1, labels: {app: p}, annotations: {note: hi}}
spec:
  containers:
  - name: c
    image: busybox
    env: [{name: X, value: "1"}]
    ports: [{containerPort: 8080}]
    volumeMounts: [{name: v, mountPath: /data}]
  volumes: [{name: v, emptyDir: {}}]
---
apiVersion: coordination.k8s.io/v1
kind: Lease
metadata: {name: l1}
spec: {holderIdentity: me}
`;

describe('mkctl reads like kubectl', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
    const r = await h.kubectl(['apply', '-f', '-'], MANIFESTS);
    expect(r.stderr).toBe('');
  });
  afterAll(async () => {
    await h?.close();
  });

  /** Same exit code, stdout and stderr as kubectl (ages aside). */
  async function same(args: string[]) {
    const [a, b] = await Promise.all([h.mk(args), h.kubectl(args)]);
    expect({ code: a.code, stdout: withoutAges(a.stdout), stderr: withoutAges(a.stderr) }).toEqual({
      code: b.code,
      stdout: withoutAges(b.stdout),
      stderr: withoutAges(b.stderr),
    });
    return a;
  }

  it('get tables: namespaces, -o wide, several kinds, -A, names, selectors', async () => {
    const ns = await same(['get', 'ns']);
    expect(ns.stdout).toMatch(/^NAME {14}STATUS {3}AGE\ndefault {11}Active {3}\d/);
    await same(['get', 'deploy', '-o', 'wide']);
    const multi = await same(['get', 'deploy,cm']);
    expect(multi.stdout).toContain('deployment.apps/web');
    expect(multi.stdout).toContain('\n\nNAME');
    await same(['get', 'deploy,cm', '-A']);
    await same(['get', 'pods', 'p1', '-o', 'wide']);
    await same(['get', 'cm', '-l', 'tier=back']);
    await same(['get', 'ns', '--field-selector', 'metadata.name=default']);
    await same(['get', 'cm', '--show-labels']);
    await same(['get', 'deploy/web', 'cm/settings']);
  });

  it('get -o yaml|json|name|jsonpath', async () => {
    await same(['get', 'cm', 'settings', '-o', 'yaml']);
    await same(['get', 'deploy', '-o', 'json']);
    await same(['get', 'deploy,cm', '-o', 'name']);
    await same(['get', 'ns', '-o', 'jsonpath={range .items[*]}{.metadata.name}{"\\n"}{end}']);
    await same(['get', 'svc', 'kubernetes', '-o', 'jsonpath={.spec.clusterIP}']);
    await same(['get', 'pods', '-o', 'jsonpath={.items[*].spec.containers[*].image}']);
  });

  it('prints errors once, like kubectl, with exit code 1', async () => {
    const nf = await same(['get', 'deploy', 'nope']);
    expect(nf.stderr).toBe('Error from server (NotFound): deployments.apps "nope" not found\n');
    const unknown = await same(['get', 'foo']);
    expect(unknown.stderr).toBe('error: the server doesn\'t have a resource type "foo"\n');
    const partial = await same(['get', 'deploy,cm', 'web']);
    expect(partial.code).toBe(1);
    const empty = await same(['get', 'pods', '-n', 'kube-public']);
    expect(empty.stderr).toBe('No resources found in kube-public namespace.\n');
    await same(['get', 'pv']);
    await same(['describe', 'cm', 'nope']);
  });

  it('global flags: --kubeconfig, --context, -n, -v', async () => {
    const env = { HOME: h.server.dir };
    const { run } = await import('./index.ts');
    const r = await run(['--kubeconfig', h.server.kubeconfigPath, 'get', 'cm', '-n', 'default', '-o', 'name'], { env });
    expect(r).toMatchObject({ code: 0, stdout: 'configmap/settings\n' });
    const bad = await run(['--kubeconfig', h.server.kubeconfigPath, '--context', 'nope', 'get', 'ns'], { env });
    expect(bad).toMatchObject({ code: 1, stderr: 'error: context "nope" does not exist\n' });
    const missing = await run(['--kubeconfig', join(h.server.dir, 'missing'), 'get', 'ns'], { env });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/^error: stat .*missing: no such file or directory\n$/);
    const v6 = await h.mk(['get', 'cm', 'settings', '-v=6', '-o', 'name']);
    expect(v6.stdout).toBe('configmap/settings\n');
    expect(v6.stderr).toMatch(/GET https:\/\/127\.0\.0\.1:\d+\/api\/v1\/namespaces\/default\/configmaps\/settings 200 OK in \d+ milliseconds/);
    const nf6 = await h.mk(['get', 'cm', 'nope', '-v', '6']);
    expect(nf6.stderr.trimEnd().split('\n').at(-2)).toBe('Error from server (NotFound): configmaps "nope" not found');
  });

  it('api-resources, version and config commands', async () => {
    await same(['api-resources']);
    await same(['api-resources', '-o', 'wide']);
    await same(['api-resources', '--namespaced=false']);
    await same(['config', 'get-contexts']);
    await same(['config', 'view']);
    await same(['config', 'view', '--minify', '-o', 'json']);
    const v = await h.mk(['version']);
    expect(v.stdout).toMatch(/^Client Version: v\d+\.\d+\.\d+\nServer Version: v1\.32\.0/);
    const json = JSON.parse((await h.mk(['version', '-o', 'json'])).stdout);
    expect(json.serverVersion).toMatchObject({ major: '1', minor: '32' });
  });

  it('config use-context switches the current context in the file', async () => {
    const path = join(h.server.dir, 'two.kubeconfig');
    const { readFileSync } = await import('node:fs');
    const text = readFileSync(h.server.kubeconfigPath, 'utf8').replace(
      /contexts:\n/,
      'contexts:\n  - name: other\n    context: {cluster: minik8s, user: minik8s-admin, namespace: kube-system}\n',
    );
    writeFileSync(path, text);
    const env = { KUBECONFIG: path, HOME: h.server.dir };
    const { run } = await import('./index.ts');
    expect(await run(['config', 'use-context', 'other'], { env })).toMatchObject({ code: 0, stdout: 'Switched to context "other".\n' });
    expect((await run(['config', 'current-context'], { env })).stdout).toBe('other\n');
    expect((await run(['config', 'get-contexts'], { env })).stdout).toBe(
      'CURRENT   NAME      CLUSTER   AUTHINFO        NAMESPACE\n          minik8s   minik8s   minik8s-admin   default\n*         other     minik8s   minik8s-admin   kube-system\n',
    );
    expect((await run(['get', 'cm', 'settings'], { env })).stderr).toBe('Error from server (NotFound): configmaps "settings" not found\n');
    expect(await run(['config', 'use-context', 'nope'], { env })).toMatchObject({ code: 1, stderr: 'error: no context exists with the name: "nope"\n' });
  });

  it('describe pods, deployments, services, configmaps and namespaces as kubectl does', async () => {
    await same(['describe', 'pod', 'p1']);
    await same(['describe', 'deploy', 'web']);
    await same(['describe', 'svc', 'kubernetes']);
    await same(['describe', 'cm', 'settings']);
    await same(['describe', 'ns', 'default']);
    const lease = await h.mk(['describe', 'lease', 'l1']);
    expect(lease.stderr).toBe('');
    expect(lease.stdout).toMatch(
      /^Name: +l1\nNamespace: +default\nCreationTimestamp: .*\nLabels: +<none>\nAnnotations: +<none>\nSpec:\n {2}holderIdentity: me\n/,
    );
    expect(lease.stdout).toMatch(/Events: +<none>\n$/);
  });
});
