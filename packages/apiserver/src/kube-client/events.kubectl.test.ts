/** @minik8s/client's event recorder against this API server (and kubectl describe): new events, repeats folded into count, bad writes dropped. */

import { type CoreEvent, EventRecorder, FakeClock, type KubeClient, type KubeList, type KubeObject } from '@minik8s/client/kube';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApiServer, type TestApiServer } from '../testing/cluster.ts';

describe('EventRecorder', () => {
  let server: TestApiServer;
  let client: KubeClient;
  let pod: KubeObject;
  beforeAll(async () => {
    server = await startTestApiServer();
    client = server.client;
    pod = await client.create({ version: 'v1', plural: 'pods', namespace: 'default' }, {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'ev' },
      spec: { containers: [{ name: 'c', image: 'busybox' }] },
    } as KubeObject);
  }, 30_000);
  afterAll(async () => {
    await server?.close();
  });

  it('writes an event kubectl describe shows, and folds repeats into its count', async () => {
    const clock = new FakeClock(Date.parse('2026-11-22T10:00:00Z'));
    const rec = new EventRecorder(client, { component: 'default-scheduler' }, { clock });
    rec.event(pod, 'Normal', 'Scheduled', 'Successfully assigned default/ev to node-1');
    await rec.flush();
    clock.advance(5000);
    rec.event(pod, 'Warning', 'BackOff', 'Back-off restarting failed container c in pod ev_default(x)');
    rec.event(pod, 'Normal', 'Scheduled', 'Successfully assigned default/ev to node-1');
    await rec.flush();
    const events = (await client.list<CoreEvent>(
      { version: 'v1', plural: 'events', namespace: 'default' },
      { fieldSelector: 'involvedObject.name=ev' },
    )) as KubeList<CoreEvent>;
    const scheduled = events.items.find((e) => e.reason === 'Scheduled');
    expect(events.items).toHaveLength(2);
    expect(scheduled).toMatchObject({
      type: 'Normal',
      count: 2,
      firstTimestamp: '2026-11-22T10:00:00Z',
      lastTimestamp: '2026-11-22T10:00:05Z',
      involvedObject: { kind: 'Pod', name: 'ev', namespace: 'default', uid: pod.metadata.uid },
      source: { component: 'default-scheduler' },
    });
    const described = await server.kubectl(['describe', 'pod', 'ev']);
    expect(described.stdout).toMatch(/Normal\s+Scheduled\s+\S+ \(x2 over \S+\)\s+default-scheduler\s+Successfully assigned default\/ev to node-1/);
  });

  it('drops an event it cannot write and tells the log', async () => {
    const warnings: string[] = [];
    const rec = new EventRecorder(client, { component: 'x' }, { log: { warn: (_o, msg) => warnings.push(msg) } });
    rec.event({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'ghost', namespace: 'no-such-namespace' } }, 'Normal', 'Nothing', 'n');
    await rec.flush();
    expect(warnings).toEqual(['could not write an event']);
  });
});
