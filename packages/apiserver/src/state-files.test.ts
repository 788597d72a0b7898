/**
 * What the API server leaves on disk is private to it: every directory 0700 (as etcd keeps
 * its data directory), keys, the store's log and the admin kubeconfig 0600. A data
 * directory left world-readable by an older version is narrowed on the next start.
 */
import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startApiServer } from './main.ts';

const root = mkdtempSync(join(tmpdir(), 'apiserver-state-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const mode = (p: string) => (statSync(p).mode & 0o777).toString(8);

describe('the API server state directory', () => {
  it('is 0700 throughout, with keys, WAL segments and the admin kubeconfig 0600, and a wider existing directory is narrowed', async () => {
    const data = join(root, 'data');
    mkdirSync(data, { mode: 0o755 });
    const server = await startApiServer({ dataDir: data, securePort: 0 });
    try {
      for (const dir of [data, join(data, 'pki'), join(data, 'etcd'), join(data, 'etcd', 'wal'), join(data, 'etcd', 'db')]) {
        expect({ dir, mode: mode(dir) }).toEqual({ dir, mode: '700' });
      }
      const keys = readdirSync(join(data, 'pki')).filter((f) => f.endsWith('.key'));
      expect(keys).toContain('ca.key');
      for (const f of keys) expect({ f, mode: mode(join(data, 'pki', f)) }).toEqual({ f, mode: '600' });
      const wal = readdirSync(join(data, 'etcd', 'wal')).filter((f) => f.endsWith('.wal'));
      expect(wal.length).toBeGreaterThan(0);
      for (const f of wal) expect({ f, mode: mode(join(data, 'etcd', 'wal', f)) }).toEqual({ f, mode: '600' });
      expect(mode(server.kubeconfigPath)).toBe('600');
    } finally {
      await server.close();
    }
  });
});
