import type { ControllerRevision, KubeObject } from '@minik8s/api';
import { labelSelectorAsSelector } from '@minik8s/api/selectors';
import { startTestApiServer, type TestApiServer } from '@minik8s/apiserver/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fnv32, fnv32a } from './hash.ts';
import {
  CONTROLLER_REVISION_HASH,
  claimRevisions,
  controllerRevisionName,
  createControllerRevision,
  equalRevision,
  hashControllerRevision,
  newControllerRevision,
  nextRevision,
  revisionsToTruncate,
  sortRevisions,
} from './history.ts';
import { CONTROLLER_REVISIONS, DAEMON_SETS } from './resources.ts';

const KIND = { apiVersion: 'apps/v1', kind: 'DaemonSet' };
const parent = { apiVersion: 'apps/v1', kind: 'DaemonSet', metadata: { name: 'ds', namespace: 'default', uid: 'u-1' } } as KubeObject;
const rev = (name: string, revision: number, data: unknown = { v: name }, labels: Record<string, string> = {}): ControllerRevision => ({
  metadata: { name, namespace: 'default', labels, creationTimestamp: '2026-01-01T00:00:00Z' },
  data: data as ControllerRevision['data'],
  revision,
});

describe('controller history', () => {
  it('hashes as Go does: FNV-32 and FNV-32a test vectors', () => {
    expect(fnv32(new TextEncoder().encode('a'))).toBe(0x050c5d7e);
    expect(fnv32a(new TextEncoder().encode('a'))).toBe(0xe40c292c);
  });

  it('names revisions <parent>-<hash>, the hash moving with the data and the collision count', () => {
    const h = hashControllerRevision({ a: 1, b: 2 });
    expect(h).toMatch(/^[bcdfghjklmnpqrstvwxz2456789]{6,10}$/);
    expect(hashControllerRevision({ b: 2, a: 1 })).toBe(h);
    expect(hashControllerRevision({ a: 1, b: 3 })).not.toBe(h);
    expect(hashControllerRevision({ a: 1, b: 2 }, 1)).not.toBe(h);
    expect(controllerRevisionName('x'.repeat(300), 'abc')).toBe(`${'x'.repeat(223)}-abc`);
    const r = newControllerRevision({ parent, parentKind: KIND, templateLabels: { app: 'a' }, data: { a: 1, b: 2 }, revision: 3 });
    expect(r.metadata.name).toBe(`ds-${h}`);
    expect(r.metadata.labels).toEqual({ app: 'a', [CONTROLLER_REVISION_HASH]: h });
    expect(r.metadata.ownerReferences).toEqual([
      { apiVersion: 'apps/v1', kind: 'DaemonSet', name: 'ds', uid: 'u-1', controller: true, blockOwnerDeletion: true },
    ]);
    expect(r.revision).toBe(3);
  });

  it('compares, sorts and numbers revisions', () => {
    expect(equalRevision(rev('a', 1, { x: [1, 2] }), rev('b', 2, { x: [1, 2] }))).toBe(true);
    expect(equalRevision(rev('a', 1, { x: [1, 2] }), rev('b', 2, { x: [2, 1] }))).toBe(false);
    expect(sortRevisions([rev('c', 3), rev('a', 1), rev('b', 2)]).map((r) => r.revision)).toEqual([1, 2, 3]);
    expect(nextRevision([])).toBe(1);
    expect(nextRevision([rev('a', 4), rev('b', 2)])).toBe(5);
  });

  it('truncates the oldest revisions beyond the limit, never a live one', () => {
    const old = [
      rev('r1', 1, {}, { [CONTROLLER_REVISION_HASH]: 'h1' }),
      rev('r2', 2, {}, { [CONTROLLER_REVISION_HASH]: 'h2' }),
      rev('r3', 3, {}, { [CONTROLLER_REVISION_HASH]: 'h3' }),
    ];
    expect(revisionsToTruncate(old, new Set(), 1).map((r) => r.metadata.name)).toEqual(['r1', 'r2']);
    expect(revisionsToTruncate(old, new Set(['h1']), 1).map((r) => r.metadata.name)).toEqual(['r2', 'r3']);
    expect(revisionsToTruncate(old, new Set(['r2']), 1).map((r) => r.metadata.name)).toEqual(['r1', 'r3']);
    expect(revisionsToTruncate(old, new Set(), 10)).toEqual([]);
    expect(revisionsToTruncate(old, new Set(), 0)).toHaveLength(3);
  });

  describe('against an API server', () => {
    let server: TestApiServer;
    beforeAll(async () => {
      server = await startTestApiServer();
    });
    afterAll(async () => {
      await server?.close();
    });

    it('creates a revision, finds the same one again, and moves to another name on a hash collision', async () => {
      const { client } = server;
      const ds = await client.create<KubeObject>(DAEMON_SETS, {
        apiVersion: 'apps/v1',
        kind: 'DaemonSet',
        metadata: { name: 'hist', namespace: 'default' },
        spec: {
          selector: { matchLabels: { app: 'hist' } },
          template: { metadata: { labels: { app: 'hist' } }, spec: { containers: [{ name: 'c', image: 'busybox' }] } },
        },
      } as KubeObject);
      const o = { parent: ds, parentKind: KIND, templateLabels: { app: 'hist' }, data: { spec: 1 }, revision: 1 };
      const first = await createControllerRevision(client, o);
      expect(first.collisionCount).toBe(0);
      expect(first.revision.metadata.uid).toBeDefined();
      const again = await createControllerRevision(client, o);
      expect(again.revision.metadata.uid).toBe(first.revision.metadata.uid);
      // Other data under the same name: a collision, so the count goes up and the name changes.
      const other = await createControllerRevision(client, {
        ...o,
        data: { spec: 2 },
        hashFor: (cc) => (cc === 0 ? revisionHashOf(first.revision) : `x${cc}`),
      });
      expect(other.collisionCount).toBe(1);
      expect(other.revision.metadata.name).toBe('hist-x1');

      // Listing: an orphan the selector matches is adopted; someone else's is left alone.
      await client.create<ControllerRevision>(CONTROLLER_REVISIONS, {
        ...rev('orphan', 7),
        metadata: { name: 'orphan', namespace: 'default', labels: { app: 'hist' } },
      });
      await client.create<ControllerRevision>(CONTROLLER_REVISIONS, {
        ...rev('theirs', 8),
        metadata: {
          name: 'theirs',
          namespace: 'default',
          labels: { app: 'hist' },
          ownerReferences: [{ apiVersion: 'apps/v1', kind: 'DaemonSet', name: 'x', uid: 'u-x', controller: true }],
        },
      });
      const all = (await client.list<ControllerRevision>({ ...CONTROLLER_REVISIONS, namespace: 'default' })).items;
      const mine = await claimRevisions({
        client,
        parent: ds,
        parentKind: KIND,
        parentResource: DAEMON_SETS,
        selector: labelSelectorAsSelector({ matchLabels: { app: 'hist' } }),
        candidates: all,
      });
      expect(mine.map((r) => r.metadata.name).sort()).toEqual([first.revision.metadata.name, 'hist-x1', 'orphan'].sort());
      expect(mine.find((r) => r.metadata.name === 'orphan')!.metadata.ownerReferences?.[0]?.uid).toBe(ds.metadata.uid);
    });
  });
});

const revisionHashOf = (r: ControllerRevision) => r.metadata.labels![CONTROLLER_REVISION_HASH]!;
