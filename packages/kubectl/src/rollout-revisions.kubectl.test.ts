/**
 * mkctl `rollout history` and `rollout undo` of DaemonSets and StatefulSets side by side
 * with the stock kubectl: both read the object's ControllerRevisions (written here as the
 * controller would write them) and undo patches the revision's template back.
 */
import type { KubeObject } from '@minik8s/api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, startHarness } from './testing/harness.ts';

// biome-ignore lint/suspicious/noExplicitAny: objects read loosely
type Any = any;
const NS = 'default';

const template = (app: string, image: string) => ({
  metadata: { labels: { app } },
  spec: { containers: [{ name: 'c', image, command: ['sleep', '3600'] }] },
});

describe('mkctl rollout history and undo of DaemonSets and StatefulSets like kubectl', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(async () => {
    await h?.close();
  });

  /** A workload at busybox:2 with two revisions (busybox:1, then busybox:2), one with a change cause. */
  async function workload(kind: 'DaemonSet' | 'StatefulSet', name: string): Promise<Any> {
    const plural = kind === 'DaemonSet' ? 'daemonsets' : 'statefulsets';
    const spec: Any = { selector: { matchLabels: { app: name } }, template: template(name, 'busybox:2') };
    if (kind === 'StatefulSet') spec.serviceName = name;
    const o = (await h.server.client.create({ group: 'apps', version: 'v1', plural, namespace: NS }, {
      apiVersion: 'apps/v1',
      kind,
      metadata: { name },
      spec,
    } as KubeObject)) as Any;
    for (const [revision, image] of [
      [1, 'busybox:1'],
      [2, 'busybox:2'],
    ] as const) {
      await h.server.client.create({ group: 'apps', version: 'v1', plural: 'controllerrevisions', namespace: NS }, {
        apiVersion: 'apps/v1',
        kind: 'ControllerRevision',
        metadata: {
          name: `${name}-rev${revision}`,
          labels: { app: name },
          ...(revision === 2 ? { annotations: { 'kubernetes.io/change-cause': 'image 2' } } : {}),
          ownerReferences: [{ apiVersion: 'apps/v1', kind, name, uid: o.metadata.uid, controller: true, blockOwnerDeletion: true }],
        },
        data: { spec: { template: { ...template(name, image), $patch: 'replace' } } },
        revision,
      } as unknown as KubeObject);
    }
    return o;
  }
  const image = async (plural: string, name: string) =>
    ((await h.server.client.get({ group: 'apps', version: 'v1', plural, namespace: NS, name })) as Any).spec.template.spec.containers[0].image;

  for (const [kind, plural, short] of [
    ['DaemonSet', 'daemonsets', 'ds'],
    ['StatefulSet', 'statefulsets', 'sts'],
  ] as const) {
    it(`${kind}: history lists the revisions and shows one, undo rolls back or skips`, async () => {
      await workload(kind, `${short}-mk`);
      await workload(kind, `${short}-kc`);
      const both = async (args: (n: string) => string[]) => {
        const mk = await h.mk(args(`${short}-mk`));
        const kc = await h.kubectl(args(`${short}-kc`));
        const norm = (t: string, n: string) => t.replaceAll(n, 'X');
        return {
          mk: { out: norm(mk.stdout, `${short}-mk`), err: norm(mk.stderr, `${short}-mk`).replace('mkctl', 'kubectl'), code: mk.code },
          kc: { out: norm(kc.stdout, `${short}-kc`), err: norm(kc.stderr, `${short}-kc`), code: kc.code },
        };
      };
      for (const args of [
        (n: string) => ['rollout', 'history', `${short}/${n}`],
        (n: string) => ['rollout', 'history', `${short}/${n}`, '--revision=1'],
        (n: string) => ['rollout', 'history', `${short}/${n}`, '--revision=7'],
        (n: string) => ['rollout', 'undo', `${short}/${n}`, '--to-revision=2'],
        (n: string) => ['rollout', 'undo', `${short}/${n}`, '--to-revision=9'],
        (n: string) => ['rollout', 'undo', `${short}/${n}`],
      ]) {
        const r = await both(args);
        expect({ args: args('X'), ...r.mk }).toEqual({ args: args('X'), ...r.kc });
      }
      expect(await image(plural, `${short}-mk`)).toBe('busybox:1');
      expect(await image(plural, `${short}-kc`)).toBe('busybox:1');
    });
  }
});
