/** The CLI as a process: leader election on kube-system/kube-scheduler, then scheduling. */
import { type ChildProcess, spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Pod } from '@minik8s/api';
import { startTestApiServer, type TestApiServer } from '@minik8s/apiserver/testing';
import type { KubeClient, Lease } from '@minik8s/client/kube';
import { eventually } from '@minik8s/testing';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { makeNode, makePod } from './testing/fixtures.ts';

const here = dirname(fileURLToPath(import.meta.url));
let server: TestApiServer;
let client: KubeClient;
let child: ChildProcess | undefined;

beforeAll(async () => {
  server = await startTestApiServer();
  client = server.client;
});

afterAll(async () => {
  if (child && child.exitCode === null) {
    const exited = new Promise((r) => child!.once('exit', r));
    child.kill('SIGTERM');
    await exited;
  }
  await server?.close();
});

it('takes the kube-scheduler Lease and binds Pods', async () => {
  const node = makeNode().name('node-1').obj();
  const created = await client.create({ version: 'v1', plural: 'nodes' }, { ...node, status: undefined });
  await client.updateStatus({ version: 'v1', plural: 'nodes', name: 'node-1' }, { ...created, status: node.status });
  const { status: _s, ...pod } = makePod().name('cli-pod').obj();
  await client.create({ version: 'v1', plural: 'pods', namespace: 'default' }, { ...pod, metadata: { name: 'cli-pod', namespace: 'default' } } as Pod);

  let stderr = '';
  child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      join(here, 'cli.ts'),
      '--kubeconfig',
      server.kubeconfigPath,
      '--leader-elect-retry-period',
      '500ms',
      '--leader-elect-renew-deadline',
      '2s',
      '--leader-elect-lease-duration',
      '3s',
    ],
    {
      cwd: join(here, '..'),
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  child.stderr!.on('data', (d) => {
    stderr += d;
  });
  const lease = await eventually(
    () => client.get<Lease>({ group: 'coordination.k8s.io', version: 'v1', plural: 'leases', namespace: 'kube-system', name: 'kube-scheduler' }),
    { message: 'the Lease' },
  );
  expect(lease.spec?.holderIdentity).toMatch(/_/);
  const bound = await eventually(async () => (await client.get<Pod>({ version: 'v1', plural: 'pods', namespace: 'default', name: 'cli-pod' })).spec?.nodeName, {
    message: 'cli-pod bound',
  });
  expect(bound).toBe('node-1');
  expect(stderr).toBe('');
});
