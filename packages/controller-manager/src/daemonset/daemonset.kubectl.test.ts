/**
 * The stock kubectl's `rollout status|history|undo` on a DaemonSet the controller runs:
 * kubectl reads the DaemonSet's status and its ControllerRevisions (by selector and
 * controller reference), and undo patches the DaemonSet with an old revision's data.
 * Two Node objects, a stand-in kubelet making Pods Ready, no scheduler.
 */
import type { DaemonSet, Node } from '@minik8s/api';
import { eventually } from '@minik8s/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DAEMON_SETS, NODES, refTo } from '../internal/resources.ts';
import { fakeKubelet, type Harness, listPods, startHarness } from '../testing/harness.ts';

const DS = `apiVersion: apps/v1
kind: DaemonSet
metadata: {name: agent}
spec:
  selector: {matchLabels: {app: agent}}
  template:
    metadata: {labels: {app: agent}}
    spec:
      containers: [{name: c, image: "busybox:1"}]
`;

describe('kubectl rollout on a DaemonSet', () => {
  let h: Harness;
  let kubelet: { stop(): Promise<void> };
  beforeAll(async () => {
    h = await startHarness(['daemonset']);
    for (const name of ['k1', 'k2']) await h.client.create<Node>(NODES, { apiVersion: 'v1', kind: 'Node', metadata: { name } } as Node);
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
  const images = async () => (await listPods(h.client, 'default', 'app=agent')).map((p) => p.spec!.containers[0]!.image).sort();

  it('rollout status waits for every node to run an available Pod', async () => {
    await h.server.kubectl(['apply', '-f', '-'], { input: DS });
    const out = await kubectl('rollout', 'status', 'ds/agent', '--timeout=30s');
    expect(out.trimEnd().split('\n').at(-1)).toBe('daemon set "agent" successfully rolled out');
    expect((await h.client.get<DaemonSet>(refTo(DAEMON_SETS, 'default', 'agent'))).status).toMatchObject({ desiredNumberScheduled: 2, numberAvailable: 2 });

    await kubectl('set', 'image', 'ds/agent', 'c=busybox:2');
    const rolled = await kubectl('rollout', 'status', 'ds/agent', '--timeout=30s');
    expect(rolled).toMatch(
      /Waiting for daemon set "agent" rollout to finish: \d (out of 2 new pods have been updated|of 2 updated pods are available)\.\.\.\n/,
    );
    expect(rolled.trimEnd().split('\n').at(-1)).toBe('daemon set "agent" successfully rolled out');
    expect(await images()).toEqual(['busybox:2', 'busybox:2']);
    expect(await kubectl('rollout', 'status', 'ds/agent', '--watch=false')).toBe('daemon set "agent" successfully rolled out\n');
  });

  it('rollout history lists the revisions, and shows one', async () => {
    const out = await kubectl('rollout', 'history', 'ds/agent');
    expect(out.split('\n').map((l) => l.trimEnd())).toEqual(['daemonset.apps/agent', 'REVISION  CHANGE-CAUSE', '1         <none>', '2         <none>', '', '']);
    const revs = await kubectl('get', 'controllerrevisions');
    expect(revs).toMatch(/^NAME\s+CONTROLLER\s+REVISION\s+AGE\n/);
    expect(revs).toMatch(/^agent-[a-z0-9]+\s+daemonset\.apps\/agent\s+2\s+\d+s$/m);
    const one = await kubectl('rollout', 'history', 'ds/agent', '--revision=1');
    expect(one).toContain('daemonset.apps/agent with revision #1');
    expect(one).toMatch(/Image:\s+busybox:1/);
  });

  it('rollout undo goes back to the previous template, which becomes the newest revision', async () => {
    expect(await kubectl('rollout', 'undo', 'ds/agent')).toBe('daemonset.apps/agent rolled back\n');
    await kubectl('rollout', 'status', 'ds/agent', '--timeout=30s');
    await eventually(async () => JSON.stringify(await images()) === JSON.stringify(['busybox:1', 'busybox:1']), { message: 'back on busybox:1' });
    const out = await eventually(
      async () => {
        const o = await kubectl('rollout', 'history', 'ds/agent');
        return o.includes('\n3 ') && o;
      },
      { message: 'revision 3' },
    );
    expect(out.split('\n').map((l) => l.trimEnd())).toEqual(['daemonset.apps/agent', 'REVISION  CHANGE-CAUSE', '2         <none>', '3         <none>', '', '']);
    expect(await kubectl('rollout', 'undo', 'ds/agent', '--to-revision=3')).toBe(
      'daemonset.apps/agent skipped rollback (current template already matches revision 3)\n',
    );
  });
});
