/**
 * The proxier against a real in-process API server and real iptables, in a network
 * namespace of the test's own (`ip netns`), with real traffic: busybox httpd endpoints on
 * the namespace's loopback, curl as the client. Needs root, iproute2, curl and busybox.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Service } from '@minik8s/api';
import { startTestApiServer, type TestApiServer } from '@minik8s/apiserver/testing';
import type { KubeClient } from '@minik8s/client/kube';
import { eventually } from '@minik8s/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Iptables } from './iptables.ts';
import { type RunningProxier, startProxier } from './proxier.ts';

const run = promisify(execFile);
const NS = `minik8s-kp-${randomBytes(3).toString('hex')}`;
const inNs = (cmd: string, args: string[]) => run('ip', ['netns', 'exec', NS, cmd, ...args], { timeout: 20_000 });
const NODE_IP = '10.77.0.3';
const ENDPOINTS = ['10.77.0.1', '10.77.0.2'];

let api: TestApiServer;
let client: KubeClient;
let proxier: RunningProxier | undefined;
let webRoot: string;
const servers: ChildProcess[] = [];

const iptables = new Iptables(['ip', 'netns', 'exec', NS]);
const start = async () => {
  proxier = await startProxier({ client, nodeIP: NODE_IP, iptables, minSyncMs: 20 });
  await proxier.synced;
};
/** Waits until the proxier has loaded the rules for everything written so far. */
const settled = async () => {
  const n = proxier!.syncs();
  await new Promise((r) => setTimeout(r, 100));
  await eventually(() => proxier!.syncs() > n, { message: 'a proxier sync', timeoutMs: 5000 });
};

async function service(name: string, spec: NonNullable<Service['spec']>, endpoints = ENDPOINTS): Promise<Service> {
  const svc = await client.create<Service & { metadata: { name: string } }>({ version: 'v1', plural: 'services', namespace: 'default' }, {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name },
    spec,
  } as never);
  await client.create({ group: 'discovery.k8s.io', version: 'v1', plural: 'endpointslices', namespace: 'default' }, {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { name: `${name}-abc`, labels: { 'kubernetes.io/service-name': name } },
    addressType: 'IPv4',
    ports: [{ name: spec.ports?.[0]?.name ?? '', port: 8080, protocol: 'TCP' }],
    endpoints: endpoints.map((ip) => ({ addresses: [ip], conditions: { ready: true } })),
  } as never);
  await settled();
  return svc;
}

/** `n` requests, each on a new connection; the bodies (endpoint names) or curl's exit code. */
async function curl(url: string, n = 1): Promise<{ bodies: string[]; code: number; ms: number }> {
  const t0 = Date.now();
  try {
    const args = ['-s', '-m', '3', '-H', 'Connection: close', '-w', '\\n'];
    for (let i = 0; i < n; i++) args.push(url);
    const r = await inNs('curl', args);
    return { bodies: r.stdout.split('\n').filter(Boolean), code: 0, ms: Date.now() - t0 };
  } catch (e) {
    return { bodies: [], code: (e as { code?: number }).code ?? -1, ms: Date.now() - t0 };
  }
}

beforeAll(async () => {
  await run('ip', ['netns', 'add', NS]);
  await inNs('ip', ['link', 'set', 'lo', 'up']);
  for (const ip of [...ENDPOINTS, NODE_IP]) await inNs('ip', ['addr', 'add', `${ip}/32`, 'dev', 'lo']);
  // The node routes the service range; here it is the loopback.
  await inNs('ip', ['route', 'add', '10.96.0.0/16', 'dev', 'lo', 'src', NODE_IP]);
  webRoot = mkdtempSync(join(tmpdir(), 'minik8s-kp-'));
  ENDPOINTS.forEach((ip, i) => {
    const dir = join(webRoot, String(i));
    mkdirSync(dir);
    writeFileSync(join(dir, 'index.html'), `endpoint-${i + 1}`);
    servers.push(spawn('ip', ['netns', 'exec', NS, 'busybox', 'httpd', '-f', '-p', `${ip}:8080`, '-h', dir], { stdio: 'ignore' }));
  });
  api = await startTestApiServer();
  client = api.client;
  await start();
}, 60_000);

