/** A throwaway PKI for tests: a CA, a server certificate for 127.0.0.1, clients. */
import { createCa, issueCertificate, type Pem } from '@minik8s/client/pki';

export type { Pem };

export async function makeTestPki(): Promise<{ ca: Pem; server: Pem; client: Pem; stranger: Pem }> {
  const ca = await createCa('etcdlite-test-ca');
  // A client certificate from a CA the server does not trust.
  const other = await createCa('someone-else');
  return {
    ca,
    server: await issueCertificate(ca, { cn: 'etcdlite', usage: ['server'], ips: ['127.0.0.1'], dns: ['localhost'] }),
    client: await issueCertificate(ca, { cn: 'apiserver', usage: ['client'] }),
    stranger: await issueCertificate(other, { cn: 'stranger', usage: ['client'] }),
  };
}
