/**
 * The main resource and its status subresource each write their own half, as upstream's
 * PrepareForUpdate: a write of the main resource keeps the stored status (and does not
 * check it), a write of /status keeps the stored spec (and checks only the status).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApiServer, type TestApiServer } from './testing/cluster.ts';

describe('status subresource', () => {
  let s: TestApiServer;
  beforeAll(async () => {
    s = await startTestApiServer();
  });
  afterAll(async () => {
    await s?.close();
  });
  const json = async (...args: string[]) => JSON.parse((await s.kubectl([...args, '-o', 'json'])).stdout);
  const put = (path: string, body: unknown) => s.kubectl(['replace', '--raw', path, '-f', '-'], { input: JSON.stringify(body) });

  it('scales a StatefulSet and changes its image before any controller wrote its status', async () => {
    const sts = `apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db}
spec:
  selector: {matchLabels: {app: db}}
  serviceName: db
  template:
    metadata: {labels: {app: db}}
    spec: {containers: [{name: c, image: busybox:1.36}]}
`;
    expect(await s.kubectl(['apply', '-f', '-'], { input: sts })).toMatchObject({ code: 0, stdout: 'statefulset.apps/db created\n' });
    expect(await s.kubectl(['scale', 'sts/db', '--replicas=3'])).toMatchObject({ code: 0, stdout: 'statefulset.apps/db scaled\n' });
    expect(await s.kubectl(['set', 'image', 'sts/db', 'c=busybox:1.37'])).toMatchObject({ code: 0, stdout: 'statefulset.apps/db image updated\n' });
    const got = await json('get', 'sts', 'db');
    expect(got.spec.replicas).toBe(3);
    expect(got.spec.template.spec.containers[0].image).toBe('busybox:1.37');
    expect(got.metadata.generation).toBe(3);
    expect(got.status).toEqual({});

    // /status checks the status: a StatefulSetStatus needs replicas.
    const bad = await put('/apis/apps/v1/namespaces/default/statefulsets/db/status', { ...got, status: { readyReplicas: 1 } });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('status.replicas: Required value');
  });

  const kinds = [
    {
      kind: 'Deployment',
      path: '/apis/apps/v1/namespaces/default/deployments/web',
      manifest: `apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: c, image: busybox:1.36}]}
`,
      // biome-ignore lint/suspicious/noExplicitAny: the test edits loosely typed objects
      editSpec: (o: any) => {
        o.spec.replicas = 4;
      },
      status: { replicas: 2, observedGeneration: 1 },
    },
    {
      kind: 'Pod',
      path: '/api/v1/namespaces/default/pods/p',
      manifest: `apiVersion: v1
kind: Pod
metadata: {name: p}
spec: {containers: [{name: c, image: busybox:1.36}]}
`,
      // biome-ignore lint/suspicious/noExplicitAny: the test edits loosely typed objects
      editSpec: (o: any) => {
        o.spec.containers[0].image = 'busybox:1.37';
      },
      status: { phase: 'Running', podIP: '10.244.0.9' },
    },
  ];

  it.each(kinds)('$kind: a PUT of the main resource cannot change status, a PUT of /status cannot change spec', async (k) => {
    expect((await s.kubectl(['apply', '-f', '-'], { input: k.manifest })).code).toBe(0);
    const created = JSON.parse((await s.kubectl(['get', '--raw', k.path])).stdout);

    const main = structuredClone(created);
    k.editSpec(main);
    main.status = k.status;
    expect((await put(k.path, main)).code).toBe(0);
    const afterMain = JSON.parse((await s.kubectl(['get', '--raw', k.path])).stdout);
    k.editSpec(created);
    expect(afterMain.spec).toEqual(created.spec);
    expect(afterMain.status).toEqual(created.status);

    const status = structuredClone(afterMain);
    status.spec = { ...status.spec, containers: undefined, template: undefined, replicas: 9 };
    status.status = k.status;
    const res = await put(`${k.path}/status`, status);
    expect(res).toMatchObject({ code: 0, stderr: '' });
    const afterStatus = JSON.parse((await s.kubectl(['get', '--raw', k.path])).stdout);
    expect(afterStatus.spec).toEqual(afterMain.spec);
    expect(afterStatus.status).toEqual(k.status);

    // The status subresource gets, updates and patches; it does not delete the object.
    const del = await s.kubectl(['delete', '--raw', `${k.path}/status`]);
    expect(del.code).toBe(1);
    expect(del.stderr).toContain('MethodNotAllowed');
    expect((await s.kubectl(['get', '--raw', k.path])).code).toBe(0);
  });
});
