/** Bootstrap makes every identity once, and the kubeconfigs it writes are usable as they are. */
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '@minik8s/client/kube';
import { afterAll, describe, expect, it } from 'vitest';
import { bootstrap } from './bootstrap.ts';

const dir = mkdtempSync(join(tmpdir(), 'bootstrap-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const opts = {
  stateDir: dir,
  inClusterServer: 'https://apiserver:6443',
  hostServer: 'https://127.0.0.1:6443',
  nodes: [
    { name: 'node-1', ip: '10.244.0.11' },
    { name: 'node-2', ip: '10.244.0.12' },
  ],
};

describe('bootstrap', () => {
  it('makes the CA, a certificate per component and node, and kubeconfigs; a second run keeps them', async () => {
    const first = await bootstrap(opts);
    expect(first.created).toEqual(
      expect.arrayContaining(['ca.crt', 'ca.key', 'scheduler.kubeconfig', 'node-1.kubeconfig', 'node-2-kubelet-serving.crt', 'admin.kubeconfig']),
    );
    const ca = new X509Certificate(readFileSync(join(dir, 'pki', 'ca.crt')));
    const mode = (p: string) => (statSync(p).mode & 0o777).toString(8);
    expect([dir, join(dir, 'pki'), join(dir, 'apiserver'), join(dir, 'apiserver', 'pki')].map(mode)).toEqual(['700', '700', '700', '700']);
    expect(mode(join(dir, 'pki', 'ca.key'))).toBe('600');

    const node = new X509Certificate(readFileSync(join(dir, 'pki', 'node-1.crt')));
    expect(node.subject).toBe('CN=system:node:node-1\nO=system:nodes');
    expect(node.verify(ca.publicKey)).toBe(true);
    const serving = new X509Certificate(readFileSync(join(dir, 'pki', 'node-2-kubelet-serving.crt')));
    expect(serving.subjectAltName).toContain('IP Address:10.244.0.12');
    expect(serving.checkIP('10.244.0.12')).toBe('10.244.0.12');

    const admin = loadConfig({ kubeconfig: first.adminKubeconfig });
    expect(admin.server).toBe('https://127.0.0.1:6443');
    const sched = loadConfig({ kubeconfig: join(dir, 'pki', 'scheduler.kubeconfig') });
    expect(sched.server).toBe('https://apiserver:6443');
    expect(new X509Certificate(String(sched.tls.cert)).subject).toBe('CN=system:kube-scheduler');
    // The API server finds the CA in its own data directory and issues its serving certificate from it.
    expect(readFileSync(join(dir, 'apiserver', 'pki', 'ca.crt'), 'utf8')).toBe(readFileSync(join(dir, 'pki', 'ca.crt'), 'utf8'));

    const caBefore = readFileSync(join(dir, 'pki', 'ca.crt'), 'utf8');
    const second = await bootstrap(opts);
    expect(second.created).toEqual([]);
    expect(readFileSync(join(dir, 'pki', 'ca.crt'), 'utf8')).toBe(caBefore);
  });
});
