/**
 * The Manager against a real in-process API server: runnables start in order and stop
 * in reverse, leader-only runnables run only while holding the Lease, informers are
 * shared by resource and selectors, and readiness waits for the caches.
 */
import type { KubeClient, Lease } from '@minik8s/client/kube';
import { Manager, type Runnable } from '@minik8s/client/runtime';
import { eventually } from '@minik8s/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApiServer, type TestApiServer } from '../testing/cluster.ts';

const CM = { version: 'v1', plural: 'configmaps' };
const LEASES = { group: 'coordination.k8s.io', version: 'v1', plural: 'leases', namespace: 'kube-system' };

/** A runnable that records when it starts and when it has stopped. */
function recording(name: string, events: string[], o: { needLeaderElection?: boolean } = {}): Runnable {
  return {
    name,
    ...o,
    async run(signal) {
      events.push(`start ${name}`);
      await new Promise<void>((r) => signal.addEventListener('abort', () => r(), { once: true }));
      await new Promise((r) => setTimeout(r, 5)); // a little cleanup, so order is observable
      events.push(`stop ${name}`);
    },
  };
}

let server: TestApiServer;
let client: KubeClient;
beforeAll(async () => {
  server = await startTestApiServer();
  client = server.client;
});
afterAll(async () => {
  await server?.close();
});

describe('Manager', () => {
  it('starts runnables in the order added and stops them in reverse order', async () => {
    const events: string[] = [];
    const m = new Manager({ client });
    m.add(recording('a', events)).add(recording('b', events)).add(recording('c', events));
    m.start();
    await eventually(() => events.length === 3, { message: 'three starts' });
    expect(events).toEqual(['start a', 'start b', 'start c']);
    await m.stop();
    expect(events.slice(3)).toEqual(['stop c', 'stop b', 'stop a']);
    await expect(m.done).resolves.toBeUndefined();
  });

  it('shares one informer per resource, namespace and selectors, with named indexes added once', async () => {
    const m = new Manager({ client });
    const a = m.informer(CM);
    expect(m.informer(CM)).toBe(a);
    expect(m.informer({ ...CM, name: 'ignored' })).toBe(a);
    expect(m.informer({ ...CM, namespace: 'default' })).not.toBe(a);
    expect(m.informer(CM, { labelSelector: 'app=x' })).not.toBe(a);
    expect(m.informer(CM, { labelSelector: { app: 'x' } })).toBe(m.informer(CM, { labelSelector: 'app=x' }));
    let calls = 0;
    const byApp = (o: { metadata: { labels?: Record<string, string> } }) => {
      calls++;
      return [o.metadata.labels?.app ?? ''];
    };
    expect(m.indexedInformer(CM, 'byApp', byApp)).toBe(a);
    expect(m.indexedInformer(CM, 'byApp', byApp)).toBe(a); // a second add would throw in the cache
    expect(m.informers.size).toBe(3);
    await client.create({ ...CM, namespace: 'default' }, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'shared', labels: { app: 'x' } } });
    m.start();
    await m.waitForCacheSync();
    expect(a.byIndex('byApp', 'x').map((o) => o.metadata.name)).toContain('shared');
    expect(calls).toBeGreaterThan(0);
    await m.stop();
  });

  it('is not ready until every informer has synced', async () => {
    const m = new Manager({ client });
    m.informer(CM);
    expect((await m.readiness()).ok).toBe(false);
    expect((await m.health()).ok).toBe(true);
    m.start();
    await m.waitForCacheSync();
    const ready = await m.readiness();
    expect(ready).toEqual({ ok: true, checks: { 'informers-synced': 'ok' } });
    m.addReadyzCheck('flaky', () => {
      throw new Error('not today');
    });
    expect(await m.probe('/readyz?verbose')).toEqual({
      status: 500,
      body: '[+]informers-synced ok\n[-]flaky failed: not today\nreadyz check failed\n',
    });
    expect(await m.probe('/healthz')).toEqual({ status: 200, body: 'ok' });
    expect(await m.probe('/metrics')).toBeUndefined();
    await m.stop();
  });

  it('fails when a runnable fails, and `done` says which', async () => {
    const m = new Manager({ client });
    m.add({
      name: 'broken',
      run: async () => {
        throw new Error('out of coffee');
      },
    });
    m.start();
    await expect(m.done).rejects.toThrow('broken: out of coffee');
    await m.stop();
  });

  it('runs leader-only runnables only while leading, and hands the Lease back on stop', async () => {
    const lease = { namespace: 'kube-system', name: 'mgr-test', leaseDurationMs: 2000, renewDeadlineMs: 1500, retryPeriodMs: 200 };
    const events1: string[] = [];
    const events2: string[] = [];
    const m1 = new Manager({ client, leaderElection: { ...lease, identity: 'one' } });
    m1.add(recording('always', events1))
      .add(recording('leader', events1, { needLeaderElection: true }))
      .start();
    await eventually(() => events1.includes('start leader'), { message: 'one leads' });
    expect(m1.isLeader()).toBe(true);

    const m2 = new Manager({ client, leaderElection: { ...lease, identity: 'two' } });
    m2.add(recording('always', events2))
      .add(recording('leader', events2, { needLeaderElection: true }))
      .start();
    await eventually(() => events2.includes('start always'), { message: 'two starts' });
    await eventually(() => m2.leader() === 'one', { message: 'two has tried the Lease and seen one hold it' });
    expect(m2.isLeader()).toBe(false);
    expect(events2).toEqual(['start always']); // not leading: its leader-only runnable waits

    await m1.stop();
    expect(events1).toEqual(['start always', 'start leader', 'stop leader', 'stop always']);
    const released = await client.get<Lease>({ ...LEASES, name: 'mgr-test' });
    expect(released.spec?.holderIdentity ?? '').not.toBe('one');
    await eventually(() => events2.includes('start leader'), { message: 'two takes over' });
    await m2.stop();
  });

  it('stops leader-only runnables when leadership is lost, and fails (the command exits 1)', async () => {
    const events: string[] = [];
    const lease = { namespace: 'kube-system', name: 'mgr-lost', identity: 'loser', leaseDurationMs: 2000, renewDeadlineMs: 1000, retryPeriodMs: 200 };
    const m = new Manager({ client, leaderElection: lease });
    m.add(recording('leader', events, { needLeaderElection: true })).start();
    await eventually(() => events.includes('start leader'), { message: 'leading' });
    // Someone else takes the Lease over: renewals now conflict, and the deadline passes.
    const cur = await client.get<Lease>({ ...LEASES, name: 'mgr-lost' });
    await client.update({ ...LEASES, name: 'mgr-lost' }, { ...cur, spec: { ...cur.spec, holderIdentity: 'thief', leaseDurationSeconds: 60 } });
    await expect(m.done).rejects.toThrow('leader election lost');
    expect(events).toEqual(['start leader', 'stop leader']);
    await m.stop();
  });
});
