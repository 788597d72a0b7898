import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { inClusterConfig, KubeconfigError, loadConfig, loadKubeconfig, mergeKubeconfigs, parseKubeconfig, resolveKubeconfig } from './kubeconfig.ts';

const b64 = (s: string) => Buffer.from(s).toString('base64');

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'kubeconfig-test-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

function write(name: string, text: string): string {
  const p = join(dir, name);
  mkdirSync(join(p, '..'), { recursive: true });
  writeFileSync(p, text);
  return p;
}

const A = `
apiVersion: v1
kind: Config
current-context: a
clusters:
- name: c1
  cluster:
    server: https://10.0.0.1:6443/
    certificate-authority-data: ${b64('CA-ONE')}
- name: shared
  cluster:
    server: https://from-a:6443
contexts:
- name: a
  context: { cluster: c1, user: u1, namespace: team-a }
- name: b
  context: { cluster: shared, user: u1 }
users:
- name: u1
  user:
    client-certificate-data: ${b64('CERT-ONE')}
    client-key-data: ${b64('KEY-ONE')}
`;

const B = `
apiVersion: v1
kind: Config
current-context: b-only
clusters:
- name: shared
  cluster:
    server: https://from-b:6443
    insecure-skip-tls-verify: true
- name: c2
  cluster:
    server: https://10.0.0.2:6443
    certificate-authority: certs/ca.crt
contexts:
- name: b-only
  context: { cluster: c2, user: u2 }
- name: tok
  context: { cluster: shared, user: u3 }
users:
- name: u2
  user:
    client-certificate: certs/client.crt
    client-key: /abs/does-not-matter.key
- name: u3
  user:
    tokenFile: token
`;

