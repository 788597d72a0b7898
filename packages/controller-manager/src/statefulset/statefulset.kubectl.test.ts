/**
 * The stock kubectl's `rollout status|history|undo` on a StatefulSet the controller runs:
 * kubectl reads the set's status and its ControllerRevisions (by selector and controller
 * reference), and undo patches the set with an old revision's data. A stand-in kubelet
 * makes Pods Ready.
 */
import type { StatefulSet } from '@minik8s/api';
import { eventually } from '@minik8s/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { refTo, STATEFUL_SETS } from '../internal/resources.ts';
import { fakeKubelet, type Harness, listPods, startHarness } from '../testing/harness.ts';

const STS = `apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db}
spec:
  serviceName: db
  replicas: 2
  selector: {matchLabels: {app: db}}
  template:
    metadata: {labels: {app: db}}
    spec:
      containers: [{name: c, image: "busybox:1"}]
`;

describe('kubectl rollout on a StatefulSet', () => {
  let h: Harness;
  let kubelet: { stop(): Promise<void> };
  beforeAll(async () => {
    h = await startHarness(['statefulset']);
    kubelet = fakeKubelet(h.client, 'default', 200);
  });
  afterAll(async () => {
    await kubelet?.stop();
    await h?.close();
  });

  const kubectl = async (...args: string[]) => {
    const r = await h.server.kubectl(args);
    if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')}: ${r.stderr}`);
    return r.stdout;
  };
  const images = async () => (await listPods(h.client, 'default', 'app=db')).map((p) => `${p.metadata.name}=${p.spec!.containers[0]!.image}`).sort();

  it('rollout status waits for the Pods to be ready and updated', async () => {
    await h.server.kubectl(['apply', '-f', '-'], { input: STS });
    const out = await kubectl('rollout', 'status', 'sts/db', '--timeout=30s');
    expect(out).toMatch(/Waiting for [12] pods to be ready\.\.\.\n/);
    expect(out.trimEnd().split('\n').at(-1)).toBe('partitioned roll out complete: 2 new pods have been updated...');
    await kubectl('set', 'image', 'sts/db', 'c=busybox:2');
    const rolled = await kubectl('rollout', 'status', 'sts/db', '--timeout=30s');
    expect(rolled.trimEnd().split('\n').at(-1)).toBe('partitioned roll out complete: 2 new pods have been updated...');
    expect(await images()).toEqual(['db-0=busybox:2', 'db-1=busybox:2']);
    const s = await h.client.get<StatefulSet>(refTo(STATEFUL_SETS, 'default', 'db'));
    expect(s.status).toMatchObject({ replicas: 2, readyReplicas: 2, updatedReplicas: 2, currentReplicas: 2 });
    expect(s.status!.currentRevision).toBe(s.status!.updateRevision);
  });

  it('get and describe show the set, its Pods and its events', async () => {
    expect(await kubectl('get', 'sts', 'db')).toMatch(/^NAME\s+READY\s+AGE\ndb\s+2\/2\s+\d+s\n$/);
    const d = await kubectl('describe', 'sts', 'db');
    expect(d).toMatch(/^Replicas:\s+2 desired \| 2 total$/m);
    expect(d).toMatch(/^Update Strategy:\s+RollingUpdate$/m);
    expect(d).toMatch(/^Pods Status:\s+2 Running \/ 0 Waiting \/ 0 Succeeded \/ 0 Failed$/m);
    expect(d).toMatch(/SuccessfulCreate\s+\d+s( \(x\d+ over \d+s\))?\s+statefulset-controller\s+create Pod db-1 in StatefulSet db successful/);
  });

  it('rollout history lists the revisions, and shows one', async () => {
    const out = await kubectl('rollout', 'history', 'sts/db');
    expect(out.split('\n').map((l) => l.trimEnd())).toEqual(['statefulset.apps/db', 'REVISION  CHANGE-CAUSE', '1         <none>', '2         <none>', '', '']);
    const revs = await kubectl('get', 'controllerrevisions');
    expect(revs).toMatch(/^db-[a-z0-9]+\s+statefulset\.apps\/db\s+2\s+\d+s$/m);
    const one = await kubectl('rollout', 'history', 'sts/db', '--revision=1');
    expect(one).toContain('statefulset.apps/db with revision #1');
    expect(one).toMatch(/Image:\s+busybox:1/);
  });

  it('rollout undo goes back to the previous template, which becomes the newest revision', async () => {
    expect(await kubectl('rollout', 'undo', 'sts/db')).toBe('statefulset.apps/db rolled back\n');
    await eventually(async () => JSON.stringify(await images()) === JSON.stringify(['db-0=busybox:1', 'db-1=busybox:1']), {
      message: 'back on busybox:1',
      timeoutMs: 20_000,
    });
    await kubectl('rollout', 'status', 'sts/db', '--timeout=30s');
    const out = await eventually(
      async () => {
        const o = await kubectl('rollout', 'history', 'sts/db');
        return o.includes('\n3 ') && o;
      },
      { message: 'revision 3' },
    );
    expect(out.split('\n').map((l) => l.trimEnd())).toEqual(['statefulset.apps/db', 'REVISION  CHANGE-CAUSE', '2         <none>', '3         <none>', '', '']);
    expect(await kubectl('rollout', 'undo', 'sts/db', '--to-revision=3')).toBe(
      'statefulset.apps/db skipped rollback (current template already matches revision 3)\n',
    );
  });
});
