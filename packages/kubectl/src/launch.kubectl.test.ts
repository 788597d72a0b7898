/**
 * The built `mkctl` executable (launcher plus self-contained bundle, built here into a
 * temporary folder) against a real API server: output and exit codes as kubectl's, and
 * the compile cache written on the first run and replaced when it is damaged.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, startHarness, withoutAges } from './testing/harness.ts';

const root = join(import.meta.dirname, '..', '..', '..');
let h: Harness;
let dist: string;

const exec = (file: string, args: string[], env: NodeJS.ProcessEnv = {}) =>
  new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    execFile(file, args, { env: { ...process.env, ...env }, timeout: 30_000 }, (err, stdout, stderr) =>
      resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
const mkctl = (args: string[]) => exec(process.execPath, [join(dist, 'cli.cjs'), ...args], { KUBECONFIG: h.server.kubeconfigPath, HOME: h.server.dir });
const cacheFiles = () => {
  try {
    return readdirSync(join(h.server.dir, '.kube', 'cache', 'mkctl', 'compile'));
  } catch {
    return [];
  }
};

beforeAll(async () => {
  dist = mkdtempSync(join(tmpdir(), 'mkctl-dist-'));
  const bundle = (entry: string, out: string) =>
    exec(process.execPath, [join(root, 'tools', 'bundle.mjs'), '--self-contained', join(import.meta.dirname, entry), join(dist, out)]);
  const built = await Promise.all([bundle('cli.ts', 'mkctl.cjs'), bundle('launch.ts', 'cli.cjs')]);
  for (const b of built) expect(b.stderr).toBe('');
  h = await startHarness();
}, 60_000);

afterAll(async () => {
  await h?.close();
  rmSync(dist, { recursive: true, force: true });
});

describe('the mkctl executable', () => {
  it('prints what kubectl prints and keeps a compile cache from its first run', async () => {
    expect(cacheFiles()).toEqual([]);
    const first = await mkctl(['get', 'namespaces']);
    const kubectl = await h.kubectl(['get', 'namespaces']);
    expect(first.code).toBe(0);
    expect(withoutAges(first.stdout)).toBe(withoutAges(kubectl.stdout));
    expect(cacheFiles()).toHaveLength(1);

    const second = await mkctl(['get', 'namespaces', '-o', 'name']);
    expect(second.stdout).toBe('namespace/default\nnamespace/kube-node-lease\nnamespace/kube-public\nnamespace/kube-system\n');
  });

  it('exits 1 with kubectl-style errors', async () => {
    const r = await mkctl(['get', 'pods', 'nope']);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('Error from server (NotFound): pods "nope" not found\n');
    expect(r.stdout).toBe('');
  });

  it('runs from source when the cache is damaged, and replaces it', async () => {
    await mkctl(['version', '--client']);
    const [name] = cacheFiles();
    expect(name).toBeDefined();
    const file = join(h.server.dir, '.kube', 'cache', 'mkctl', 'compile', name as string);
    const good = readFileSync(file);
    writeFileSync(file, Buffer.alloc(good.length, 7));
    const r = await mkctl(['get', 'ns', 'default', '-o', 'jsonpath={.metadata.name}']);
    expect(r).toMatchObject({ code: 0, stdout: 'default', stderr: '' });
    expect(readFileSync(file).equals(Buffer.alloc(good.length, 7))).toBe(false);
  });
});
