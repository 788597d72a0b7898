/**
 * Graceful deletion of Pods, as upstream: a Pod on a node is only marked (deletionTimestamp
 * = now + grace, deletionGracePeriodSeconds), so its kubelet can stop the containers and
 * then delete it with a grace period of 0; unscheduled or finished Pods go at once.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApiServer, type TestApiServer } from './testing/cluster.ts';

describe('graceful Pod deletion', () => {
  let s: TestApiServer;
  beforeAll(async () => {
    s = await startTestApiServer();
  });
  afterAll(async () => {
    await s?.close();
  });
  const json = async (...args: string[]) => JSON.parse((await s.kubectl([...args, '-o', 'json'])).stdout);
  const pod = (name: string, extra = '') => `apiVersion: v1
kind: Pod
metadata: {name: ${name}}
spec:
  nodeName: node-1
  ${extra}
  containers: [{name: c, image: busybox}]
`;

  it('marks a Pod on a node, lets a later delete shorten the grace period, and removes it with grace 0', async () => {
    await s.kubectl(['apply', '-f', '-'], { input: pod('g1', 'terminationGracePeriodSeconds: 20') });
    const t0 = Date.now();
    expect((await s.kubectl(['delete', 'pod', 'g1', '--wait=false'])).stdout).toBe('pod "g1" deleted\n');
    const marked = await json('get', 'pod', 'g1');
    expect(marked.metadata.deletionGracePeriodSeconds).toBe(20);
    const at = Date.parse(marked.metadata.deletionTimestamp);
    expect(at).toBeGreaterThanOrEqual(Math.floor(t0 / 1000) * 1000 + 19_000);
    expect(at).toBeLessThanOrEqual(t0 + 21_000);
    expect((await s.kubectl(['get', 'pod', 'g1'])).stdout).toMatch(/g1\s+0\/1\s+Terminating/);

    // A longer grace period changes nothing; a shorter one wins.
    await s.kubectl(['delete', 'pod', 'g1', '--grace-period=60', '--wait=false']);
    expect((await json('get', 'pod', 'g1')).metadata.deletionGracePeriodSeconds).toBe(20);
    await s.kubectl(['delete', 'pod', 'g1', '--grace-period=5', '--wait=false']);
    expect((await json('get', 'pod', 'g1')).metadata.deletionGracePeriodSeconds).toBe(5);

    // What the kubelet does once the containers are stopped.
    await s.kubectl(['delete', 'pod', 'g1', '--grace-period=0', '--force']);
    expect((await s.kubectl(['get', 'pod', 'g1'])).stderr).toBe('Error from server (NotFound): pods "g1" not found\n');
  });

  it('deletes unscheduled and finished Pods at once', async () => {
    await s.kubectl(['apply', '-f', '-'], { input: pod('g2').replace('  nodeName: node-1\n', '') });
    await s.kubectl(['delete', 'pod', 'g2', '--wait=false']);
    expect((await s.kubectl(['get', 'pod', 'g2'])).code).toBe(1);

    await s.kubectl(['apply', '-f', '-'], { input: pod('g3') });
    await s.kubectl(['patch', 'pod', 'g3', '--subresource=status', '--type=merge', '-p', '{"status":{"phase":"Succeeded"}}']);
    await s.kubectl(['delete', 'pod', 'g3', '--wait=false']);
    expect((await s.kubectl(['get', 'pod', 'g3'])).code).toBe(1);
  });
});