describe('kubeconfig', () => {
  it('resolves the current context: server, namespace, CA and client cert from -data fields', () => {
    const c = resolveKubeconfig(parseKubeconfig(A));
    expect(c).toEqual({
      server: 'https://10.0.0.1:6443',
      namespace: 'team-a',
      context: 'a',
      cluster: 'c1',
      user: 'u1',
      tls: { ca: 'CA-ONE', cert: 'CERT-ONE', key: 'KEY-ONE' },
    });
  });

  it('--context picks another context; without a namespace it is "default"', () => {
    const c = resolveKubeconfig(parseKubeconfig(A), { context: 'b' });
    expect(c.server).toBe('https://from-a:6443');
    expect(c.namespace).toBe('default');
    expect(resolveKubeconfig(parseKubeconfig(A), { context: 'b', namespace: 'x' }).namespace).toBe('x');
  });

  it('names a missing context as kubectl does', () => {
    const kc = parseKubeconfig(A);
    expect(() => resolveKubeconfig(kc, { context: 'nope' })).toThrowError('context "nope" does not exist');
    try {
      resolveKubeconfig(kc, { context: 'nope' });
    } catch (e) {
      expect(e).toBeInstanceOf(KubeconfigError);
      expect((e as KubeconfigError).code).toBe('ContextNotFound');
    }
    const dangling = parseKubeconfig(`${A}\n`.replace('current-context: a', 'current-context: gone'));
    expect(() => resolveKubeconfig(dangling)).toThrowError('invalid configuration: context was not found for specified context: gone');
  });

  it('reports missing clusters, users and empty configs with client-go messages', () => {
    const kc = parseKubeconfig(`
contexts:
- name: x
  context: { cluster: nowhere, user: nobody }
current-context: x
`);
    expect(() => resolveKubeconfig(kc)).toThrowError('invalid configuration: cluster "nowhere" was not found for context "x"');
    expect(() => resolveKubeconfig(parseKubeconfig(''))).toThrowError(/no configuration has been provided/);
  });

  it('merges KUBECONFIG files: the first file wins for each name and for current-context', () => {
    const a = write('a.yaml', A);
    const b = write('sub/b.yaml', B);
    write('sub/certs/ca.crt', 'CA-TWO');
    write('sub/certs/client.crt', 'CERT-TWO');
    write('sub/token', 'tok-123\n');
    const missing = join(dir, 'missing.yaml');
    const env = { KUBECONFIG: [missing, a, b].join(':') };
    const kc = loadKubeconfig({ env });
    expect(kc['current-context']).toBe('a');
    expect(kc.clusters.map((c) => c.name)).toEqual(['c1', 'shared', 'c2']);
    expect(kc.clusters.find((c) => c.name === 'shared')!.cluster.server).toBe('https://from-a:6443');
    expect(kc.contexts.map((c) => c.name)).toEqual(['a', 'b', 'b-only', 'tok']);

    // Relative file references are relative to the file that names them.
    expect(kc.clusters.find((c) => c.name === 'c2')!.cluster['certificate-authority']).toBe(join(dir, 'sub/certs/ca.crt'));

    // The second file's current-context only counts when the first has none.
    expect(mergeKubeconfigs([parseKubeconfig(B), parseKubeconfig(A)])['current-context']).toBe('b-only');

    // A context from the second file, with a token file; the cluster "shared" comes from the first file.
    const tok = loadConfig({ env, context: 'tok' });
    expect(tok.server).toBe('https://from-a:6443');
    expect(tok.bearerToken).toBe('tok-123');
    expect(tok.bearerTokenFile).toBe(join(dir, 'sub/token'));
    expect(tok.tls.insecureSkipTlsVerify).toBeUndefined();
  });

  it('reads CA and client certificate from files', () => {
    const b = write('b.yaml', B.replace('/abs/does-not-matter.key', 'certs/client.key'));
    write('certs/ca.crt', 'CA-TWO');
    write('certs/client.crt', 'CERT-TWO');
    write('certs/client.key', 'KEY-TWO');
    const c = loadConfig({ kubeconfig: b });
    expect(c.tls).toEqual({ ca: 'CA-TWO', cert: 'CERT-TWO', key: 'KEY-TWO' });
    expect(c.server).toBe('https://10.0.0.2:6443');
  });

  it('data wins over file; a missing file is an error naming it', () => {
    const kc = parseKubeconfig(`
clusters:
- name: c
  cluster: { server: 'https://h:1', certificate-authority: /nope/ca.crt, certificate-authority-data: ${b64('DATA')} }
users:
- name: u
  user: { client-certificate: /nope/c.crt, client-key-data: ${b64('K')} }
contexts:
- name: x
  context: { cluster: c, user: u }
current-context: x
`);
    expect(() => resolveKubeconfig(kc)).toThrowError(
      'invalid configuration: unable to read client-cert /nope/c.crt for u due to open /nope/c.crt: no such file or directory',
    );
    const ok = parseKubeconfig(`
clusters:
- name: c
  cluster: { server: 'https://h:1', certificate-authority: /nope/ca.crt, certificate-authority-data: ${b64('DATA')} }
contexts:
- name: x
  context: { cluster: c }
current-context: x
`);
    expect(resolveKubeconfig(ok).tls.ca).toBe('DATA');
  });

  it('insecure-skip-tls-verify, token and basic auth', () => {
    const kc = parseKubeconfig(`
clusters:
- name: c
  cluster: { server: 'https://h:1', insecure-skip-tls-verify: true }
- name: bad
  cluster: { server: 'https://h:1', insecure-skip-tls-verify: true, certificate-authority-data: ${b64('X')} }
users:
- name: t
  user: { token: abc }
- name: p
  user: { username: admin, password: secret }
contexts:
- { name: t, context: { cluster: c, user: t } }
- { name: p, context: { cluster: c, user: p } }
- { name: bad, context: { cluster: bad, user: t } }
`);
    const t = resolveKubeconfig(kc, { context: 't' });
    expect(t.tls.insecureSkipTlsVerify).toBe(true);
    expect(t.bearerToken).toBe('abc');
    expect(resolveKubeconfig(kc, { context: 'p' }).basicAuth).toEqual({ username: 'admin', password: 'secret' });
    expect(() => resolveKubeconfig(kc, { context: 'bad' })).toThrowError('specifying a root certificates file with the insecure flag is not allowed');
  });

  it('an explicit --kubeconfig must exist; the default ~/.kube/config may not', () => {
    expect(() => loadKubeconfig({ kubeconfig: join(dir, 'nope') })).toThrowError(/no such file or directory/);
    expect(loadKubeconfig({ env: {}, homeDir: dir }).contexts).toEqual([]);
    write('.kube/config', A);
    expect(loadConfig({ env: {}, homeDir: dir }).server).toBe('https://10.0.0.1:6443');
  });

  it('JSON kubeconfigs parse too', () => {
    const kc = parseKubeconfig(
      JSON.stringify({
        clusters: [{ name: 'c', cluster: { server: 'http://127.0.0.1:8080' } }],
        contexts: [{ name: 'x', context: { cluster: 'c' } }],
        'current-context': 'x',
      }),
    );
    expect(resolveKubeconfig(kc)).toMatchObject({ server: 'http://127.0.0.1:8080', namespace: 'default' });
  });

  it('in-cluster: service env, token, CA and namespace from the service-account mount', () => {
    const sa = join(dir, 'sa');
    write('sa/token', 'sa-token\n');
    write('sa/ca.crt', 'SA-CA');
    write('sa/namespace', 'kube-system');
    const env = { KUBERNETES_SERVICE_HOST: '10.96.0.1', KUBERNETES_SERVICE_PORT: '443' };
    expect(inClusterConfig({ env, serviceAccountDir: sa })).toEqual({
      server: 'https://10.96.0.1:443',
      namespace: 'kube-system',
      tls: { ca: 'SA-CA' },
      bearerToken: 'sa-token',
      bearerTokenFile: join(sa, 'token'),
    });
    expect(inClusterConfig({ env: { KUBERNETES_SERVICE_HOST: 'fd00::1', KUBERNETES_SERVICE_PORT: '443' }, serviceAccountDir: sa }).server).toBe(
      'https://[fd00::1]:443',
    );
    expect(() => inClusterConfig({ env: {} })).toThrowError(
      'unable to load in-cluster configuration, KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT must be defined',
    );
    // With no kubeconfig anywhere, loadConfig falls back to in-cluster.
    expect(loadConfig({ env, homeDir: dir, serviceAccountDir: sa }).bearerToken).toBe('sa-token');
  });
});
