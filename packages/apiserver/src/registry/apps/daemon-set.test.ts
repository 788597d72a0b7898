/** DaemonSets and ControllerRevisions through a real API server: defaults, validation, the template generation. */
import type { ControllerRevision, DaemonSet, KubeObject } from '@minik8s/api';
import type { ResourceRef } from '@minik8s/client/kube';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApiServer, type TestApiServer } from '../../testing/cluster.ts';
import { controllerRevisionStrategy } from './controller-revision.ts';

const DS = { group: 'apps', version: 'v1', plural: 'daemonsets', namespace: 'default' } satisfies ResourceRef;
const CR = { group: 'apps', version: 'v1', plural: 'controllerrevisions', namespace: 'default' } satisfies ResourceRef;

const ds = (name: string, labels: Record<string, string> = { app: name }): DaemonSet =>
  ({
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: { name },
    spec: {
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels }, spec: { containers: [{ name: 'c', image: 'busybox:1' }] } },
    },
  }) as DaemonSet;

const message = (p: Promise<unknown>) =>
  p.then(
    () => 'no error',
    (e: Error) => e.message,
  );

describe('apps/v1 DaemonSet and ControllerRevision', () => {
  let s: TestApiServer;
  beforeAll(async () => {
    s = await startTestApiServer();
  });
  afterAll(async () => {
    await s?.close();
  });
  const ref = (name: string) => ({ ...DS, name });

  it('defaults the update strategy and history limit, and counts template generations', async () => {
    const created = await s.client.create<DaemonSet>(DS, ds('a'));
    expect(created.spec!.updateStrategy).toEqual({ type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1, maxSurge: 0 } });
    expect(created.spec!.revisionHistoryLimit).toBe(10);
    expect(created.metadata.annotations).toEqual({ 'deprecated.daemonset.template.generation': '1' });
    const changed = await s.client.update<DaemonSet>(ref('a'), {
      ...created,
      spec: { ...created.spec!, template: { ...created.spec!.template, spec: { containers: [{ name: 'c', image: 'busybox:2' }] } } },
    } as DaemonSet);
    expect(changed.metadata.annotations!['deprecated.daemonset.template.generation']).toBe('2');
    const same = await s.client.update<DaemonSet>(ref('a'), { ...changed, spec: { ...changed.spec!, minReadySeconds: 5 } } as DaemonSet);
    expect(same.metadata.annotations!['deprecated.daemonset.template.generation']).toBe('2');
    expect(same.metadata.generation).toBe(3);
  });

  it('refuses a selector change, a selector that misses the template, and Pods that do not always restart', async () => {
    const cur = await s.client.get<DaemonSet>(ref('a'));
    expect(
      await message(
        s.client.update(ref('a'), { ...cur, spec: { ...cur.spec!, selector: { matchExpressions: [{ key: 'app', operator: 'Exists' }] } } } as DaemonSet),
      ),
    ).toBe(
      'DaemonSet.apps "a" is invalid: spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string(nil), MatchExpressions:[]v1.LabelSelectorRequirement{v1.LabelSelectorRequirement{Key:"app", Operator:"Exists", Values:[]string(nil)}}}: field is immutable',
    );
    expect(await message(s.client.create(DS, ds('b', { app: 'other' })))).toContain('spec.template.metadata.labels: Invalid value');
    const never = ds('c');
    never.spec!.template.spec!.restartPolicy = 'Never';
    expect(await message(s.client.create(DS, never))).toContain('spec.template.spec.restartPolicy: Unsupported value: "Never"');
  });

  it('ControllerRevision: data required and immutable, revision not negative, printed with its controller', async () => {
    const rev = (name: string, revision: number, data?: unknown) =>
      ({ apiVersion: 'apps/v1', kind: 'ControllerRevision', metadata: { name }, revision, data }) as ControllerRevision;
    expect(await message(s.client.create(CR, rev('r0', -1, { a: 1 })))).toBe(
      'ControllerRevision.apps "r0" is invalid: revision: Invalid value: -1: must be greater than or equal to 0',
    );
    expect(await message(s.client.create(CR, rev('r0', 1)))).toBe('ControllerRevision.apps "r0" is invalid: data: Required value: data is mandatory');
    const r1 = await s.client.create<ControllerRevision>(CR, rev('r1', 1, { a: 1 }));
    expect(await message(s.client.update({ ...CR, name: 'r1' }, { ...r1, data: { a: 2 } } as ControllerRevision))).toContain(
      'data: Invalid value: runtime.RawExtension{...}: field is immutable',
    );
    const bumped = await s.client.update<ControllerRevision>({ ...CR, name: 'r1' }, { ...r1, revision: 4 } as ControllerRevision);
    expect(bumped.revision).toBe(4);
    const owned = {
      ...bumped,
      metadata: { ...bumped.metadata, ownerReferences: [{ apiVersion: 'apps/v1', kind: 'DaemonSet', name: 'a', uid: 'u', controller: true }] },
    } as KubeObject;
    const cells = controllerRevisionStrategy.columns.map((c) => c.cell(owned, new Date(Date.parse(bumped.metadata.creationTimestamp!) + 5000)));
    expect(controllerRevisionStrategy.columns.map((c) => c.name)).toEqual(['Name', 'Controller', 'Revision', 'Age']);
    expect(cells).toEqual(['r1', 'daemonset.apps/a', 4, '5s']);
    expect(controllerRevisionStrategy.columns[1]!.cell(bumped as KubeObject, new Date())).toBe('<none>');
  });
});