afterAll(async () => {
  await proxier?.stop();
  for (const s of servers) s.kill();
  await run('ip', ['netns', 'del', NS]).catch(() => undefined);
  await api?.close();
  rmSync(webRoot, { recursive: true, force: true });
}, 30_000);

describe('kube-proxy (iptables, in a network namespace)', () => {
  it('balances a ClusterIP over every ready endpoint', async () => {
    const svc = await service('web', { selector: { app: 'web' }, ports: [{ name: 'http', port: 80, targetPort: 8080 }] });
    const r = await curl(`http://${svc.spec?.clusterIP}/`, 30);
    expect(r.bodies).toHaveLength(30);
    expect(new Set(r.bodies)).toEqual(new Set(['endpoint-1', 'endpoint-2']));
  });

  it('serves a NodePort on the node address and a LoadBalancer port on it too', async () => {
    const svc = await service('lb', { type: 'LoadBalancer', selector: { app: 'lb' }, ports: [{ port: 81, targetPort: 8080 }] });
    const nodePort = svc.spec?.ports?.[0]?.nodePort;
    expect(nodePort).toBeGreaterThanOrEqual(30000);
    expect((await curl(`http://${NODE_IP}:${nodePort}/`)).bodies[0]).toMatch(/^endpoint-[12]$/);
    expect((await curl(`http://${NODE_IP}:81/`)).bodies[0]).toMatch(/^endpoint-[12]$/);
  });

  it('keeps a client on one endpoint with sessionAffinity ClientIP', async () => {
    const svc = await service('sticky', { selector: { app: 'sticky' }, sessionAffinity: 'ClientIP', ports: [{ port: 80, targetPort: 8080 }] });
    const r = await curl(`http://${svc.spec?.clusterIP}/`, 20);
    expect(r.bodies).toHaveLength(20);
    expect(new Set(r.bodies).size).toBe(1);
  });

  it('refuses connections at once when no endpoint is ready', async () => {
    const svc = await service('empty', { selector: { app: 'none' }, ports: [{ port: 80, targetPort: 8080 }] }, []);
    const r = await curl(`http://${svc.spec?.clusterIP}/`);
    expect(r.code).toBe(7); // curl: couldn't connect
    expect(r.ms).toBeLessThan(1000);
  });

  it('follows endpoint changes, and removes every rule of a deleted Service', async () => {
    const svc = await client.get<Service>({ version: 'v1', plural: 'services', namespace: 'default', name: 'web' });
    const slices = { group: 'discovery.k8s.io', version: 'v1', plural: 'endpointslices', namespace: 'default' };
    await client.patch(
      { ...slices, name: 'web-abc' },
      {
        endpoints: [
          { addresses: ['10.77.0.2'], conditions: { ready: true } },
          { addresses: ['10.77.0.1'], conditions: { ready: false } },
        ],
      },
      { type: 'merge' },
    );
    await settled();
    expect(new Set((await curl(`http://${svc.spec?.clusterIP}/`, 10)).bodies)).toEqual(new Set(['endpoint-2']));
    const before = await iptables.serviceChains();
    await client.delete({ version: 'v1', plural: 'services', namespace: 'default', name: 'web' });
    await client.delete({ ...slices, name: 'web-abc' });
    await settled();
    const after = await iptables.serviceChains();
    expect(after.size).toBe(before.size - 2); // its KUBE-SVC and one KUBE-SEP
    expect(await iptables.save('nat')).not.toContain('default/web');
  });

  it('a restarted kube-proxy removes what went stale while it was down, and hooks in only once', async () => {
    const sticky = await client.get<Service>({ version: 'v1', plural: 'services', namespace: 'default', name: 'sticky' });
    await proxier!.stop();
    await client.delete({ version: 'v1', plural: 'services', namespace: 'default', name: 'lb' });
    await start();
    const nat = await iptables.save('nat');
    expect(nat).not.toContain('default/lb');
    expect((await curl(`http://${sticky.spec?.clusterIP}/`)).bodies[0]).toMatch(/^endpoint-[12]$/);
    expect(nat.split('\n').filter((l) => l.startsWith('-A PREROUTING') && l.includes('-j KUBE-SERVICES'))).toHaveLength(1);
  });
});
