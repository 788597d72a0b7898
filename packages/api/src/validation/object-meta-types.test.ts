import { describe, expect, it } from 'vitest';
import { validateObjectMeta } from './object-meta.ts';

describe('validateObjectMeta on values of the wrong JSON type', () => {
  const check = (meta: unknown) => validateObjectMeta(meta as never, { namespaced: true, nameRule: 'subdomain' });

  it('reports type errors instead of throwing, and runs no rule on them', () => {
    expect(check({ name: 5, namespace: 'default' })).toEqual([
      {
        reason: 'FieldValueTypeInvalid',
        field: 'metadata.name',
        message: 'Invalid value: "integer": metadata.name in body must be of type string: "integer"',
      },
    ]);
    expect(check({ name: 'a', namespace: 'default', labels: { x: 1.5, ok: 'v' }, annotations: [] })).toEqual([
      expect.objectContaining({ field: 'metadata.labels.x', message: expect.stringContaining('must be of type string: "number"') }),
      expect.objectContaining({ field: 'metadata.annotations', message: expect.stringContaining('must be of type object: "array"') }),
    ]);
    expect(check({ name: 'a', namespace: ['x'], generation: 'one' }).map((c) => c.field)).toEqual(['metadata.namespace', 'metadata.generation']);
  });

  it('still validates values of the right type', () => {
    expect(check({ name: 'a', namespace: 'default', labels: { x: 'v' } })).toEqual([]);
  });
});
