/** The CLI as a process: flags, routing through it, JSON access log lines, SIGTERM. */
import { type ChildProcess, spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startTestApiServer, type TestApiServer } from '@minik8s/apiserver/testing';
import type { KubeClient } from '@minik8s/client/kube';
import { eventually } from '@minik8s/testing';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ENDPOINT_SLICES, INGRESSES, SERVICES } from './controller.ts';
import { closedPort, send, startBackend, type TestBackend } from './testing/backends.ts';
import { makeIngress, makeService, makeSlice } from './testing/fixtures.ts';

const here = dirname(fileURLToPath(import.meta.url));
let api: TestApiServer;
let client: KubeClient;
let backend: TestBackend;
let child: ChildProcess | undefined;

beforeAll(async () => {
  api = await startTestApiServer();
  client = api.client;
  backend = await startBackend('cli-backend');
});

afterAll(async () => {
  if (child && child.exitCode === null) {
    const exited = new Promise((r) => child!.once('exit', r));
    child.kill('SIGKILL');
    await exited;
  }
  await backend?.close();
  await api?.close();
});

it('serves Ingresses, logs each request as a JSON line, and stops on SIGTERM', async () => {
  const ns = 'default';
  await client.create({ ...SERVICES, namespace: ns }, makeService('web', [{ name: 'http', port: 80, targetPort: 'http' }]));
  await client.create({ ...ENDPOINT_SLICES, namespace: ns }, makeSlice('web', { name: 'http', port: backend.port }, ['127.0.0.1']));
  await client.create({ ...INGRESSES, namespace: ns }, makeIngress('web').className('mine').rule('cli.test', ['/', 'Prefix', 'web', 80]).obj());

  const httpPort = await closedPort();
  const httpsPort = await closedPort();
  const args = ['--kubeconfig', api.kubeconfigPath, '--http-port', String(httpPort), '--https-port', String(httpsPort), '--bind-address', '127.0.0.1'];
  args.push('--ingress-class', 'mine', '--publish-address', '127.0.0.1', '--access-log', '--shutdown-grace-period', '2s');
  let stdout = '';
  let stderr = '';
  child = spawn(process.execPath, ['--import', 'tsx', join(here, 'cli.ts'), ...args], { cwd: join(here, '..'), stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout!.on('data', (d) => {
    stdout += d;
  });
  child.stderr!.on('data', (d) => {
    stderr += d;
  });
  const r = await eventually(
    async () => {
      const a = await send(httpPort, '/hello?x=1', { host: 'cli.test' });
      return a.status === 200 ? a : undefined;
    },
    { message: 'the ingress', timeoutMs: 20_000, intervalMs: 100 },
  );
  expect(r.echo).toMatchObject({ name: 'cli-backend', url: '/hello?x=1' });
  expect((await send(httpsPort, '/', { host: 'cli.test', https: true })).status).toBe(200);
  await eventually(() => stdout.includes('/hello?x=1'), { message: 'the access log', timeoutMs: 5000 });
  const line = JSON.parse(stdout.split('\n').find((l) => l.includes('/hello?x=1'))!);
  expect(line).toMatchObject({ level: 30, host: 'cli.test', method: 'GET', path: '/hello?x=1', status: 200, upstream_addr: `127.0.0.1:${backend.port}` });

  const exited = new Promise<number | null>((resolve) => child!.once('exit', (code) => resolve(code)));
  child.kill('SIGTERM');
  expect(await exited).toBe(0);
  expect(stderr).toBe('');
});

it('refuses a bad flag with a message', async () => {
  const p = spawn(process.execPath, ['--import', 'tsx', join(here, 'cli.ts'), '--http-port', 'eighty'], {
    cwd: join(here, '..'),
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let err = '';
  p.stderr!.on('data', (d) => {
    err += d;
  });
  const code = await new Promise<number | null>((r) => p.once('exit', r));
  expect(code).toBe(1);
  expect(err).toMatch(/minik8s-ingress: .*--http-port: "eighty" is not a port/);
});
