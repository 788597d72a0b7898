/**
 * mkctl's writing commands against a real API server, compared with the stock kubectl
 * where the output is deterministic: apply (client- and server-side), create, delete,
 * label/annotate, and `get -w`.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { eventually } from '@minik8s/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run } from './index.ts';
import { type Harness, startHarness } from './testing/harness.ts';

const deployment = (name: string, replicas: number, env: string) => `apiVersion: apps/v1
kind: Deployment
metadata: {name: ${name}, labels: {app: ${name}}}
spec:
  replicas: ${replicas}
  selector: {matchLabels: {app: ${name}}}
  template:
    metadata: {labels: {app: ${name}}}
    spec:
      containers:
      - name: web
        image: nginx:1.25
        env: [${env}]
`;

describe('mkctl writes like kubectl', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(async () => {
    await h?.close();
  });

  const json = async (args: string[]) => JSON.parse((await h.kubectl([...args, '-o', 'json'])).stdout);

  it('apply creates, then reports unchanged, then configures with a three-way patch kubectl agrees with', async () => {
    const v1 = `${deployment('web', 2, '{name: A, value: "1"}, {name: B, value: "2"}')}---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: settings}\ndata: {mode: fast, extra: "1"}\n`;
    expect(await h.mk(['apply', '-f', '-'], v1)).toEqual({ code: 0, stdout: 'deployment.apps/web created\nconfigmap/settings created\n', stderr: '' });
    expect((await h.mk(['apply', '-f', '-'], v1)).stdout).toBe('deployment.apps/web unchanged\nconfigmap/settings unchanged\n');
    // kubectl reads our last-applied annotation and agrees nothing changed.
    expect((await h.kubectl(['apply', '-f', '-'], v1)).stdout).toBe('deployment.apps/web unchanged\nconfigmap/settings unchanged\n');
    // Another writer scales the deployment: apply leaves fields it never set alone.
    await h.kubectl(['label', 'deploy', 'web', 'owner=ops']);
    const v2 = `${deployment('web', 3, '{name: A, value: "1"}')}---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: settings}\ndata: {mode: slow}\n`;
    expect((await h.mk(['apply', '-f', '-'], v2)).stdout).toBe('deployment.apps/web configured\nconfigmap/settings configured\n');
    const d = await json(['get', 'deploy', 'web']);
    expect(d.spec.replicas).toBe(3);
    expect(d.spec.template.spec.containers[0].env).toEqual([{ name: 'A', value: '1' }]);
    expect(d.metadata.labels).toEqual({ app: 'web', owner: 'ops' });
    expect((await json(['get', 'cm', 'settings'])).data).toEqual({ mode: 'slow' });
    expect((await h.kubectl(['apply', '-f', '-'], v2)).stdout).toBe('deployment.apps/web unchanged\nconfigmap/settings unchanged\n');
  });

  it('apply -f DIR (and -R), --dry-run=server, --server-side', async () => {
    const dir = join(h.server.dir, 'manifests');
    mkdirSync(join(dir, 'sub'), { recursive: true });
    writeFileSync(join(dir, 'a.yaml'), 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: dir-a}\ndata: {k: v}\n');
    writeFileSync(join(dir, 'b.json'), JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'dir-b' } }));
    writeFileSync(join(dir, 'notes.txt'), 'not a manifest');
    writeFileSync(join(dir, 'sub', 'c.yaml'), 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: dir-c}\n');
    expect((await h.mk(['apply', '-f', dir, '--dry-run=server'])).stdout).toBe(
      'configmap/dir-a created (server dry run)\nconfigmap/dir-b created (server dry run)\n',
    );
    expect((await h.kubectl(['get', 'cm', 'dir-a'])).code).toBe(1);
    expect((await h.mk(['apply', '-f', dir])).stdout).toBe('configmap/dir-a created\nconfigmap/dir-b created\n');
    expect((await h.mk(['apply', '-R', '-f', dir])).stdout).toBe('configmap/dir-a unchanged\nconfigmap/dir-b unchanged\nconfigmap/dir-c created\n');
    const ssa = 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: ssa, namespace: kube-public}\ndata: {k: v}\n';
    expect(await h.mk(['apply', '--server-side', '-f', '-'], ssa)).toEqual({ code: 0, stdout: 'configmap/ssa serverside-applied\n', stderr: '' });
    expect((await json(['get', 'cm', 'ssa', '-n', 'kube-public'])).data).toEqual({ k: 'v' });
  });

  it('apply reports invalid objects like kubectl, one error per object, exit 1', async () => {
    const bad = `apiVersion: apps/v1
kind: Deployment
metadata: {name: bad}
spec:
  replicas: "x"
  selector: {matchLabels: {app: x}}
  template:
    metadata: {labels: {app: x}}
    spec: {containers: [{name: c, image: i, ports: [{containerPort: "y"}]}]}
`;
    const [a, b] = await Promise.all([h.mk(['apply', '-f', '-'], bad), h.kubectl(['apply', '-f', '-'], bad)]);
    expect(a).toEqual({ code: 1, stdout: '', stderr: b.stderr });
    expect(a.stderr).toMatch(
      /^The Deployment "bad" is invalid: \n\* spec\.replicas: .*\n\* spec\.template\.spec\.containers\[0\]\.ports\[0\]\.containerPort: .*\n$/,
    );
    const noKind = await h.mk(['apply', '-f', '-'], 'apiVersion: v1\nkind: Widget\nmetadata: {name: w}\n');
    expect(noKind).toMatchObject({ code: 1, stderr: 'error: no matches for kind "Widget" in version "v1"\n' });
  });

  it('create generators build the objects kubectl builds', async () => {
    for (const args of [
      ['create', 'deployment', 'gen', '--image=nginx:1.25', '--replicas=2', '--port=80'],
      ['create', 'deployment', 'two', '--image=reg.example/a/nginx:1', '--image=busybox'],
      ['create', 'configmap', 'gen', '--from-literal=a=b', '--from-literal=c=d'],
      ['create', 'secret', 'generic', 'gen', '--from-literal=user=admin'],
      ['create', 'namespace', 'gen'],
    ]) {
      for (const o of ['json', 'yaml']) {
        const [a, b] = await Promise.all([h.mk([...args, '--dry-run=client', '-o', o]), h.kubectl([...args, '--dry-run=client', '-o', o])]);
        expect(a).toEqual(b);
      }
    }
    expect((await h.mk(['create', 'deployment', 'gen', '--image=nginx:1.25', '--replicas=2'])).stdout).toBe('deployment.apps/gen created\n');
    expect((await h.mk(['create', 'cm', 'gen', '--from-literal=a=b'])).stdout).toBe('configmap/gen created\n');
    expect((await h.mk(['create', 'secret', 'generic', 'gen', '--from-literal=a=b'])).stdout).toBe('secret/gen created\n');
    expect((await h.mk(['create', 'ns', 'gen'])).stdout).toBe('namespace/gen created\n');
    expect((await json(['get', 'secret', 'gen'])).data).toEqual({ a: 'Yg==' });
    expect((await json(['get', 'deploy', 'gen'])).spec.template.spec.containers[0].name).toBe('nginx');
    const dup = await h.mk(['create', 'cm', 'gen', '--from-literal=a=b']);
    expect(dup).toEqual({ code: 1, stdout: '', stderr: 'Error from server (AlreadyExists): configmaps "gen" already exists\n' });
    const file = 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: from-file}\n';
    expect((await h.mk(['create', '-f', '-'], file)).stdout).toBe('configmap/from-file created\n');
    expect((await h.mk(['create', '-f', '-'], file)).stderr).toBe(
      'Error from server (AlreadyExists): error when creating "STDIN": configmaps "from-file" already exists\n',
    );
  });

  it('create job and create cronjob build what kubectl builds; --from=cronjob/X makes the Job kubectl makes', async () => {
    for (const args of [
      ['create', 'job', 'once', '--image=busybox', '--', 'sh', '-c', 'echo hi'],
      ['create', 'job', 'bare', '--image=busybox'],
      ['create', 'cronjob', 'tick', '--image=busybox', '--schedule=*/1 * * * *', '--', 'date'],
      ['create', 'cronjob', 'never', '--image=busybox', '--schedule=@hourly', '--restart=Never'],
    ]) {
      for (const o of ['json', 'yaml']) {
        const dash = args.indexOf('--');
        const at = dash < 0 ? args.length : dash;
        const withFlags = [...args.slice(0, at), '--dry-run=client', '-o', o, ...args.slice(at)];
        const [a, b] = await Promise.all([h.mk(withFlags), h.kubectl(withFlags)]);
        expect(a).toEqual(b);
      }
    }
    for (const args of [
      ['create', 'job', 'x'],
      ['create', 'job', 'x', '--image=a', '--from=cronjob/y'],
      ['create', 'cronjob', 'x', '--image=a'],
    ]) {
      const [a, b] = await Promise.all([h.mk(args), h.kubectl(args)]);
      expect(a.code).toBe(1);
      expect(a.stderr).toBe(b.stderr.replace(/^E\d+ .*err="(.*)"\n$/, (_m, e: string) => `error: ${e.replace(/\\"/g, '"')}\n`));
    }
    expect(await h.mk(['create', 'cronjob', 'tick', '--image=busybox', '--schedule=*/1 * * * *', '--', 'date'])).toEqual({
      code: 0,
      stdout: 'cronjob.batch/tick created\n',
      stderr: '',
    });
    expect((await json(['get', 'cronjob', 'tick'])).spec).toMatchObject({ schedule: '*/1 * * * *', concurrencyPolicy: 'Allow', suspend: false });
    expect(await h.mk(['create', 'job', 'once', '--image=busybox', '--', 'sh', '-c', 'echo hi'])).toEqual({
      code: 0,
      stdout: 'job.batch/once created\n',
      stderr: '',
    });
    expect((await json(['get', 'job', 'once'])).spec.template.spec.containers[0].command).toEqual(['sh', '-c', 'echo hi']);
    // kubectl prints the server's template in Go's field order; the content is what must agree.
    const args = ['create', 'job', 'manual', '--from=cronjob/tick', '--dry-run=client', '-o', 'json'];
    const [a, b] = await Promise.all([h.mk(args), h.kubectl(args)]);
    expect(JSON.parse(a.stdout)).toEqual(JSON.parse(b.stdout));
    expect(JSON.parse(a.stdout).metadata).toMatchObject({
      name: 'manual',
      annotations: { 'cronjob.kubernetes.io/instantiate': 'manual' },
      ownerReferences: [{ apiVersion: 'batch/v1', kind: 'CronJob', name: 'tick', controller: true }],
    });
    expect((await h.mk(['create', 'job', 'x', '--from=deploy/tick'])).stderr).toBe('error: from must be an existing cronjob\n');
    for (const args of [
      ['create', 'cronjob', 'bad', '--image=busybox', '--schedule=61 * * * *'],
      ['create', 'cronjob', 'always', '--image=busybox', '--schedule=@daily', '--restart=Always'],
      ['create', 'job', 'once', '--image=busybox'],
      ['create', 'job', 'k', '--from=cronjob/nope'],
    ]) {
      const [a, b] = await Promise.all([h.mk(args), h.kubectl(args)]);
      expect(a).toEqual({ code: 1, stdout: '', stderr: b.stderr });
    }
    expect((await h.mk(['create', 'cronjob', 'bad', '--image=busybox', '--schedule=61 * * * *'])).stderr).toBe(
      'error: failed to create cronjob: CronJob.batch "bad" is invalid: spec.schedule: Invalid value: "61 * * * *": end of range (61) above maximum (59): 61\n',
    );
  });

  it('label and annotate print what kubectl prints', async () => {
    await h.kubectl(['create', 'cm', 'lab1']);
    await h.kubectl(['create', 'cm', 'lab2']);
    const steps: string[][] = [
      ['label', 'cm', 'NAME', 'a=b'],
      ['label', 'cm', 'NAME', 'a=c'],
      ['label', 'cm', 'NAME', 'a=c', '--overwrite'],
      ['label', 'cm', 'NAME', 'a=c'],
      ['label', 'cm', 'NAME', 'a-'],
      ['label', 'cm', 'NAME', 'a-'],
      ['label', 'cm', 'NAME'],
      ['annotate', 'cm', 'NAME', 'note=x'],
      ['annotate', 'cm', 'NAME', 'note=y'],
      ['annotate', 'cm', 'NAME', 'note-'],
      ['label', 'cm', 'missing', 'a=b'],
    ];
    for (const s of steps) {
      const a = await h.mk(s.map((x) => (x === 'NAME' ? 'lab1' : x)));
      const b = await h.kubectl(s.map((x) => (x === 'NAME' ? 'lab2' : x)));
      expect({ args: s, ...a, stdout: a.stdout.replaceAll('lab1', 'NAME') }).toEqual({ args: s, ...b, stdout: b.stdout.replaceAll('lab2', 'NAME') });
    }
    expect((await json(['get', 'cm', 'lab1'])).metadata.labels ?? {}).toEqual({});
  });

  it('delete by name, file, selector and --all, waiting until the objects are gone', async () => {
    await h.kubectl(['create', 'cm', 'del1']);
    await h.kubectl(['create', 'cm', 'del2']);
    await h.kubectl(['create', 'cm', 'sel1']);
    await h.kubectl(['label', 'cm', 'sel1', 'gone=yes']);
    expect(await h.mk(['delete', 'cm', 'del1', 'nope'])).toEqual({
      code: 1,
      stdout: 'configmap "del1" deleted\n',
      stderr: 'Error from server (NotFound): configmaps "nope" not found\n',
    });
    expect((await h.mk(['delete', '-f', '-'], 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: del2}\n')).stdout).toBe('configmap "del2" deleted\n');
    expect((await h.mk(['delete', 'cm', '-l', 'gone=yes'])).stdout).toBe('configmap "sel1" deleted\n');
    const [a, b] = await Promise.all([h.mk(['delete', 'cm', '-l', 'gone=yes']), h.kubectl(['delete', 'cm', '-l', 'gone=yes'])]);
    expect(a).toEqual(b);
    const [x, y] = await Promise.all([h.mk(['delete', 'deploy', 'nope']), h.kubectl(['delete', 'deploy', 'nope'])]);
    expect(x).toEqual(y);
    await h.kubectl(['create', 'ns', 'scratch']);
    await h.kubectl(['create', 'cm', 'c1', '-n', 'scratch']);
    await h.kubectl(['create', 'cm', 'c2', '-n', 'scratch']);
    expect((await h.mk(['delete', 'cm', '--all', '-n', 'scratch'])).stdout).toBe('configmap "c1" deleted\nconfigmap "c2" deleted\n');
    expect((await h.mk(['delete', 'ns/scratch'])).stdout).toBe('namespace "scratch" deleted\n');
    expect((await h.kubectl(['get', 'ns', 'scratch'])).code).toBe(1);
  });

  it('get -w prints rows as changes arrive until interrupted', async () => {
    await h.kubectl(['create', 'ns', 'watched']);
    await h.kubectl(['create', 'cm', 'first', '-n', 'watched']);
    const ac = new AbortController();
    let out = '';
    let seen: () => void = () => {};
    const second = new Promise<void>((r) => {
      seen = r;
    });
    const env = { KUBECONFIG: h.server.kubeconfigPath, HOME: h.server.dir };
    const running = run(['get', 'cm', '-n', 'watched', '-w', '--field-selector', 'metadata.name!=kube-root-ca.crt'], {
      env,
      signal: ac.signal,
      stdout: (t) => {
        out += t;
        if (out.includes('second')) seen();
      },
    });
    // Listed: the watch goes on from the list's resourceVersion.
    await eventually(() => out.includes('first'), { message: 'get -w to list' });
    await h.kubectl(['create', 'cm', 'second', '-n', 'watched', '--from-literal=a=b']);
    await second;
    ac.abort();
    const r = await running;
    expect(r.code).toBe(0);
    // Like kubectl, a wider row widens its column from then on (earlier rows stay put).
    expect(r.stdout).toMatch(/^NAME {4}DATA {3}AGE\nfirst {3}0 {6}\d+s\nsecond {3}1 {6}\d+s\n$/);
  });
});
