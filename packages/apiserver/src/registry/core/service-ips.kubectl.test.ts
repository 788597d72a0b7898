import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApiServer, type TestApiServer } from '../../testing/cluster.ts';

const svc = (name: string, extra = '') => `apiVersion: v1
kind: Service
metadata: {name: ${name}}
spec:
  selector: {app: ${name}}
  ports: [{port: 80}]
${extra}`;

describe('Service IP and node port allocation', () => {
  let s: TestApiServer;
  beforeAll(async () => {
    s = await startTestApiServer();
  });
  afterAll(async () => {
    await s?.close();
  });

  const get = async (name: string) => JSON.parse((await s.kubectl(['get', 'svc', name, '-o', 'json'])).stdout);

  it('gives each Service its own ClusterIP from 10.96.0.0/16 and defaults its ports', async () => {
    for (const n of ['a', 'b', 'c']) expect((await s.kubectl(['apply', '-f', '-'], { input: svc(n) })).code).toBe(0);
    const all = await Promise.all(['a', 'b', 'c'].map(get));
    const ips = all.map((x) => x.spec.clusterIP);
    expect(new Set([...ips, '10.96.0.1']).size).toBe(4);
    for (const ip of ips) expect(ip).toMatch(/^10\.96\.\d+\.\d+$/);
    expect(all[0].spec).toMatchObject({ type: 'ClusterIP', sessionAffinity: 'None', ports: [{ port: 80, protocol: 'TCP', targetPort: 80 }] });
  });

  it('refuses a ClusterIP or node port that is taken, and frees both on delete', async () => {
    const taken = (await get('a')).spec.clusterIP;
    const dup = await s.kubectl(['apply', '-f', '-'], { input: svc('dup', `  clusterIP: ${taken}\n`) });
    expect(dup.code).toBe(1);
    expect(dup.stderr).toContain(`spec.clusterIPs: Invalid value: ["${taken}"]: failed to allocate IP ${taken}: provided IP is already allocated`);

    const np = svc('np', '  type: NodePort\n').replace('ports: [{port: 80}]', 'ports: [{port: 80, nodePort: 30080}]');
    expect((await s.kubectl(['apply', '-f', '-'], { input: np })).code).toBe(0);
    expect((await get('np')).spec.ports[0].nodePort).toBe(30080);
    const clash = await s.kubectl(['apply', '-f', '-'], { input: np.replace('name: np', 'name: np2') });
    expect(clash.stderr).toContain('spec.ports[0].nodePort: Invalid value: 30080: provided port is already allocated');
    const auto = svc('lb', '  type: LoadBalancer\n');
    expect((await s.kubectl(['apply', '-f', '-'], { input: auto })).code).toBe(0);
    const lbPort = (await get('lb')).spec.ports[0].nodePort;
    expect(lbPort).toBeGreaterThanOrEqual(30000);
    expect(lbPort).toBeLessThanOrEqual(32767);

    await s.kubectl(['delete', 'svc', 'a', 'np']);
    expect((await s.kubectl(['apply', '-f', '-'], { input: svc('dup', `  clusterIP: ${taken}\n`) })).code).toBe(0);
    expect((await s.kubectl(['apply', '-f', '-'], { input: np.replace('name: np', 'name: np2') })).code).toBe(0);
  });
});
