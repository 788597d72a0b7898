/**
 * mkctl's workload verbs side by side with the stock kubectl: logs (from a stand-in
 * kubelet behind the real API server), scale, rollout status|history|undo|restart|
 * pause|resume, and `get pods -o wide`. No controllers run: the tests write the
 * ReplicaSets and the status a controller would.
 */
import { join } from 'node:path';
import { type FakeKubelet, fakeNodeStatus, startFakeKubelet } from '@minik8s/apiserver/testing';
import { eventually } from '@minik8s/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run } from './index.ts';
import { type Harness, startHarness, withoutAges } from './testing/harness.ts';

const POD = (name: string, containers: string[], extra = '') => `apiVersion: v1
kind: Pod
metadata: {name: ${name}${extra}}
spec:
  nodeName: node-1
  containers: [${containers.map((c) => `{name: ${c}, image: busybox}`).join(', ')}]
`;

const DEPLOYMENT = (name: string) => `apiVersion: apps/v1
kind: Deployment
metadata: {name: ${name}}
spec:
  replicas: 3
  selector: {matchLabels: {app: ${name}}}
  template:
    metadata: {labels: {app: ${name}}}
    spec:
      containers:
      - {name: web, image: "nginx:1.25", ports: [{containerPort: 80}]}
`;

const REPLICA_SET = (d: { name: string; uid: string }, revision: number, image: string, cause?: string) => `apiVersion: apps/v1
kind: ReplicaSet
metadata:
  name: ${d.name}-rev${revision}
  labels: {app: ${d.name}, pod-template-hash: h${revision}}
  annotations: {deployment.kubernetes.io/revision: "${revision}"${cause ? `, kubernetes.io/change-cause: "${cause}"` : ''}}
  ownerReferences: [{apiVersion: apps/v1, kind: Deployment, name: ${d.name}, uid: ${d.uid}, controller: true, blockOwnerDeletion: true}]
spec:
  replicas: 0
  selector: {matchLabels: {app: ${d.name}, pod-template-hash: h${revision}}}
  template:
    metadata: {labels: {app: ${d.name}, pod-template-hash: h${revision}}}
    spec:
      containers:
      - {name: web, image: "${image}", ports: [{containerPort: 80}]}
`;

