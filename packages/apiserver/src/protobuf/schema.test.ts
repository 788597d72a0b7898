/**
 * The schema hangs together: every message parses, every reference resolves, every kind
 * exists, and schema/ is what the generator derives from the kubectl on the PATH.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { findOnPath, generate, SCHEMA_DIR } from './internal/generate-schema.ts';
import { KIND_MESSAGES, messageForKind } from './kinds.ts';
import { SCHEMA } from './schema.ts';

function clientMinor(kubectl: string): string | undefined {
  try {
    const out = execFileSync(kubectl, ['version', '--client', '-o', 'json'], { encoding: 'utf8', env: { ...process.env, KUBECONFIG: '/dev/null' } });
    return (JSON.parse(out) as { clientVersion?: { minor?: string } }).clientVersion?.minor?.replace(/\D+$/, '');
  } catch {
    return undefined;
  }
}

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

  // The schema was generated from kubectl 1.32; another minor version would differ.
  const kubectl = findOnPath('kubectl');
  const minor = kubectl ? clientMinor(kubectl) : undefined;
  it.skipIf(minor !== '32')('matches what the generator derives from the kubectl 1.32 on the PATH', () => {
    for (const [file, content] of Object.entries(generate(kubectl!))) expect(readFileSync(join(SCHEMA_DIR, file), 'utf8'), file).toBe(content);
  });
});
