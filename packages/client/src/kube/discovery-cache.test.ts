import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Discovery } from './discovery.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A fake server answering aggregated discovery; `kinds` can grow between calls. */
function fakeServer(kinds: string[]) {
  const paths: string[] = [];
  const aggregated = (core: boolean) => ({
    kind: 'APIGroupDiscoveryList',
    apiVersion: 'apidiscovery.k8s.io/v2',
    items: core
      ? [
          {
            metadata: {},
            versions: [
              {
                version: 'v1',
                resources: kinds.map((k) => ({
                  resource: `${k.toLowerCase()}s`,
                  responseKind: { group: '', version: 'v1', kind: k },
                  scope: 'Namespaced',
                  verbs: ['get'],
                })),
              },
            ],
          },
        ]
      : [],
  });
  return {
    paths,
    request: async <T>(o: { path: string }) => {
      paths.push(o.path);
      return aggregated(o.path === '/api') as T;
    },
  };
}

describe('Discovery disk cache', () => {
  it('answers later processes from the file, and asks again when a type is missing', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'discovery-cache-'));
    dirs.push(dir);
    const file = join(dir, 'discovery.json');
    const kinds = ['Pod'];
    const server = fakeServer(kinds);
    expect((await new Discovery(server, { file }).resolve('pods')).kind).toBe('Pod');
    expect(server.paths).toEqual(['/api', '/apis']);

    // A second process: no request at all.
    expect((await new Discovery(server, { file }).resolve('pod')).kind).toBe('Pod');
    expect(server.paths).toHaveLength(2);

    // A type the cached answer lacks: one fresh look finds it.
    kinds.push('Widget');
    expect((await new Discovery(server, { file }).resolve('widgets')).kind).toBe('Widget');
    expect(server.paths).toHaveLength(4);
    await expect(new Discovery(server, { file }).resolve('nothing')).rejects.toThrow('the server doesn\'t have a resource type "nothing"');
  });

  it('does not trust a cache older than its time to live', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'discovery-cache-'));
    dirs.push(dir);
    const file = join(dir, 'discovery.json');
    const server = fakeServer(['Pod']);
    await new Discovery(server, { file }).resources();
    await new Discovery(server, { file, ttlMs: -1 }).resources();
    expect(server.paths).toEqual(['/api', '/apis', '/api', '/apis']);
  });
});
