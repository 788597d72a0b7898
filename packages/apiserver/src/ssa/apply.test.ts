import { isStatusError } from '@minik8s/api';
import { describe, expect, it } from 'vitest';
import {
  ApplyConflictError,
  type ApplyOptions,
  apply,
  conflictStatus,
  type FieldPath,
  fieldSet,
  fromFieldsV1,
  LAST_APPLIED_ANNOTATION,
  type ManagedFieldsEntry,
  recordUpdate,
  toFieldsV1,
} from './index.ts';
import { deployment, LATER, listMeta, NOW, T0, T1 } from './internal/fixtures.ts';

type Obj = Record<string, unknown>;
// biome-ignore lint/suspicious/noExplicitAny: tests read nested fields freely
type Any = any;

const base = { apiVersion: 'apps/v1', listMeta, now: NOW };
const applyAs = (manager: string, applied: Obj, current?: Obj, o: Partial<ApplyOptions> = {}) => apply({ ...base, manager, applied, current, ...o });

/** What the store adds on create: server-owned metadata and an unowned default. */
function stored(obj: Obj): Obj {
  const o = structuredClone(obj) as Any;
  o.metadata = { ...o.metadata, uid: 'uid-1', resourceVersion: '1', generation: 1, creationTimestamp: T0 };
  o.spec.strategy ??= { type: 'RollingUpdate' };
  return o;
}

/** Created by client-side apply: an Update entry for kubectl-client-side-apply. */
function createdByUpdate(obj: Obj, manager = 'kubectl-client-side-apply'): Obj {
  const managedFields = recordUpdate({ ...base, next: obj, manager });
  const o = stored(obj) as Any;
  o.metadata.managedFields = managedFields;
  return o;
}

const entry = (r: { managedFields: ManagedFieldsEntry[] }, manager: string) => r.managedFields.find((e) => e.manager === manager);
const owns = (e: ManagedFieldsEntry | undefined, path: FieldPath) => fromFieldsV1(e?.fieldsV1 ?? {}).has(path);
const REPLICAS = ['f:spec', 'f:replicas'];
const NGINX_IMAGE = ['f:spec', 'f:template', 'f:spec', 'f:containers', 'k:{"name":"nginx"}', 'f:image'];

function conflictOf(fn: () => unknown): ApplyConflictError {
  try {
    fn();
  } catch (e) {
    if (e instanceof ApplyConflictError) return e;
    throw e;
  }
  throw new Error('expected an apply conflict');
}

