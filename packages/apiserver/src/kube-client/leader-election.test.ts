/**
 * @minik8s/client's LeaderElector against this API server (its fake-clock tests are in the
 * client package, which cannot depend on the API server).
 */

import { type KubeClient, LeaderElector, type Lease } from '@minik8s/client/kube';
import { eventually } from '@minik8s/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApiServer, type TestApiServer } from '../testing/cluster.ts';

describe('LeaderElector against the API server', () => {
  let server: TestApiServer;
  let client: KubeClient;
  beforeAll(async () => {
    server = await startTestApiServer();
    client = server.client;
  });
  afterAll(async () => {
    await server?.close();
  });

  it('two candidates on one Lease: exactly one leads; when it stops, the other takes over within the lease duration', async () => {
    const LEASE = { group: 'coordination.k8s.io', version: 'v1', plural: 'leases', namespace: 'kube-system', name: 'test-controller' };
    const log: string[] = [];
    const mk = (id: string) =>
      new LeaderElector({
        client,
        namespace: 'kube-system',
        name: 'test-controller',
        identity: id,
        leaseDurationMs: 2000,
        renewDeadlineMs: 1000,
        retryPeriodMs: 300,
        onStartedLeading: () => log.push(`${id} started`),
        onStoppedLeading: () => log.push(`${id} stopped`),
        onNewLeader: (who) => log.push(`${id} sees ${who}`),
      });
    const a = mk('candidate-a');
    const b = mk('candidate-b');
    const runs = [a.run(), b.run()];
    await eventually(() => a.isLeader() || b.isLeader());
    // Over three renewals of the Lease (about a second), exactly one of them leads, and it is the Lease's holder.
    const leading: number[] = [];
    const renewals = new Set<string | undefined>();
    await eventually(
      async () => {
        leading.push(Number(a.isLeader()) + Number(b.isLeader()));
        renewals.add((await client.get<Lease>(LEASE)).spec?.renewTime);
        return renewals.size > 3;
      },
      { message: 'three renewals of the Lease', intervalMs: 100 },
    );
    expect(new Set(leading)).toEqual(new Set([1]));
    const [leader, follower] = a.isLeader() ? [a, b] : [b, a];
    const lease = await client.get<Lease>(LEASE);
    expect(lease.spec).toMatchObject({ holderIdentity: leader.identity, leaseDurationSeconds: 2, leaseTransitions: 0 });
    expect(lease.spec!.renewTime).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
    expect(follower.getLeader()).toBe(leader.identity);

    // The leader stops without handing the Lease back: the follower waits it out.
    const stoppedAt = Date.now();
    await leader.stop();
    expect(leader.isLeader()).toBe(false);
    await eventually(() => follower.isLeader(), { timeoutMs: 4000 });
    const takeover = Date.now() - stoppedAt;
    expect(takeover).toBeLessThan(2000 + 300 * 1.2 + 500);
    const after = await client.get<Lease>(LEASE);
    expect(after.spec).toMatchObject({ holderIdentity: follower.identity, leaseTransitions: 1 });
    expect(log).toContain(`${leader.identity} stopped`);
    expect(log).toContain(`${follower.identity} sees ${follower.identity}`);

    await follower.stop();
    await Promise.all(runs);
    expect(log.filter((l) => l.endsWith('started'))).toHaveLength(2);
  });

  it('releaseOnCancel hands the Lease back at once', async () => {
    const ref = { group: 'coordination.k8s.io', version: 'v1', plural: 'leases', namespace: 'kube-system', name: 'released' };
    const mk = (id: string) =>
      new LeaderElector({
        client,
        namespace: 'kube-system',
        name: 'released',
        identity: id,
        leaseDurationMs: 2000,
        renewDeadlineMs: 1000,
        retryPeriodMs: 300,
        releaseOnCancel: true,
      });
    const a = mk('a');
    void a.run();
    await eventually(() => a.isLeader());
    const b = mk('b');
    const runB = b.run();
    await eventually(() => b.getLeader() === 'a', { message: 'b to see a holding the Lease' });
    const t = Date.now();
    await a.stop();
    expect((await client.get<Lease>(ref)).spec?.holderIdentity).not.toBe('a');
    await eventually(() => b.isLeader(), { timeoutMs: 2000 });
    expect(Date.now() - t).toBeLessThan(1000);
    await b.stop();
    await runB;
    expect((await client.get<Lease>(ref)).spec?.holderIdentity).toBe('');
  });
});
