/**
 * The schema hangs together: every message parses, every reference resolves and every
 * kind exists (schema.kubectl.test.ts checks it against the kubectl on the PATH).
 */
import { describe, expect, it } from 'vitest';
import { KIND_MESSAGES, messageForKind } from './kinds.ts';
import { SCHEMA } from './schema.ts';

describe('schema', () => {
  it('parses every message, and every field type names a known message', () => {
    for (const name of SCHEMA.names()) {
      const spec = SCHEMA.message(name);
      const jsonNames = new Set<string>();
      for (const f of spec.fields) {
        if ('message' in f.type) expect(SCHEMA.has(f.type.message), `${name}.${f.json} → ${f.type.message}`).toBe(true);
        if (f.json !== '...') {
          expect(jsonNames.has(f.json), `${name}.${f.json} twice`).toBe(false);
          jsonNames.add(f.json);
        }
      }
    }
  });

  it('has every kind, with metadata as field 1 (options aside)', () => {
    for (const kind of KIND_MESSAGES) {
      const spec = SCHEMA.message(kind);
      if (kind !== 'meta.v1.DeleteOptions') expect(spec.byNumber.get(1)?.json, kind).toBe('metadata');
    }
  });

  it('maps apiVersion and kind to messages', () => {
    expect(messageForKind('v1', 'Pod')).toBe('core.v1.Pod');
    expect(messageForKind('rbac.authorization.k8s.io/v1', 'ClusterRole')).toBe('rbac.v1.ClusterRole');
    expect(messageForKind('batch/v1', 'DeleteOptions')).toBe('meta.v1.DeleteOptions');
    expect(messageForKind('v1', 'PodSpec')).toBeUndefined();
    expect(messageForKind('apps/v1beta1', 'Deployment')).toBeUndefined();
    expect(messageForKind('example.com/v1', 'Role')).toBeUndefined();
  });
});
