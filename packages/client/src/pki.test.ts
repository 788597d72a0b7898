import { X509Certificate } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createCa, issueCertificate } from './pki.ts';

describe('pki', () => {
  it('issues certificates that chain to the CA, with the subject and SANs asked for', async () => {
    const ca = await createCa('minik8s-ca');
    const leaf = await issueCertificate(ca, { cn: 'jane', o: ['dev', 'system:masters'], ips: ['127.0.0.1'], dns: ['localhost'] });
    const cert = new X509Certificate(leaf.cert);
    expect(cert.verify(new X509Certificate(ca.cert).publicKey)).toBe(true);
    expect(cert.subject.split('\n')).toEqual(expect.arrayContaining(['CN=jane', 'O=dev', 'O=system:masters']));
    expect(cert.subjectAltName).toContain('IP Address:127.0.0.1');
    expect(cert.subjectAltName).toContain('DNS:localhost');
    expect(cert.ca).toBe(false);
    expect(new X509Certificate(ca.cert).ca).toBe(true);
  });
});