describe('apply', () => {
  it('creates: the object is the applied configuration, owned by one Apply entry', () => {
    const cfg = deployment({ replicas: 2 });
    const r = applyAs('kubectl', cfg);
    expect(r.changed).toBe(true);
    expect(r.managedFields).toEqual([
      {
        manager: 'kubectl',
        operation: 'Apply',
        apiVersion: 'apps/v1',
        time: T0,
        fieldsType: 'FieldsV1',
        fieldsV1: {
          'f:spec': {
            'f:replicas': {},
            'f:selector': {},
            'f:template': {
              'f:metadata': { 'f:labels': { 'f:app': {} } },
              'f:spec': { 'f:containers': { 'k:{"name":"nginx"}': { 'f:image': {}, 'f:name': {}, '.': {} } } },
            },
          },
        },
      },
    ]);
    expect(r.object).toEqual({ ...cfg, metadata: { ...(cfg.metadata as Obj), managedFields: r.managedFields } });
  });

  it('re-applying without a field removes it, and a dropped list element goes whole', () => {
    const first = applyAs(
      'kubectl',
      deployment({
        replicas: 3,
        labels: { app: 'web', tier: 'frontend' },
        containers: [
          { name: 'nginx', image: 'nginx:1.25' },
          { name: 'sidecar', image: 'envoy:1' },
        ],
      }),
    );
    const second = applyAs('kubectl', deployment({ labels: { app: 'web' } }), stored(first.object), { now: LATER });
    const o = second.object as Any;
    expect(o.spec.replicas).toBeUndefined();
    expect(o.metadata.labels).toEqual({ app: 'web' });
    expect(o.spec.template.spec.containers).toEqual([{ name: 'nginx', image: 'nginx:1.25' }]);
    // Not applied by anyone, so not pruned: server defaults and server metadata stay.
    expect(o.spec.strategy).toEqual({ type: 'RollingUpdate' });
    expect(o.metadata.uid).toBe('uid-1');
    expect(second.managedFields).toHaveLength(1);
    expect(toFieldsV1(fromFieldsV1(second.managedFields[0]!.fieldsV1))).toEqual(toFieldsV1(fieldSet(deployment({ labels: { app: 'web' } }), listMeta)));
    expect(second.managedFields[0]!.time).toBe(T1);
  });

  it('removes a label map that the applier emptied', () => {
    const first = applyAs('kubectl', deployment({ labels: { tier: 'frontend' } }));
    const second = applyAs('kubectl', deployment(), stored(first.object));
    expect((second.object as Any).metadata.labels).toBeUndefined();
  });

  it('two appliers with the same value share the field; it stays while one still applies it', () => {
    const alice = applyAs('alice', deployment({ replicas: 3 }));
    const bob = applyAs('bob', deployment({ replicas: 3 }), stored(alice.object));
    expect(owns(entry(bob, 'alice'), REPLICAS)).toBe(true);
    expect(owns(entry(bob, 'bob'), REPLICAS)).toBe(true);

    // bob now wants 5: alice owns it too, so that is a conflict (an applier is named without "using").
    const err = conflictOf(() => applyAs('bob', deployment({ replicas: 5 }), bob.object));
    expect(err.message).toBe('Apply failed with 1 conflict: conflict with "alice": .spec.replicas');

    // alice drops replicas: bob still applies it, so it stays.
    const aliceAgain = applyAs('alice', deployment(), bob.object);
    expect((aliceAgain.object as Any).spec.replicas).toBe(3);
    expect(owns(entry(aliceAgain, 'alice'), REPLICAS)).toBe(false);
    expect(owns(entry(aliceAgain, 'bob'), REPLICAS)).toBe(true);
  });

  describe('conflicts with an Update manager', () => {
    const live = createdByUpdate(deployment({ replicas: 3 }));

    it('one changed field: upstream message and cause', () => {
      const err = conflictOf(() => applyAs('ssa-user', deployment({ replicas: 5 }), live));
      expect(err.code).toBe(409);
      expect(err.reason).toBe('Conflict');
      expect(err.message).toBe('Apply failed with 1 conflict: conflict with "kubectl-client-side-apply" using apps/v1: .spec.replicas');
      expect(err.toStatus().details?.causes).toEqual([
        { reason: 'FieldManagerConflict', message: 'conflict with "kubectl-client-side-apply" using apps/v1', field: '.spec.replicas' },
      ]);
      expect(err.conflicts).toEqual([{ manager: 'kubectl-client-side-apply', operation: 'Update', apiVersion: 'apps/v1', field: '.spec.replicas' }]);
    });

    it('several fields: one block per manager, a line per field', () => {
      const cfg = deployment({ replicas: 5, containers: [{ name: 'nginx', image: 'nginx:1.26' }] });
      const err = conflictOf(() => applyAs('ssa-user', cfg, live));
      expect(err.message).toBe(
        'Apply failed with 2 conflicts: conflicts with "kubectl-client-side-apply" using apps/v1:\n' +
          '- .spec.replicas\n' +
          '- .spec.template.spec.containers[name="nginx"].image',
      );
      expect(err.toStatus().details?.causes?.map((c) => c.field)).toEqual(['.spec.replicas', '.spec.template.spec.containers[name="nginx"].image']);
    });

    it('the same value is no conflict: ownership is shared', () => {
      const r = applyAs('ssa-user', deployment({ replicas: 3 }), live);
      expect(owns(entry(r, 'ssa-user'), REPLICAS)).toBe(true);
      expect(owns(entry(r, 'kubectl-client-side-apply'), REPLICAS)).toBe(true);
      expect(r.managedFields.map((e) => e.operation)).toEqual(['Apply', 'Update']);
    });

    it('force takes the field: the value changes and the other manager loses it', () => {
      const cfg = deployment({ replicas: 5, containers: [{ name: 'nginx', image: 'nginx:1.26' }] });
      const r = applyAs('ssa-user', cfg, live, { force: true });
      const o = r.object as Any;
      expect(o.spec.replicas).toBe(5);
      expect(o.spec.template.spec.containers[0].image).toBe('nginx:1.26');
      const csa = entry(r, 'kubectl-client-side-apply');
      expect(owns(csa, REPLICAS)).toBe(false);
      expect(owns(csa, NGINX_IMAGE)).toBe(false);
      expect(owns(csa, ['f:spec', 'f:selector'])).toBe(true);
      expect(owns(entry(r, 'ssa-user'), REPLICAS)).toBe(true);
    });
  });

  it('groups conflicts by manager, managers sorted', () => {
    let live = createdByUpdate(deployment({ replicas: 3 }), 'zeta');
    const scaled = structuredClone(live) as Any;
    scaled.spec.template.spec.containers[0].image = 'nginx:1.24';
    scaled.metadata.managedFields = recordUpdate({ ...base, previous: live, next: scaled, manager: 'alpha' });
    live = scaled;
    const cfg = deployment({ replicas: 5, containers: [{ name: 'nginx', image: 'nginx:1.26' }] });
    const err = conflictOf(() => applyAs('me', cfg, live));
    expect(err.message).toBe(
      'Apply failed with 2 conflicts: conflicts with "alpha" using apps/v1:\n' +
        '- .spec.template.spec.containers[name="nginx"].image\n' +
        'conflicts with "zeta" using apps/v1:\n' +
        '- .spec.replicas',
    );
  });

  it('kubectl --server-side takes over fields the last-applied annotation still matches', () => {
    const cfg = deployment({ replicas: 3 });
    const withAnnotation = structuredClone(cfg) as Any;
    withAnnotation.metadata.annotations = { [LAST_APPLIED_ANNOTATION]: `${JSON.stringify(cfg)}\n` };
    const live = createdByUpdate(withAnnotation);

    // Another manager still conflicts.
    expect(() => applyAs('someone', deployment({ replicas: 5 }), live)).toThrow(ApplyConflictError);

    const r = applyAs('kubectl', deployment({ replicas: 5 }), live);
    const o = r.object as Any;
    expect(o.spec.replicas).toBe(5);
    expect(owns(entry(r, 'kubectl-client-side-apply'), REPLICAS)).toBe(false);
    // The annotation now holds the server-side applied configuration.
    expect(JSON.parse(o.metadata.annotations[LAST_APPLIED_ANNOTATION]).spec.replicas).toBe(5);
  });

  it('an object without managed fields is owned by before-first-apply on its first apply', () => {
    const legacy = stored(deployment({ replicas: 3 }));
    const err = conflictOf(() => applyAs('kubectl', deployment({ replicas: 4 }), legacy));
    expect(err.message).toBe('Apply failed with 1 conflict: conflict with "before-first-apply" using apps/v1: .spec.replicas');
    const r = applyAs('kubectl', deployment({ replicas: 3 }), legacy);
    expect(r.managedFields.map((e) => `${e.operation}:${e.manager}`)).toEqual(['Apply:kubectl', 'Update:before-first-apply']);
  });

  it('a no-op apply changes nothing, not even the times', () => {
    const first = applyAs('kubectl', deployment({ replicas: 3 }));
    const live = stored(first.object) as Any;
    live.spec.template.metadata.creationTimestamp = null; // as kubectl create sends it: kept
    const again = applyAs('kubectl', deployment({ replicas: 3 }), live, { now: LATER });
    expect(again.changed).toBe(false);
    expect(again.object).toEqual(live);
    expect(again.managedFields[0]!.time).toBe(T0);
  });

  it('merges associative lists by key: live items keep their place, applied ones follow the applied order', () => {
    const live = createdByUpdate(
      deployment({
        containers: [
          { name: 'a', image: 'a' },
          { name: 'b', image: 'b' },
        ],
      }),
    );
    const cfg = deployment({
      containers: [
        { name: 'c', image: 'c' },
        { name: 'a', image: 'a' },
      ],
    });
    const r = applyAs('me', cfg, live);
    expect((r.object as Any).spec.template.spec.containers.map((c: Any) => c.name)).toEqual(['c', 'a', 'b']);
  });

  it('matches a port applied without protocol to the defaulted live port', () => {
    const live = createdByUpdate(deployment({ containers: [{ name: 'web', ports: [{ containerPort: 80, protocol: 'TCP' }] }] }));
    const r = applyAs('me', deployment({ containers: [{ name: 'web', ports: [{ containerPort: 80, name: 'http' }] }] }), live);
    expect((r.object as Any).spec.template.spec.containers[0].ports).toEqual([{ containerPort: 80, protocol: 'TCP', name: 'http' }]);
  });

  it('replaces atomic lists and merges sets', () => {
    const live = createdByUpdate(deployment({ containers: [{ name: 'web', args: ['a', 'b'] }], meta: { finalizers: ['x.example.com/a'] } }));
    const r = applyAs('me', deployment({ containers: [{ name: 'web', args: ['c'] }], meta: { finalizers: ['x.example.com/b'] } }), live, {
      force: true,
    });
    const o = r.object as Any;
    expect(o.spec.template.spec.containers[0].args).toEqual(['c']);
    expect(o.metadata.finalizers).toEqual(['x.example.com/a', 'x.example.com/b']);
  });

  it('a null in the applied configuration removes the field', () => {
    const first = applyAs('kubectl', deployment({ replicas: 3 }));
    const cfg = deployment() as Any;
    cfg.spec.replicas = null;
    const r = applyAs('kubectl', cfg, stored(first.object));
    expect('replicas' in (r.object as Any).spec).toBe(false);
  });

  it('rejects what upstream rejects with 400', () => {
    const bad = (cfg: Obj, o: Partial<ApplyOptions> = {}) => {
      try {
        applyAs('kubectl', cfg, undefined, o);
      } catch (e) {
        if (isStatusError(e)) return `${e.code} ${e.message}`;
        throw e;
      }
      return 'accepted';
    };
    expect(bad(deployment({ meta: { managedFields: [] } }))).toBe('400 metadata.managedFields must be nil');
    expect(bad({ ...deployment(), apiVersion: 'apps/v1beta1' })).toBe(
      '400 Incorrect version specified in apply patch. Specified patch version: apps/v1beta1, expected: apps/v1',
    );
    expect(bad({ ...deployment(), kind: 'StatefulSet' }, { kind: 'Deployment' })).toBe('400 invalid object type: apps/v1, Kind=StatefulSet');
    const dup = deployment({ containers: [{ name: 'nginx' }, { name: 'nginx' }] });
    expect(bad(dup)).toBe(
      '400 failed to create typed patch object (default/web; apps/v1, Kind=Deployment): ' +
        '.spec.template.spec.containers: duplicate entries for key [name="nginx"]',
    );
  });

  it('conflictStatus gives the message and causes for the 409 body', () => {
    expect(conflictStatus([{ manager: 'x', operation: 'Update', apiVersion: 'apps/v1', subresource: 'status', field: '.status.replicas' }])).toEqual({
      message: 'Apply failed with 1 conflict: conflict with "x" with subresource "status" using apps/v1: .status.replicas',
      causes: [{ reason: 'FieldManagerConflict', message: 'conflict with "x" with subresource "status" using apps/v1', field: '.status.replicas' }],
    });
  });
});
