/**
 * `pods/log` through the stock kubectl: the API server finds the Pod's node and streams
 * from a stand-in kubelet over HTTPS (mutual TLS with the cluster CA), with upstream's
 * errors for missing or ambiguous containers and the kubelet's own messages.
 */
import { join } from 'node:path';
import { eventually } from '@minik8s/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApiServer, type TestApiServer } from './testing/cluster.ts';
import { FAKE_TIMESTAMP, type FakeKubelet, fakeNodeStatus, startFakeKubelet } from './testing/fake-kubelet.ts';

const PODS = `apiVersion: v1
kind: Node
metadata: {name: node-1}
---
apiVersion: v1
kind: Node
metadata: {name: node-gone}
---
apiVersion: v1
kind: Pod
metadata: {name: web-x}
spec:
  nodeName: node-1
  containers: [{name: a, image: busybox}, {name: b, image: busybox}, {name: w, image: busybox}]
---
apiVersion: v1
kind: Pod
metadata: {name: single}
spec:
  nodeName: node-1
  containers: [{name: only, image: busybox}]
---
apiVersion: v1
kind: Pod
metadata: {name: pending}
spec:
  containers: [{name: c, image: busybox}]
---
apiVersion: v1
kind: Pod
metadata: {name: elsewhere}
spec:
  nodeName: node-gone
  containers: [{name: c, image: busybox}]
`;

