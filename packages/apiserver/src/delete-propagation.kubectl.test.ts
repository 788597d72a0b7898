/**
 * DELETE with a propagation policy, as `kubectl delete --cascade=...` sends it:
 * Foreground and Orphan leave the object marked for deletion with the garbage
 * collector's finalizer on it; Background (the default) removes it at once.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApiServer, type TestApiServer } from './testing/cluster.ts';

describe('delete propagation policies', () => {
  let s: TestApiServer;
  beforeAll(async () => {
    s = await startTestApiServer();
  });
  afterAll(async () => {
    await s?.close();
  });
  const json = async (...args: string[]) => JSON.parse((await s.kubectl([...args, '-o', 'json'])).stdout);
  const deployment = (name: string) => ['create', 'deployment', name, '--image=nginx:1.25'];

  it('--cascade=foreground marks the object and adds foregroundDeletion; it goes when the finalizer does', async () => {
    await s.kubectl(deployment('fg'));
    expect((await s.kubectl(['delete', 'deploy', 'fg', '--cascade=foreground', '--wait=false'])).stdout).toBe('deployment.apps "fg" deleted\n');
    const d = await json('get', 'deploy', 'fg');
    expect(d.metadata.finalizers).toEqual(['foregroundDeletion']);
    expect(d.metadata.deletionTimestamp).toMatch(/Z$/);
    // Deleting again with another policy swaps the garbage collector's finalizer.
    await s.kubectl(['delete', 'deploy', 'fg', '--cascade=orphan', '--wait=false']);
    expect((await json('get', 'deploy', 'fg')).metadata.finalizers).toEqual(['orphan']);
    await s.kubectl(['patch', 'deploy', 'fg', '--type=json', '-p', '[{"op":"remove","path":"/metadata/finalizers"}]']);
    expect((await s.kubectl(['get', 'deploy', 'fg'])).code).toBe(1);
  });

  it('--cascade=orphan adds orphan; background (the default) deletes at once', async () => {
    await s.kubectl(deployment('or'));
    await s.kubectl(['delete', 'deploy', 'or', '--cascade=orphan', '--wait=false']);
    expect((await json('get', 'deploy', 'or')).metadata.finalizers).toEqual(['orphan']);
    await s.kubectl(deployment('bg'));
    expect((await s.kubectl(['delete', 'deploy', 'bg', '--cascade=background'])).stdout).toBe('deployment.apps "bg" deleted\n');
    expect((await s.kubectl(['get', 'deploy', 'bg'])).code).toBe(1);
  });

  it('refuses an unknown policy as upstream does', async () => {
    await s.kubectl(['create', 'cm', 'keep']);
    const r = await s.kubectl(['delete', '--raw', '/api/v1/namespaces/default/configmaps/keep?propagationPolicy=Sideways']);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      'The DeleteOptions "" is invalid: propagationPolicy: Unsupported value: "Sideways": supported values: "Foreground", "Background", "Orphan", "nil"\n',
    );
    expect((await s.kubectl(['get', 'cm', 'keep'])).code).toBe(0);
  });
});
