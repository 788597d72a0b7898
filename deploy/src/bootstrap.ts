/**
 * First-start bootstrap of the compose cluster: the cluster CA, a client certificate and
 * kubeconfig for every component, serving certificates for each node's kubelet, and the
 * admin kubeconfig for the host. Everything lands in `<stateDir>/pki` and is made once:
 * a second run keeps what exists (a restart reuses the same identities), so only
 * `cluster reset` (which deletes the state directory) makes new ones.
 *
 * The API server gets the CA in its data directory and issues its own serving
 * certificate from it at start (with the compose service name as a SAN).
 */
import { chmodSync, copyFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { kubeconfigYaml } from '@minik8s/client/kube';
import { createCa, issueCertificate, loadCa, type Pem } from '@minik8s/client/pki';
import { ensureStateDir } from '@minik8s/client/state-dir';

export interface NodeSpec {
  name: string;
  /** The node container's address on the pod network (the kubelet's serving certificate names it). */
  ip: string;
}

export interface BootstrapOptions {
  stateDir: string;
  /** The API server as components reach it (`https://apiserver:6443`). */
  inClusterServer: string;
  /** The API server as the host reaches it (`https://127.0.0.1:6443`). */
  hostServer: string;
  nodes: NodeSpec[];
  /** Progress lines. */
  log?: (line: string) => void;
}

export interface BootstrapResult {
  pkiDir: string;
  adminKubeconfig: string;
  /** Files made by this run (empty when everything existed). */
  created: string[];
}

/** The identities: kubeconfig name → certificate subject, as upstream's components use. */
export function componentIdentities(nodes: NodeSpec[]): Array<{ name: string; cn: string; o?: string[] }> {
  return [
    { name: 'scheduler', cn: 'system:kube-scheduler' },
    { name: 'controller-manager', cn: 'system:kube-controller-manager' },
    { name: 'kube-proxy', cn: 'system:kube-proxy', o: ['system:node-proxier'] },
    { name: 'dns', cn: 'system:serviceaccount:kube-system:coredns', o: ['system:serviceaccounts'] },
    { name: 'ingress', cn: 'system:serviceaccount:ingress-nginx:ingress-nginx', o: ['system:serviceaccounts'] },
    ...nodes.map((n) => ({ name: n.name, cn: `system:node:${n.name}`, o: ['system:nodes'] })),
  ];
}

export async function bootstrap(o: BootstrapOptions): Promise<BootstrapResult> {
  const log = o.log ?? (() => {});
  const pkiDir = join(o.stateDir, 'pki');
  ensureStateDir(o.stateDir);
  ensureStateDir(pkiDir);
  const created: string[] = [];
  const file = (n: string) => join(pkiDir, n);
  const write = (n: string, text: string, mode = 0o644) => {
    writeFileSync(file(n), text, { mode });
    chmodSync(file(n), mode);
    created.push(n);
  };

  if (!existsSync(file('ca.crt')) || !existsSync(file('ca.key'))) {
    log('making the cluster CA');
    const ca = await createCa('minik8s-ca');
    write('ca.key', ca.key, 0o600);
    write('ca.crt', ca.cert);
  }
  const ca = await loadCa(readFileSync(file('ca.crt'), 'utf8'), readFileSync(file('ca.key'), 'utf8'));

  const keep = async (name: string, make: () => Promise<Pem>): Promise<Pem> => {
    if (!existsSync(file(`${name}.crt`)) || !existsSync(file(`${name}.key`))) {
      const p = await make();
      write(`${name}.key`, p.key, 0o600);
      write(`${name}.crt`, p.cert);
    }
    return { cert: readFileSync(file(`${name}.crt`), 'utf8'), key: readFileSync(file(`${name}.key`), 'utf8') };
  };

  for (const id of componentIdentities(o.nodes)) {
    if (existsSync(file(`${id.name}.kubeconfig`))) continue;
    log(`certificate and kubeconfig for ${id.name} (${id.cn})`);
    const pem = await keep(id.name, () => issueCertificate(ca, { cn: id.cn, o: id.o, usage: ['client'] }));
    write(`${id.name}.kubeconfig`, kubeconfigYaml({ server: o.inClusterServer, caCert: ca.cert, ...pem, name: id.name }), 0o600);
  }
  for (const n of o.nodes) {
    await keep(`${n.name}-kubelet-serving`, async () => {
      log(`kubelet serving certificate for ${n.name} (${n.ip})`);
      return issueCertificate(ca, { cn: n.name, usage: ['server'], ips: [n.ip], dns: [n.name] });
    });
  }
  if (!existsSync(file('admin.kubeconfig'))) {
    log('admin kubeconfig for the host');
    const admin = await keep('admin', () => issueCertificate(ca, { cn: 'kubernetes-admin', o: ['system:masters'], usage: ['client'] }));
    write('admin.kubeconfig', kubeconfigYaml({ server: o.hostServer, caCert: ca.cert, ...admin, name: 'minik8s' }), 0o600);
  }

  // The API server issues its own serving certificate from this CA.
  const apiPki = join(o.stateDir, 'apiserver', 'pki');
  ensureStateDir(join(o.stateDir, 'apiserver'));
  ensureStateDir(apiPki);
  for (const n of ['ca.crt', 'ca.key']) {
    if (!existsSync(join(apiPki, n))) copyFileSync(file(n), join(apiPki, n));
  }
  return { pkiDir, adminKubeconfig: file('admin.kubeconfig'), created };
}
