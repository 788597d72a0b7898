/**
 * mkctl's node maintenance and wait side by side with the stock kubectl against a real
 * API server: cordon / uncordon, taint, drain (evictions, the checks that stop a drain,
 * a PodDisruptionBudget's refusal), and wait for a condition or a deletion.
 */
import type { KubeObject } from '@minik8s/api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, startHarness } from './testing/harness.ts';

// biome-ignore lint/suspicious/noExplicitAny: objects read loosely
type Any = any;
const NODES = { version: 'v1', plural: 'nodes' };
const PODS = { version: 'v1', plural: 'pods', namespace: 'default' };

describe('mkctl node maintenance and wait like kubectl', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
    for (const name of ['node-a', 'node-b']) {
      await h.server.client.create(NODES, { apiVersion: 'v1', kind: 'Node', metadata: { name } } as KubeObject);
    }
  });
  afterAll(async () => {
    await h?.close();
  });

  const node = (name: string) => h.server.client.get<Any>({ ...NODES, name });
  const both = async (args: (n: string) => string[]) => {
    const mk = await h.mk(args('node-a'));
    const kc = await h.kubectl(args('node-b'));
    return {
      mk: { ...mk, stdout: mk.stdout.replaceAll('node-a', 'N'), stderr: mk.stderr.replaceAll('node-a', 'N') },
      kc: { ...kc, stdout: kc.stdout.replaceAll('node-b', 'N'), stderr: kc.stderr.replaceAll('node-b', 'N') },
    };
  };

  it('cordon and uncordon, and say when there is nothing to do', async () => {
    for (const verb of ['cordon', 'cordon', 'uncordon', 'uncordon']) {
      const r = await both((n) => [verb, n]);
      expect(r.mk.stdout).toBe(r.kc.stdout);
      expect(r.mk.code).toBe(r.kc.code);
    }
    await h.mk(['cordon', 'node-a']);
    expect((await node('node-a')).spec.unschedulable).toBe(true);
    await h.mk(['uncordon', 'node-a']);
    expect((await node('node-a')).spec.unschedulable).toBeUndefined();
  });

  it('taint adds, refuses a clash without --overwrite, overwrites, and removes', async () => {
    for (const args of [
      ['dedicated=gpu:NoSchedule'],
      ['dedicated=other:NoSchedule'],
      ['dedicated=other:NoSchedule', '--overwrite'],
      ['maintenance:NoExecute'],
      ['dedicated:NoSchedule-'],
      ['maintenance-'],
      ['nothere-'],
      ['bad=x:Sometimes'],
    ]) {
      const r = await both((n) => ['taint', 'nodes', n, ...args]);
      expect({ args, out: r.mk.stdout, err: r.mk.stderr.trim().replace('mkctl', 'kubectl'), code: r.mk.code }).toEqual({
        args,
        out: r.kc.stdout,
        err: r.kc.stderr.trim(),
        code: r.kc.code,
      });
      expect((await node('node-a')).spec.taints).toEqual((await node('node-b')).spec.taints);
    }
  });

  async function podOn(name: string, nodeName: string, extra: Any = {}) {
    await h.server.client.create(PODS, {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name, labels: { app: name.replace(/-\w$/, '') }, ...extra.metadata },
      spec: { nodeName, containers: [{ name: 'c', image: 'busybox' }], ...extra.spec },
    } as KubeObject);
  }
  const owned = {
    metadata: { ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'rs', uid: '1d6c2d5f-0000-4000-8000-000000000001', controller: true }] },
  };

  it('drain stops at Pods no controller owns, then evicts everything with --force and reports it', async () => {
    await podOn('bare-a', 'node-a');
    await podOn('bare-b', 'node-b');
    await podOn('web-a', 'node-a', owned);
    await podOn('web-b', 'node-b', owned);
    const refused = await both((n) => ['drain', n, '--grace-period=0', '--timeout=20s']);
    expect(refused.mk.code).toBe(1);
    expect(refused.kc.code).toBe(1);
    const reason = (t: string) => /cannot delete Pods that declare no controller \(use --force to override\): default\/bare-./.exec(t)?.[0].slice(0, -1);
    expect(reason(refused.mk.stderr)).toBe(reason(refused.kc.stderr));
    expect(reason(refused.mk.stderr)).toBeTruthy();

    const forced = await both((n) => ['drain', n, '--grace-period=0', '--force', '--timeout=20s']);
    const lines = (t: string) =>
      t
        .replace(/-[ab]\b/g, '-X')
        .split('\n')
        .filter(Boolean)
        .sort();
    expect(lines(forced.mk.stdout)).toEqual(lines(forced.kc.stdout));
    expect(forced.mk.stdout).toContain('node/N drained');
    expect(forced.mk.stderr).toContain('Warning: deleting Pods that declare no controller: default/bare-a');
    const left = await h.server.client.list(PODS, { fieldSelector: 'spec.nodeName=node-a' });
    expect(left.items).toEqual([]);
  }, 60_000);

  it('drain retries while a PodDisruptionBudget refuses, with the 429 message, and gives up at --timeout', async () => {
    for (const [name, n] of [
      ['kept-a', 'node-a'],
      ['kept-b', 'node-b'],
    ]) {
      await podOn(name!, n!, owned);
      const cur = await h.server.client.get<Any>({ ...PODS, name: name! });
      await h.server.client.updateStatus({ ...PODS, name: name! }, { ...cur, status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] } });
    }
    await h.server.client.create({ group: 'policy', version: 'v1', plural: 'poddisruptionbudgets', namespace: 'default' }, {
      apiVersion: 'policy/v1',
      kind: 'PodDisruptionBudget',
      metadata: { name: 'kept' },
      spec: { minAvailable: 1, selector: { matchLabels: { app: 'kept' } } },
    } as KubeObject);
    const r = await both((n) => ['drain', n, '--grace-period=0', '--pod-selector=app=kept', '--timeout=3s']);
    const retry = (t: string) => /error when evicting pods\/"kept-." -n "default" \(will retry after 5s\): .*/.exec(t)?.[0].replace(/kept-./, 'kept-X');
    expect(retry(r.mk.stderr)).toBe(retry(r.kc.stderr));
    expect(retry(r.mk.stderr)).toContain("Cannot evict pod as it would violate the pod's disruption budget.");
    expect(r.mk.code).toBe(1);
    expect(r.kc.code).toBe(1);
    expect((await h.server.client.get({ ...PODS, name: 'kept-a' })).metadata.name).toBe('kept-a');
  }, 30_000);

  it('wait for a condition, for a deletion, and times out as kubectl does', async () => {
    for (const n of ['w-a', 'w-b']) await podOn(n, 'node-a');
    const setReady = (name: string) =>
      setTimeout(async () => {
        const cur = await h.server.client.get<Any>({ ...PODS, name });
        await h.server.client.updateStatus({ ...PODS, name }, { ...cur, status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] } });
      }, 500);
    setReady('w-a');
    const mk = await h.mk(['wait', '--for=condition=ready', 'pod/w-a', '--timeout=10s']);
    setReady('w-b');
    const kc = await h.kubectl(['wait', '--for=condition=ready', 'pod/w-b', '--timeout=10s']);
    expect(mk.stdout.replace('w-a', 'w-X')).toBe(kc.stdout.replace('w-b', 'w-X'));
    expect(mk.stdout).toBe('pod/w-a condition met\n');

    const late = await both(() => ['wait', '--for=condition=Complete', 'pod/w-a', '--timeout=1s']);
    expect(late.mk.stderr.trim()).toBe(late.kc.stderr.trim());
    expect(late.mk.code).toBe(late.kc.code);

    setTimeout(() => void h.server.client.delete({ ...PODS, name: 'w-a' }, { gracePeriodSeconds: 0 }), 500);
    const gone = await h.mk(['wait', '--for=delete', 'pod/w-a', '--timeout=10s']);
    expect(gone.stdout).toBe('pod/w-a condition met\n');
    const kgone = await h.kubectl(['wait', '--for=delete', 'pod/w-a', '--timeout=2s']);
    expect(kgone.code).toBe(gone.code);
  }, 60_000);
});
