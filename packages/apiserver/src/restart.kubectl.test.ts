/**
 * What a user relies on across requests and restarts: objects survive a restart of the
 * API server on the same data directory, dry runs store nothing, collections delete.
 */

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEtcdliteProcess, startEtcdProcess } from '@minik8s/etcdlite/testing';
import { eventually, type RunCommandOptions, runCommand } from '@minik8s/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { startApiServer } from './main.ts';

const dir = mkdtempSync(join(tmpdir(), 'apiserver-restart-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const kubectl = (kubeconfig: string, args: string[], o: Omit<RunCommandOptions, 'env'> = {}) =>
  runCommand('kubectl', args, { ...o, env: { ...process.env, KUBECONFIG: kubeconfig, HOME: dir } });

describe('the API server across restarts', () => {
  it('keeps every object, its resourceVersion and the certificates', async () => {
    const data = join(dir, 'data');
    const first = await startApiServer({ dataDir: data, securePort: 0 });
    let kc = first.kubeconfigPath;
    const cm = 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: keep}\ndata: {a: "1"}\n';
    expect((await kubectl(kc, ['apply', '-f', '-'], { input: cm })).code).toBe(0);
    const before = JSON.parse((await kubectl(kc, ['get', 'cm', 'keep', '-o', 'json'])).stdout);
    const svcIp = (await kubectl(kc, ['get', 'svc', 'kubernetes', '-o', 'jsonpath={.spec.clusterIP}'])).stdout;
    await first.close();

    const second = await startApiServer({ dataDir: data, securePort: 0 });
    try {
      kc = second.kubeconfigPath;
      expect(second.caCert).toBe(first.caCert);
      const after = JSON.parse((await kubectl(kc, ['get', 'cm', 'keep', '-o', 'json'])).stdout);
      expect(after.metadata).toMatchObject({ uid: before.metadata.uid, resourceVersion: before.metadata.resourceVersion });
      expect((await kubectl(kc, ['get', 'svc', 'kubernetes', '-o', 'jsonpath={.spec.clusterIP}'])).stdout).toBe(svcIp);
      expect((await kubectl(kc, ['get', 'ns', '-o', 'name'])).stdout.split('\n').filter(Boolean)).toHaveLength(4);

      // dry runs answer as if they wrote, and write nothing
      const dry = await kubectl(kc, ['create', 'configmap', 'dry', '--from-literal=x=y', '--dry-run=server', '-o', 'json']);
      expect(JSON.parse(dry.stdout).metadata.name).toBe('dry');
      expect((await kubectl(kc, ['get', 'cm', 'dry'])).code).toBe(1);
      expect((await kubectl(kc, ['delete', 'cm', 'keep', '--dry-run=server'])).code).toBe(0);
      expect((await kubectl(kc, ['get', 'cm', 'keep'])).code).toBe(0);

      // a bad resourceVersion or limit is a 400, not an empty answer
      const badRv = await kubectl(kc, ['get', '--raw', '/api/v1/configmaps?watch=true&resourceVersion=abc']);
      expect(badRv.stderr).toBe('Error from server (BadRequest): invalid resource version: "abc"\n');
    } finally {
      await second.close();
    }
  }, 60_000);
});

describe('the API server on an external store', () => {
  for (const [name, start] of [
    ['etcdlite over HTTP', startEtcdliteProcess],
    ['a real etcd', startEtcdProcess],
  ] as const) {
    it(`serves kubectl with ${name} behind --etcd-servers`, async () => {
      const store = await start();
      const api = await startApiServer({ dataDir: join(dir, name.replace(/\W/g, '-')), securePort: 0, etcdServers: store.url });
      try {
        const kc = api.kubeconfigPath;
        expect((await kubectl(kc, ['create', 'configmap', 'ext', '--from-literal=a=b'])).stdout).toBe('configmap/ext created\n');
        let printed = '';
        const watch = kubectl(kc, ['get', 'cm', 'ext', '-w', '-o', 'name', '--request-timeout=3s'], { onStdout: (t) => (printed += t) });
        // Listed: the watch goes on from the list's resourceVersion, so it sees the label.
        await eventually(() => printed === 'configmap/ext\n', { message: 'kubectl get -w to list' });
        expect((await kubectl(kc, ['label', 'cm', 'ext', 'x=y'])).code).toBe(0);
        expect((await watch).stdout).toBe('configmap/ext\nconfigmap/ext\n');
        expect(JSON.parse((await kubectl(kc, ['get', 'cm', 'ext', '-o', 'json'])).stdout).metadata.labels).toEqual({ x: 'y' });
      } finally {
        await api.close();
        await store.close();
      }
    }, 60_000);
  }
});
