/**
 * schema/ is what the generator derives from the stock kubectl on the PATH (which must be
 * 1.32), as Biome formats it.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { findOnPath, generate, SCHEMA_DIR } from './internal/generate-schema.ts';

function clientMinor(kubectl: string): string | undefined {
  const out = execFileSync(kubectl, ['version', '--client', '-o', 'json'], { encoding: 'utf8', env: { ...process.env, KUBECONFIG: '/dev/null' } });
  return (JSON.parse(out) as { clientVersion?: { minor?: string } }).clientVersion?.minor?.replace(/\D+$/, '');
}

/** `content` as the repository's Biome settings format it at `path`. */
function biomeFormat(path: string, content: string): string {
  const biome = resolve(SCHEMA_DIR, '../../../../../node_modules/.bin/biome');
  return execFileSync(biome, ['format', `--stdin-file-path=${path}`], { input: content, encoding: 'utf8' });
}

describe('schema', () => {
  it('matches what the generator derives from the kubectl 1.32 on the PATH', () => {
    const kubectl = findOnPath('kubectl');
    expect(kubectl, 'kubectl on the PATH').toBeDefined();
    // The schema was generated from kubectl 1.32; another minor version would differ.
    expect(clientMinor(kubectl!), 'kubectl client minor version').toBe('32');
    for (const [file, content] of Object.entries(generate(kubectl!))) {
      const path = join(SCHEMA_DIR, file);
      expect(readFileSync(path, 'utf8'), file).toBe(biomeFormat(path, content));
    }
  });
});