describe('pods/log', () => {
  let s: TestApiServer;
  let kubelet: FakeKubelet;
  const raw = (path: string) => s.kubectl(['get', '--raw', path]);

  beforeAll(async () => {
    s = await startTestApiServer();
    kubelet = await startFakeKubelet({ pkiDir: join(s.dir, 'data', 'pki'), followEveryMs: 150 });
    kubelet.containers.set('default/web-x/a', { lines: ['a1', 'a2', 'a3'], followLines: ['a4', 'a5'] });
    kubelet.containers.set('default/web-x/b', { lines: ['b1'] });
    kubelet.containers.set('default/web-x/w', { error: { code: 400, body: 'container "w" in pod "web-x" is waiting to start: ContainerCreating' } });
    kubelet.containers.set('default/single/only', { lines: ['hello'] });
    expect((await s.kubectl(['apply', '-f', '-'], { input: PODS })).stderr).toBe('');
    const patch = (node: string, status: unknown) =>
      s.kubectl(['patch', 'node', node, '--subresource=status', '--type=merge', '-p', JSON.stringify({ status })]);
    expect((await patch('node-1', fakeNodeStatus(kubelet.port))).code).toBe(0);
    // A node whose kubelet is not listening.
    expect(
      (await patch('node-gone', { addresses: [{ type: 'InternalIP', address: '127.0.0.1' }], daemonEndpoints: { kubeletEndpoint: { Port: 1 } } })).code,
    ).toBe(0);
  });
  afterAll(async () => {
    await kubelet?.close();
    await s?.close();
  });

  it("kubectl logs streams the container log from the kubelet of the Pod's node", async () => {
    expect(await s.kubectl(['logs', 'single'])).toEqual({ code: 0, stdout: 'hello\n', stderr: '' });
    expect(await s.kubectl(['logs', 'web-x', '-c', 'a'])).toEqual({ code: 0, stdout: 'a1\na2\na3\n', stderr: '' });
    expect((await s.kubectl(['logs', 'web-x', '-c', 'a', '--tail=1'])).stdout).toBe('a3\n');
    expect((await s.kubectl(['logs', 'web-x', '-c', 'a', '--tail=2', '--timestamps'])).stdout).toBe(`${FAKE_TIMESTAMP} a2\n${FAKE_TIMESTAMP} a3\n`);
    const last = kubelet.requests.at(-1)!;
    expect(last.path).toBe('/containerLogs/default/web-x/a');
    expect(Object.fromEntries(last.query)).toEqual({ tailLines: '2', timestamps: 'true' });
    // The API server presents its kubelet-client certificate.
    expect(last.clientCn).toBe('kube-apiserver-kubelet-client');
    // kubectl picks the first container itself and says so.
    expect(await s.kubectl(['logs', 'web-x'])).toEqual({ code: 0, stdout: 'a1\na2\na3\n', stderr: 'Defaulted container "a" out of: a, b, w\n' });
    await s.kubectl(['logs', 'web-x', '-c', 'a', '--since=1h', '--limit-bytes=100', '-p']);
    expect(Object.fromEntries(kubelet.requests.at(-1)!.query)).toEqual({ sinceSeconds: '3600', limitBytes: '100', previous: 'true' });
  });

  it("errors as upstream: not found, ambiguous or unknown container, the kubelet's message, no kubelet", async () => {
    // kubectl's own wording for a missing Pod (it reads the Pod first).
    expect(await s.kubectl(['logs', 'nope'])).toMatchObject({
      code: 1,
      stderr: 'error: error from server (NotFound): pods "nope" not found in namespace "default"\n',
    });
    expect((await raw('/api/v1/namespaces/default/pods/nope/log')).stderr).toBe('Error from server (NotFound): pods "nope" not found\n');
    expect(await raw('/api/v1/namespaces/default/pods/web-x/log')).toMatchObject({
      code: 1,
      stderr: 'Error from server (BadRequest): a container name must be specified for pod web-x, choose one of: [a b w]\n',
    });
    expect((await raw('/api/v1/namespaces/default/pods/web-x/log?container=nope')).stderr).toBe(
      'Error from server (BadRequest): container nope is not valid for pod web-x\n',
    );
    expect(await s.kubectl(['logs', 'web-x', '-c', 'w'])).toMatchObject({
      code: 1,
      stderr: 'Error from server (BadRequest): container "w" in pod "web-x" is waiting to start: ContainerCreating\n',
    });
    expect((await raw('/api/v1/namespaces/default/pods/single/log?tailLines=-1')).stderr).toBe(
      'The PodLogOptions "single" is invalid: tailLines: Invalid value: -1: must be greater than or equal to 0\n',
    );
    // Not scheduled yet: no logs, no error.
    expect(await s.kubectl(['logs', 'pending'])).toEqual({ code: 0, stdout: '', stderr: '' });
    const refused = await s.kubectl(['logs', 'elsewhere']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toBe(
      'Error from server: Get "https://127.0.0.1:1/containerLogs/default/elsewhere/c": dial tcp 127.0.0.1:1: connect: connection refused\n',
    );
  });

  it('kubectl logs -f follows until the client goes away, which ends the kubelet request', async () => {
    const before = kubelet.requests.length;
    const r = await s.kubectl(['logs', '-f', 'web-x', '-c', 'a'], { timeoutMs: 1500 });
    // Killed by the timeout, having printed what the kubelet wrote so far.
    expect(r.stdout).toBe('a1\na2\na3\na4\na5\n');
    const req = kubelet.requests.slice(before).find((x) => x.query.get('follow') === 'true')!;
    expect(req).toBeDefined();
    await eventually(() => req.closed, { message: 'the follow request to close', timeoutMs: 1000 });
    expect(req.closed).toBe(true);
  });

  it('discovery lists pods/log', async () => {
    const list = JSON.parse((await raw('/api/v1')).stdout);
    expect(list.resources.find((x: { name: string }) => x.name === 'pods/log')).toMatchObject({ kind: 'Pod', verbs: ['get'] });
  });
});

describe('pods/log over plain HTTP (--kubelet-insecure-plain-http)', () => {
  it('reaches a kubelet that serves HTTP, by the preferred address type', async () => {
    const s = await startTestApiServer({ kubelet: { scheme: 'http', preferredAddressTypes: ['Hostname', 'InternalIP'] } });
    const kubelet = await startFakeKubelet();
    try {
      kubelet.containers.set('default/p/c', { lines: ['plain'] });
      const pod = 'apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: {nodeName: node-p, containers: [{name: c, image: busybox}]}\n';
      expect((await s.kubectl(['apply', '-f', '-'], { input: `apiVersion: v1\nkind: Node\nmetadata: {name: node-p}\n---\n${pod}` })).stderr).toBe('');
      const status = {
        addresses: [
          { type: 'InternalIP', address: '127.0.0.2' },
          { type: 'Hostname', address: '127.0.0.1' },
        ],
        daemonEndpoints: { kubeletEndpoint: { Port: kubelet.port } },
      };
      await s.kubectl(['patch', 'node', 'node-p', '--subresource=status', '--type=merge', '-p', JSON.stringify({ status })]);
      expect(await s.kubectl(['logs', 'p'])).toEqual({ code: 0, stdout: 'plain\n', stderr: '' });
      expect(kubelet.requests[0]!.clientCn).toBeUndefined();
    } finally {
      await kubelet.close();
      await s.close();
    }
  });
});
