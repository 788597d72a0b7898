/** The CLI as a process: --help, serving a real API server's Services, stopping on SIGTERM. */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { Service } from '@minik8s/api';
import { startTestApiServer, type TestApiServer } from '@minik8s/apiserver/testing';
import type { KubeClient } from '@minik8s/client/kube';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type FakeUpstream, queryTcp, queryUdp, rcodeOf, startFakeUpstream } from './internal/test-dns.ts';

const here = dirname(fileURLToPath(import.meta.url));
const run = promisify(execFile);
let api: TestApiServer;
let client: KubeClient;
let upstream: FakeUpstream;
let child: ChildProcess | undefined;

beforeAll(async () => {
  api = await startTestApiServer();
  client = api.client;
  upstream = await startFakeUpstream({ 'example.test': [{ name: 'example.test', type: 'A', ttl: 300, data: '192.0.2.1' }] });
});

afterAll(async () => {
  if (child && child.exitCode === null) {
    const exited = new Promise((r) => child!.once('exit', r));
    child.kill('SIGKILL');
    await exited;
  }
  await upstream?.close();
  await api?.close();
});

it('prints its flags with --help', async () => {
  const { stdout } = await run(process.execPath, ['--import', 'tsx', join(here, 'cli.ts'), '--help'], { cwd: join(here, '..') });
  for (const flag of ['--kubeconfig', '--address', '--port', '--cluster-domain', '--upstream', '--log-level']) expect(stdout).toContain(flag);
});

it('serves the cluster domain and forwards the rest, quietly, until SIGTERM', async () => {
  const svc = await client.create<Service>(
    { version: 'v1', plural: 'services', namespace: 'default' },
    { metadata: { name: 'web' }, spec: { ports: [{ port: 80 }] } },
  );
  const args = [
    '--kubeconfig',
    api.kubeconfigPath,
    '--address',
    '127.0.0.1',
    '--port',
    '0',
    '--cluster-domain',
    'k8s.test',
    '--upstream',
    `127.0.0.1:${upstream.port}`,
    '--log-level',
    'info',
  ];
  child = spawn(process.execPath, ['--import', 'tsx', join(here, 'cli.ts'), ...args], { cwd: join(here, '..'), stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stderr!.on('data', (d) => {
    stderr += d;
  });
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no "serving DNS" log line: ${stdout} ${stderr}`)), 20_000);
    child!.stdout!.on('data', (d) => {
      stdout += d;
      for (const line of stdout.split('\n')) {
        if (!line.includes('serving DNS')) continue;
        clearTimeout(timer);
        resolve(JSON.parse(line).port);
      }
    });
  });
  const log = JSON.parse(stdout.split('\n').find((l) => l.includes('serving DNS'))!);
  expect(log).toMatchObject({ component: 'dns', domain: 'k8s.test', upstreams: [`127.0.0.1:${upstream.port}`] });

  const a = await queryUdp(port, 'web.default.svc.k8s.test', 'A');
  expect(a.answers?.[0]).toMatchObject({ type: 'A', data: svc.spec!.clusterIP });
  expect(rcodeOf(await queryUdp(port, 'web.default.svc.cluster.local', 'A'))).toBe('NXDOMAIN'); // upstream does not know it
  expect((await queryTcp(port, 'example.test', 'A')).answers?.[0]).toMatchObject({ data: '192.0.2.1' });

  const exited = new Promise<number | null>((r) => child!.once('exit', (code) => r(code)));
  child.kill('SIGTERM');
  expect(await exited).toBe(0);
  expect(stderr).toBe('');
});