describe('mkctl workload verbs like kubectl', () => {
  let h: Harness;
  let kubelet: FakeKubelet;
  beforeAll(async () => {
    h = await startHarness();
    kubelet = await startFakeKubelet({ pkiDir: join(h.server.dir, 'data', 'pki'), followEveryMs: 100 });
    for (const [key, lines] of [
      ['web-x/a', ['a1', 'a2', 'a3']],
      ['web-x/b', ['b1', 'b2']],
      ['annotated/a', ['from a']],
      ['annotated/b', ['from b']],
      ['single/only', ['hello', 'world']],
      ['logs-1/c', ['one-1', 'one-2']],
      ['logs-2/c', ['two-1']],
    ] as const) {
      kubelet.containers.set(`default/${key}`, { lines: [...lines], followLines: ['more-1', 'more-2'] });
    }
    kubelet.containers.set('default/web-x/w', { error: { code: 400, body: 'container "w" in pod "web-x" is waiting to start: ContainerCreating' } });
    const manifests = [
      'apiVersion: v1\nkind: Node\nmetadata: {name: node-1}\n',
      POD('web-x', ['a', 'b', 'w']),
      POD('annotated', ['a', 'b'], ', annotations: {kubectl.kubernetes.io/default-container: b}'),
      POD('single', ['only']),
      POD('logs-1', ['c'], ', labels: {app: logs}'),
      POD('logs-2', ['c'], ', labels: {app: logs}'),
      'apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: logs}\nspec:\n  selector: {matchLabels: {app: logs}}\n  template:\n    metadata: {labels: {app: logs}}\n    spec: {containers: [{name: c, image: busybox}]}\n',
      DEPLOYMENT('web-a'),
      DEPLOYMENT('web-b'),
    ].join('---\n');
    expect((await h.kubectl(['apply', '-f', '-'], manifests)).stderr).toBe('');
    const status = (kind: string, name: string, s: unknown) =>
      h.kubectl(['patch', kind, name, '--subresource=status', '--type=merge', '-p', JSON.stringify({ status: s })]);
    expect((await status('node', 'node-1', fakeNodeStatus(kubelet.port))).code).toBe(0);
    const ready = { type: 'Ready', status: 'True', lastTransitionTime: '2025-01-01T00:00:00Z' };
    await status('pod', 'logs-2', { phase: 'Running', podIP: '10.244.1.7', conditions: [ready] });
    await status('pod', 'logs-1', { phase: 'Pending' });
    await status('pod', 'single', { phase: 'Running', podIP: '10.244.1.9' });
  });
  afterAll(async () => {
    await kubelet?.close();
    await h?.close();
  });

  const norm = (r: { code: number; stdout: string; stderr: string }, from?: string, to?: string) => {
    const swap = (t: string) => withoutAges(from ? t.replaceAll(from, to!) : t);
    return { code: r.code, stdout: swap(r.stdout), stderr: swap(r.stderr) };
  };
  /** Same exit code, stdout and stderr as kubectl (ages aside). */
  async function same(args: string[]) {
    const [a, b] = await Promise.all([h.mk(args), h.kubectl(args)]);
    expect(norm(a)).toEqual(norm(b));
    return a;
  }
  /** The same command, mkctl on web-a and kubectl on web-b (for commands that change them). */
  async function sameOnEach(args: string[]) {
    const a = await h.mk(args.map((x) => x.replace('NAME', 'web-a')));
    const b = await h.kubectl(args.map((x) => x.replace('NAME', 'web-b')));
    expect({ args, ...norm(a, 'web-a', 'NAME') }).toEqual({ args, ...norm(b, 'web-b', 'NAME') });
    return a;
  }
  const json = async (...args: string[]) => JSON.parse((await h.kubectl([...args, '-o', 'json'])).stdout);
  const setStatus = async (name: string, s: Record<string, unknown>) => {
    const r = await h.kubectl(['patch', 'deploy', name, '--subresource=status', '--type=merge', '-p', JSON.stringify({ status: s })]);
    expect(r.stderr).toBe('');
  };

  it('logs: containers, defaults, --tail, --timestamps, workloads and selectors', async () => {
    expect((await same(['logs', 'single'])).stdout).toBe('hello\nworld\n');
    await same(['logs', 'pod/single', '--tail=1']);
    await same(['logs', 'web-x', '-c', 'b']);
    await same(['logs', 'web-x', 'b']);
    expect((await same(['logs', 'web-x'])).stderr).toBe('Defaulted container "a" out of: a, b, w\n');
    expect((await same(['logs', 'annotated'])).stdout).toBe('from b\n');
    await same(['logs', 'web-x', '-c', 'a', '--timestamps', '--tail=2']);
    await same(['logs', 'single', '--since=10m']);
    await same(['logs', 'single', '--since-time=2025-01-01T00:00:00Z']);
    expect((await same(['logs', 'deploy/logs'])).stderr).toBe('Found 2 pods, using pod/logs-2\n');
    // kubectl 1.32 reads the Pods of a selector concurrently and walks the containers of
    // --all-containers in Go map order: compare the lines as sets.
    for (const args of [
      ['logs', '-l', 'app=logs'],
      ['logs', 'annotated', '--all-containers'],
      ['logs', 'annotated', '--all-containers', '--prefix'],
    ]) {
      const [a, b] = await Promise.all([h.mk(args), h.kubectl(args)]);
      const lines = (t: string) => t.split('\n').sort();
      expect({ ...a, stdout: lines(a.stdout) }).toEqual({ ...b, stdout: lines(b.stdout) });
    }
    expect((await h.mk(['logs', 'annotated', '--all-containers', '--prefix'])).stdout).toBe('[pod/annotated/a] from a\n[pod/annotated/b] from b\n');
  });

  it('logs: errors', async () => {
    expect((await same(['logs', 'nope'])).stderr).toBe('error: error from server (NotFound): pods "nope" not found in namespace "default"\n');
    await same(['logs', 'deploy/nope']);
    await same(['logs', 'web-x', '-c', 'nope']);
    await same(['logs', 'web-x', '-c', 'w']);
    await same(['logs', 'single', '--since=1m', '--since-time=2025-01-01T00:00:00Z']);
    await same(['logs', 'annotated', '-c', 'a', '--all-containers']);
    await same(['logs', 'single', '--tail=-2']);
  });

  it('logs -f streams until interrupted', async () => {
    const ac = new AbortController();
    let out = '';
    const env = { KUBECONFIG: h.server.kubeconfigPath, HOME: h.server.dir };
    const running = run(['logs', '-f', 'single'], {
      env,
      signal: ac.signal,
      stdout: (t) => {
        out += t;
        if (out.includes('more-2')) ac.abort();
      },
    });
    const [mine, theirs] = await Promise.all([running, h.server.kubectl(['logs', '-f', 'single'], { timeoutMs: 1500 })]);
    expect(mine).toMatchObject({ code: 0, stdout: 'hello\nworld\nmore-1\nmore-2\n', stderr: '' });
    expect(theirs.stdout).toBe(mine.stdout);
    const follows = kubelet.requests.filter((r) => r.query.get('follow') === 'true');
    expect(follows).toHaveLength(2);
    await eventually(() => follows.every((r) => r.closed), { message: 'the follow requests to close', timeoutMs: 1000 });
    expect(follows.every((r) => r.closed)).toBe(true);
  });

  it('get pods -o wide shows IP and NODE', async () => {
    const r = await same(['get', 'pods', '-o', 'wide']);
    expect(r.stdout).toMatch(/^NAME +READY +STATUS +RESTARTS +AGE +IP +NODE +NOMINATED NODE +READINESS GATES\n/);
    expect(r.stdout).toMatch(/\nsingle +0\/1 +Running +0 +\S+ +10\.244\.1\.9 +node-1 +<none> +<none>\n/);
  });

  it('scale through the scale subresource, with --current-replicas as a precondition', async () => {
    expect((await sameOnEach(['scale', 'deploy/NAME', '--replicas=5'])).stdout).toBe('deployment.apps/web-a scaled\n');
    expect((await json('get', 'deploy', 'web-a')).spec.replicas).toBe(5);
    await sameOnEach(['scale', 'deploy', 'NAME', '--replicas=2', '--current-replicas=4']);
    await sameOnEach(['scale', 'deploy', 'NAME', '--replicas=3', '--current-replicas=5']);
    expect((await json('get', 'deploy', 'web-a')).spec.replicas).toBe(3);
    await sameOnEach(['scale', 'deploy/NAME', '--replicas=3', '--dry-run=server']);
    await same(['scale', 'deploy/nope', '--replicas=1']);
    // kubectl's flag check is cobra's, logged through klog.
    const [mine, theirs] = await Promise.all([h.mk(['scale', 'deploy/web-a']), h.kubectl(['scale', 'deploy/web-a'])]);
    expect(mine).toEqual({ code: 1, stdout: '', stderr: 'error: required flag(s) "replicas" not set\n' });
    expect(theirs.code).toBe(1);
    expect(theirs.stderr).toContain('required flag(s) \\"replicas\\" not set');
  });

  it("rollout status: kubectl's messages, --watch=false, watching to the end, --timeout", async () => {
    await sameOnEach(['rollout', 'status', 'deploy/NAME', '--watch=false']);
    const steps: Array<Record<string, unknown>> = [
      { observedGeneration: 100, replicas: 3, updatedReplicas: 1, availableReplicas: 1 },
      { observedGeneration: 100, replicas: 4, updatedReplicas: 3, availableReplicas: 3 },
      { observedGeneration: 100, replicas: 3, updatedReplicas: 3, availableReplicas: 1 },
    ];
    for (const s of steps) {
      await setStatus('web-a', s);
      await setStatus('web-b', s);
      await sameOnEach(['rollout', 'status', 'deployment', 'NAME', '--watch=false']);
    }
    const r = await sameOnEach(['rollout', 'status', 'deploy/NAME', '--timeout=1s']);
    expect(r).toMatchObject({ code: 1, stderr: 'error: timed out waiting for the condition\n' });
    // Watching: both print each change until the rollout is done.
    let mine = '';
    let theirs = '';
    const watching = Promise.all([
      h.mk(['rollout', 'status', 'deploy/web-a', '--timeout=15s'], undefined, { onStdout: (t) => (mine += t) }),
      h.kubectl(['rollout', 'status', 'deploy/web-b', '--timeout=15s'], undefined, { onStdout: (t) => (theirs += t) }),
    ]);
    const printed = (n: number) => eventually(() => mine.includes(`${n} of 3`) && theirs.includes(`${n} of 3`), { message: `both to print ${n} of 3` });
    await printed(1);
    await setStatus('web-a', { availableReplicas: 2 });
    await setStatus('web-b', { availableReplicas: 2 });
    await printed(2);
    await setStatus('web-a', { availableReplicas: 3 });
    await setStatus('web-b', { availableReplicas: 3 });
    const [a, b] = await watching;
    expect(norm(a, 'web-a', 'NAME')).toEqual(norm(b, 'web-b', 'NAME'));
    expect(a.stdout).toBe(
      'Waiting for deployment "web-a" rollout to finish: 1 of 3 updated replicas are available...\n' +
        'Waiting for deployment "web-a" rollout to finish: 2 of 3 updated replicas are available...\n' +
        'deployment "web-a" successfully rolled out\n',
    );
    await same(['rollout', 'status', 'deploy/nope']);
  });

  it("rollout history and undo from the Deployment's ReplicaSets", async () => {
    for (const name of ['web-a', 'web-b']) {
      const d = { name, uid: (await json('get', 'deploy', name)).metadata.uid };
      const rs = [REPLICA_SET(d, 1, 'nginx:1.24'), REPLICA_SET(d, 2, 'nginx:1.25', 'kubectl set image deploy web nginx=nginx:1.25')];
      expect((await h.kubectl(['apply', '-f', '-'], rs.join('---\n'))).stderr).toBe('');
    }
    const hist = await sameOnEach(['rollout', 'history', 'deploy/NAME']);
    expect(hist.stdout).toBe('deployment.apps/web-a \nREVISION  CHANGE-CAUSE\n1         <none>\n2         kubectl set image deploy web nginx=nginx:1.25\n\n');
    await sameOnEach(['rollout', 'history', 'deploy/NAME', '--revision=1']);
    await sameOnEach(['rollout', 'history', 'deploy/NAME', '--revision=2']);
    await sameOnEach(['rollout', 'history', 'deploy/NAME', '--revision=7']);
    await sameOnEach(['rollout', 'undo', 'deploy/NAME', '--to-revision=9']);
    expect((await sameOnEach(['rollout', 'undo', 'deploy/NAME'])).stdout).toBe('deployment.apps/web-a rolled back\n');
    const tpl = (await json('get', 'deploy', 'web-a')).spec.template;
    expect(tpl.spec.containers[0].image).toBe('nginx:1.24');
    expect(tpl.metadata.labels).toEqual({ app: 'web-a' });
    expect((await json('get', 'deploy', 'web-b')).spec.template.spec.containers[0].image).toBe('nginx:1.24');
    await sameOnEach(['rollout', 'undo', 'deploy/NAME', '--to-revision=1']);
    await sameOnEach(['rollout', 'undo', 'deploy/NAME', '--to-revision=2']);
  });

  it('rollout pause, resume and restart', async () => {
    for (const args of [
      ['rollout', 'pause', 'deploy/NAME'],
      ['rollout', 'pause', 'deploy/NAME'],
      ['rollout', 'restart', 'deploy/NAME'],
      ['rollout', 'undo', 'deploy/NAME'],
      ['rollout', 'resume', 'deploy/NAME'],
      ['rollout', 'resume', 'deploy/NAME'],
      ['rollout', 'restart', 'deploy/NAME'],
      ['rollout', 'pause', 'cm/NAME'],
    ]) {
      await sameOnEach(args);
    }
    const d = await json('get', 'deploy', 'web-a');
    expect(d.spec.paused).toBeUndefined();
    expect(d.spec.template.metadata.annotations['kubectl.kubernetes.io/restartedAt']).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(Z|[+-]\d\d:\d\d)$/);
  });
});
