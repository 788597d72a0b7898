import { mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ensureStateDir } from './state-dir.ts';

const root = mkdtempSync(join(tmpdir(), 'state-dir-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const mode = (p: string) => (statSync(p).mode & 0o777).toString(8);

describe('ensureStateDir', () => {
  it('creates a missing directory, parents included, owner-only (0700)', () => {
    const dir = join(root, 'a', 'b');
    ensureStateDir(dir);
    expect(mode(dir)).toBe('700');
  });

  it('narrows an existing directory that others could read (0755 -> 0700)', () => {
    const dir = join(root, 'wide');
    mkdirSync(dir, { mode: 0o755 });
    expect(mode(dir)).toBe('755');
    ensureStateDir(dir);
    expect(mode(dir)).toBe('700');
  });
});
