import { describe, expect, it } from 'vitest';
import { apply, type FieldPath, fromFieldsV1, type ManagedFieldsEntry, recordUpdate } from './index.ts';
import { deployment, LATER, listMeta, NOW, T0, T1 } from './internal/fixtures.ts';

type Obj = Record<string, unknown>;
// biome-ignore lint/suspicious/noExplicitAny: tests read nested fields freely
type Any = any;

const base = { apiVersion: 'apps/v1', listMeta, now: NOW };
const withFields = (obj: Obj, managedFields: ManagedFieldsEntry[]): Obj => {
  const o = structuredClone(obj) as Any;
  if (managedFields.length) o.metadata.managedFields = managedFields;
  return o;
};
const paths = (e: ManagedFieldsEntry | undefined) => fromFieldsV1(e?.fieldsV1 ?? {});
const owns = (e: ManagedFieldsEntry | undefined, path: FieldPath) => paths(e).has(path);
const REPLICAS = ['f:spec', 'f:replicas'];

/** A stored object created by `manager`. */
function created(obj: Obj, manager = 'kubectl-create'): Obj {
  return withFields(obj, recordUpdate({ ...base, next: obj, manager }));
}

/** The stored object after `manager` writes `edit(copy)` over `prev`. */
function updated(prev: Obj, manager: string, edit: (o: Any) => void, o: { apiVersion?: string; now?: Date; subresource?: string } = {}) {
  const next = structuredClone(prev) as Any;
  edit(next);
  const managedFields = recordUpdate({ ...base, now: LATER, ...o, previous: prev, next, manager });
  return { object: withFields({ ...next, metadata: { ...next.metadata, managedFields: undefined } }, managedFields), managedFields };
}

