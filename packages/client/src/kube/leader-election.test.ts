/** LeaderElector on a fake clock and an in-memory Lease; against a real API server in @minik8s/apiserver (src/kube-client/). */
import { describe, expect, it } from 'vitest';
import { FakeClock, flushMicrotasks } from './clock.ts';
import { KubeApiError } from './errors.ts';
import { LeaderElector, type Lease, type LeaseClient, microTime } from './leader-election.ts';
import type { ResourceRef } from './types.ts';

const status = (code: number, reason: string, message: string) =>
  new KubeApiError({ kind: 'Status', apiVersion: 'v1', status: 'Failure', code, reason, message });

/** One Lease in memory, compare-and-swap on resourceVersion like the API server. */
class MemoryLeases {
  lease: Lease | undefined;
  rv = 0;
  client(o: { down?: () => boolean } = {}): LeaseClient {
    const check = () => {
      if (o.down?.()) throw status(503, 'ServiceUnavailable', 'down');
    };
    return {
      get: async (ref: ResourceRef) => {
        check();
        if (!this.lease) throw status(404, 'NotFound', `leases.coordination.k8s.io "${ref.name}" not found`);
        return structuredClone(this.lease);
      },
      create: async (_ref, body) => {
        check();
        if (this.lease) throw status(409, 'AlreadyExists', 'exists');
        this.lease = { ...structuredClone(body), metadata: { ...body.metadata, resourceVersion: String(++this.rv) } };
        return structuredClone(this.lease);
      },
      update: async (_ref, body) => {
        check();
        if (body.metadata.resourceVersion !== this.lease?.metadata.resourceVersion) throw status(409, 'Conflict', 'modified');
        this.lease = { ...structuredClone(body), metadata: { ...body.metadata, resourceVersion: String(++this.rv) } };
        return structuredClone(this.lease);
      },
    };
  }
}

describe('LeaderElector (fake clock, in-memory Lease)', () => {
  it('microTime has six fractional digits', () => {
    expect(microTime(Date.UTC(2024, 0, 2, 3, 4, 5, 678))).toBe('2024-01-02T03:04:05.678000Z');
  });

  it('the leader steps down when it cannot renew within renewDeadline; the other takes over once the lease expires', async () => {
    const clock = new FakeClock(1_700_000_000_000);
    const mem = new MemoryLeases();
    let aDown = false;
    const events: string[] = [];
    const at = () => clock.now() - 1_700_000_000_000;
    const mk = (id: string, client: LeaseClient) =>
      new LeaderElector({
        client,
        namespace: 'kube-system',
        name: 'ctrl',
        identity: id,
        leaseDurationMs: 2000,
        renewDeadlineMs: 1000,
        retryPeriodMs: 300,
        clock,
        onStartedLeading: (signal) => {
          events.push(`${id} leads @${at()}`);
          signal.addEventListener('abort', () => events.push(`${id} signal aborted`));
        },
        onStoppedLeading: () => events.push(`${id} stopped @${at()}`),
      });
    const a = mk('a', mem.client({ down: () => aDown }));
    const b = mk('b', mem.client());
    const runA = a.run();
    await flushMicrotasks();
    const runB = b.run();
    await flushMicrotasks();
    expect(a.isLeader()).toBe(true);
    expect(b.isLeader()).toBe(false);
    expect(b.getLeader()).toBe('a');
    expect(mem.lease?.spec).toMatchObject({ holderIdentity: 'a', leaseDurationSeconds: 2, leaseTransitions: 0 });

    // A renews for a while; B never gets in.
    for (let i = 0; i < 40; i++) await clock.tick(50);
    expect(a.isLeader()).toBe(true);
    expect(b.isLeader()).toBe(false);
    const lastRenew = Date.parse(mem.lease!.spec!.renewTime!) - 1_700_000_000_000;
    expect(lastRenew).toBeGreaterThan(1500);

    // A loses the API server.
    aDown = true;
    const downAt = at();
    for (let i = 0; i < 80 && !(b.isLeader() && !a.isLeader()); i++) await clock.tick(50);
    await runA;
    expect(a.isLeader()).toBe(false);
    expect(b.isLeader()).toBe(true);
    const stoppedA = Number(events.find((e) => e.startsWith('a stopped'))!.split('@')[1]);
    const ledB = Number(events.find((e) => e.startsWith('b leads'))!.split('@')[1]);
    // A gives up within retryPeriod + renewDeadline (plus a tick) of losing the server.
    expect(stoppedA - downAt).toBeLessThanOrEqual(300 + 1000 + 100);
    // B waits out the lease from when it saw the last renewal: never before it expired.
    expect(ledB - lastRenew).toBeGreaterThanOrEqual(2000);
    expect(ledB - lastRenew).toBeLessThanOrEqual(2000 + 300 * 1.2 + 400);
    expect(mem.lease?.spec).toMatchObject({ holderIdentity: 'b', leaseTransitions: 1 });
    expect(events).toContain('a signal aborted');
    await b.stop();
    await runB;
    expect(events.at(-1)).toMatch(/^b stopped/);
  });

  it('checks its timing parameters like client-go', () => {
    const client = new MemoryLeases().client();
    expect(() => new LeaderElector({ client, namespace: 'x', name: 'y', identity: 'i', leaseDurationMs: 1000, renewDeadlineMs: 1000 })).toThrow(
      'leaseDuration must be greater than renewDeadline',
    );
    expect(() => new LeaderElector({ client, namespace: 'x', name: 'y', identity: '' })).toThrow('identity');
  });
});
