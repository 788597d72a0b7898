/** StatefulSets through a real API server: upstream's defaults and validation, and the fields an update may not change. */
import type { StatefulSet } from '@minik8s/api';
import { isInvalid, type ResourceRef } from '@minik8s/client/kube';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApiServer, type TestApiServer } from '../../testing/cluster.ts';

const STS = { group: 'apps', version: 'v1', plural: 'statefulsets', namespace: 'default' } satisfies ResourceRef;

const sts = (name: string, spec: Record<string, unknown> = {}, labels: Record<string, string> = { app: name }): StatefulSet =>
  ({
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: { name },
    spec: {
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels }, spec: { containers: [{ name: 'c', image: 'busybox:1' }] } },
      ...spec,
    },
  }) as unknown as StatefulSet;

const failure = (p: Promise<unknown>) =>
  p.then(
    () => ({ invalid: false, message: 'no error' }),
    (e: Error) => ({ invalid: isInvalid(e), message: e.message }),
  );

describe('apps/v1 StatefulSet', () => {
  let s: TestApiServer;
  beforeAll(async () => {
    s = await startTestApiServer();
  });
  afterAll(async () => {
    await s?.close();
  });
  const ref = (name: string) => ({ ...STS, name });
  const exists = (name: string) =>
    s.client.get(ref(name)).then(
      () => true,
      () => false,
    );

  it('defaults as upstream, with serviceName optional', async () => {
    const created = await s.client.create<StatefulSet>(STS, sts('a'));
    expect(created.spec).toMatchObject({
      replicas: 1,
      podManagementPolicy: 'OrderedReady',
      updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 0 } },
      revisionHistoryLimit: 10,
      persistentVolumeClaimRetentionPolicy: { whenDeleted: 'Retain', whenScaled: 'Retain' },
    });
    expect(created.spec!.serviceName).toBeUndefined();
    expect(created.spec!.template.spec!.restartPolicy).toBe('Always');
    // An explicit RollingUpdate without a rollingUpdate block stays without a partition.
    const explicit = await s.client.create<StatefulSet>(STS, sts('b', { updateStrategy: { type: 'RollingUpdate' } }));
    expect(explicit.spec!.updateStrategy).toEqual({ type: 'RollingUpdate' });
    // maxUnavailable is dropped: the MaxUnavailableStatefulSet gate is off in 1.32.
    const mu = await s.client.create<StatefulSet>(STS, sts('c', { updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 2 } } }));
    expect(mu.spec!.updateStrategy).toEqual({ type: 'RollingUpdate', rollingUpdate: { partition: 0 } });
  });

  it('refuses invalid specs with 422 and stores nothing', async () => {
    const cases: Array<[string, StatefulSet, string]> = [
      ['v1', sts('v1', { podManagementPolicy: 'Sometimes' }), "spec.podManagementPolicy: Invalid value: \"Sometimes\": must be 'OrderedReady' or 'Parallel'"],
      [
        'v2',
        sts('v2', { updateStrategy: { type: 'Recreate' } }),
        "spec.updateStrategy: Invalid value: apps.StatefulSetUpdateStrategy{Type:\"Recreate\", RollingUpdate:(*apps.RollingUpdateStatefulSetStrategy)(nil)}: must be 'RollingUpdate' or 'OnDelete'",
      ],
      [
        'v3',
        sts('v3', { updateStrategy: { type: 'OnDelete', rollingUpdate: { partition: 1 } } }),
        "spec.updateStrategy.rollingUpdate: Invalid value: &apps.RollingUpdateStatefulSetStrategy{Partition:(*int32)(nil), MaxUnavailable:(*intstr.IntOrString)(nil)}: only allowed for updateStrategy 'RollingUpdate'",
      ],
      [
        'v4',
        sts('v4', { updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: -1 } } }),
        'spec.updateStrategy.rollingUpdate.partition: Invalid value: -1: must be greater than or equal to 0',
      ],
      [
        'v5',
        sts('v5', { persistentVolumeClaimRetentionPolicy: { whenDeleted: 'Keep' } }),
        'spec.persistentVolumeClaimRetentionPolicy.whenDeleted: Unsupported value: "Keep": supported values: "Retain", "Delete"',
      ],
      ['v6', sts('v6', { replicas: -1 }), 'spec.replicas: Invalid value: -1: must be greater than or equal to 0'],
      ['v7', sts('v7', { ordinals: { start: -2 } }), 'spec.ordinals.start: Invalid value: -2: must be greater than or equal to 0'],
      [
        'v8',
        sts('v8', { selector: {} }),
        'spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string(nil), MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: empty selector is invalid for statefulset',
      ],
      [
        'v9',
        sts('v9', {}, { app: 'other' }),
        'spec.template.metadata.labels: Invalid value: map[string]string{"app":"other"}: `selector` does not match template `labels`',
      ],
    ];
    for (const [name, body, msg] of cases) {
      const r = await failure(s.client.create(STS, body));
      expect(r).toEqual({ invalid: true, message: `StatefulSet.apps "${name}" is invalid: ${msg}` });
      expect(await exists(name)).toBe(false);
    }
    const never = sts('v10');
    never.spec!.template.spec!.restartPolicy = 'Never';
    expect((await failure(s.client.create(STS, never))).message).toBe(
      'StatefulSet.apps "v10" is invalid: spec.template.spec.restartPolicy: Unsupported value: "Never": supported values: "Always"',
    );
    const deadline = sts('v11');
    deadline.spec!.template.spec!.activeDeadlineSeconds = 5;
    expect((await failure(s.client.create(STS, deadline))).message).toBe(
      'StatefulSet.apps "v11" is invalid: spec.template.spec.activeDeadlineSeconds: Forbidden: activeDeadlineSeconds in StatefulSet is not Supported',
    );
  });

  it('lets an update change only replicas, ordinals, template, updateStrategy, revisionHistoryLimit, the retention policy and minReadySeconds', async () => {
    const cur = await s.client.get<StatefulSet>(ref('a'));
    const ok = await s.client.update<StatefulSet>(ref('a'), {
      ...cur,
      spec: {
        ...cur.spec!,
        replicas: 3,
        minReadySeconds: 2,
        revisionHistoryLimit: 4,
        ordinals: { start: 1 },
        updateStrategy: { type: 'OnDelete' },
        persistentVolumeClaimRetentionPolicy: { whenDeleted: 'Delete', whenScaled: 'Retain' },
        template: { ...cur.spec!.template, spec: { ...cur.spec!.template.spec!, containers: [{ name: 'c', image: 'busybox:2' }] } },
      },
    } as StatefulSet);
    expect(ok.metadata.generation).toBe(2);
    const forbidden =
      "StatefulSet.apps \"a\" is invalid: spec: Forbidden: updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'revisionHistoryLimit', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden";
    for (const change of [{ serviceName: 'svc' }, { podManagementPolicy: 'Parallel' }, { volumeClaimTemplates: [{ metadata: { name: 'd' }, spec: {} }] }]) {
      const r = await failure(s.client.update(ref('a'), { ...ok, spec: { ...ok.spec!, ...change } } as StatefulSet));
      expect(r).toEqual({ invalid: true, message: forbidden });
    }
    expect((await s.client.get<StatefulSet>(ref('a'))).spec!.serviceName).toBeUndefined();
  });
});