describe('recordUpdate', () => {
  it('on create the manager owns everything it set (maps it added marked with ".")', () => {
    const mf = recordUpdate({ ...base, next: deployment({ replicas: 1, labels: { app: 'web' } }), manager: 'kubectl-create' });
    expect(mf).toEqual([
      {
        manager: 'kubectl-create',
        operation: 'Update',
        apiVersion: 'apps/v1',
        time: T0,
        fieldsType: 'FieldsV1',
        fieldsV1: {
          'f:metadata': { 'f:labels': { 'f:app': {}, '.': {} } },
          'f:spec': {
            'f:replicas': {},
            'f:selector': {},
            'f:template': {
              'f:metadata': { 'f:labels': { 'f:app': {}, '.': {} }, '.': {} },
              'f:spec': {
                'f:containers': { 'k:{"name":"nginx"}': { 'f:image': {}, 'f:name': {}, '.': {} }, '.': {} },
                '.': {},
              },
              '.': {},
            },
            '.': {},
          },
        },
      },
    ]);
  });

  it('moves changed fields to the writer and keeps the rest with their owners', () => {
    const live = created(deployment({ replicas: 1 }), 'kubectl-client-side-apply');
    const { managedFields } = updated(live, 'kube-controller-manager', (o) => {
      o.spec.replicas = 3;
    });
    expect(managedFields.map((e) => `${e.manager}@${e.time}`)).toEqual(['kubectl-client-side-apply@' + T0, `kube-controller-manager@${T1}`]);
    const [csa, kcm] = managedFields;
    expect(paths(kcm).paths()).toEqual([REPLICAS]);
    expect(owns(csa, REPLICAS)).toBe(false);
    expect(owns(csa, ['f:spec', 'f:selector'])).toBe(true);
  });

  it('takes fields from appliers too, so that their next apply conflicts', () => {
    const applied = apply({ ...base, manager: 'kubectl', applied: deployment({ replicas: 2 }) });
    const { object, managedFields } = updated(applied.object, 'kubectl-scale', (o) => {
      o.spec.replicas = 4;
    });
    expect(
      owns(
        managedFields.find((e) => e.manager === 'kubectl'),
        REPLICAS,
      ),
    ).toBe(false);
    expect(() => apply({ ...base, manager: 'kubectl', applied: deployment({ replicas: 2 }), current: object })).toThrow(
      'Apply failed with 1 conflict: conflict with "kubectl-scale" using apps/v1: .spec.replicas',
    );
  });

  it('drops removed fields from every owner, and entries left empty', () => {
    const live = created(deployment({ replicas: 1 }));
    const scaled = updated(live, 'scaler', (o) => {
      o.spec.replicas = 2;
    }).object;
    const { managedFields } = updated(scaled, 'editor', (o) => {
      delete o.spec.replicas;
    });
    expect(managedFields.map((e) => e.manager)).toEqual(['kubectl-create']);
    expect(owns(managedFields[0], REPLICAS)).toBe(false);
  });

  it('merges a manager’s new fields with what it owned, and keeps one entry per API version', () => {
    const live = created(deployment({ replicas: 1 }));
    const a = updated(live, 'tool', (o) => {
      o.spec.replicas = 2;
    }).object;
    const b = updated(a, 'tool', (o) => {
      o.spec.paused = true;
    });
    const tool = b.managedFields.filter((e) => e.manager === 'tool');
    expect(tool).toHaveLength(1);
    expect(paths(tool[0]).paths()).toEqual([['f:spec', 'f:paused'], REPLICAS]);

    const c = updated(
      b.object,
      'tool',
      (o) => {
        o.spec.minReadySeconds = 5;
      },
      { apiVersion: 'apps/v1beta2' },
    );
    expect(c.managedFields.filter((e) => e.manager === 'tool').map((e) => e.apiVersion)).toEqual(['apps/v1', 'apps/v1beta2']);
  });

  it('an unchanged write keeps the entries as they were', () => {
    const live = created(deployment({ replicas: 1 }));
    const { managedFields } = updated(live, 'someone', () => {}, { now: LATER });
    expect(managedFields).toEqual((live as Any).metadata.managedFields);
  });

  it('does not start tracking on update of an object without managed fields', () => {
    const legacy = deployment({ replicas: 1 });
    expect(
      updated(legacy, 'x', (o) => {
        o.spec.replicas = 2;
      }).managedFields,
    ).toEqual([]);
  });

  it('resets on managedFields: [], and uses managed fields the client sent', () => {
    const live = created(deployment({ replicas: 1 }));
    expect(
      updated(live, 'x', (o) => {
        o.metadata.managedFields = [];
      }).managedFields,
    ).toEqual([]);

    const sent: ManagedFieldsEntry[] = [
      { manager: 'hand-written', operation: 'Update', apiVersion: 'apps/v1', time: T0, fieldsType: 'FieldsV1', fieldsV1: { 'f:spec': { 'f:replicas': {} } } },
    ];
    const r = updated(live, 'x', (o) => {
      o.metadata.managedFields = sent;
    });
    expect(r.managedFields).toEqual(sent);
  });

  it('status subresource writes own status only and are marked with the subresource', () => {
    const live = created(deployment({ replicas: 1 }));
    const { managedFields } = updated(
      live,
      'kube-controller-manager',
      (o) => {
        o.status = { replicas: 1, conditions: [{ type: 'Available', status: 'True' }] };
        o.spec.replicas = 9; // ignored: the status subresource resets spec
      },
      { subresource: 'status' },
    );
    const kcm = managedFields.find((e) => e.manager === 'kube-controller-manager')!;
    expect(kcm.subresource).toBe('status');
    expect(kcm.fieldsV1).toEqual({
      'f:status': {
        'f:conditions': { 'k:{"type":"Available"}': { 'f:status': {}, 'f:type': {}, '.': {} }, '.': {} },
        'f:replicas': {},
        '.': {},
      },
    });
    expect(
      owns(
        managedFields.find((e) => e.manager === 'kubectl-create'),
        REPLICAS,
      ),
    ).toBe(true);
  });

  it('merges the oldest of more than ten Update entries into ancient-changes', () => {
    let obj = created(deployment({ replicas: 0 }));
    for (let i = 1; i <= 11; i++) {
      obj = updated(
        obj,
        `writer-${String(i).padStart(2, '0')}`,
        (o) => {
          o.spec.template.metadata.labels[`l${i}`] = 'x';
        },
        { now: new Date(Date.parse(T0) + i * 1000) },
      ).object;
    }
    const mf = (obj as Any).metadata.managedFields as ManagedFieldsEntry[];
    expect(mf.filter((e) => e.operation === 'Update')).toHaveLength(10);
    const ancient = mf.find((e) => e.manager === 'ancient-changes')!;
    // Two caps: kubectl-create and writer-01 went in first, writer-02 joined later.
    expect(ancient.time).toBe('2024-05-01T10:00:02Z');
    expect(mf.filter((e) => ['kubectl-create', 'writer-01', 'writer-02'].includes(e.manager))).toEqual([]);
    expect(mf.some((e) => e.manager === 'writer-03')).toBe(true);
    expect(owns(ancient, REPLICAS)).toBe(true);
  });
});
