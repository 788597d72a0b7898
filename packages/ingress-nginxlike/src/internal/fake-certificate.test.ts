import { createPrivateKey, X509Certificate } from 'node:crypto';
import { createSecureContext } from 'node:tls';
import { describe, expect, it } from 'vitest';
import { FAKE_CERTIFICATE_CN, makeFakeCertificate } from './fake-certificate.ts';

describe('the fake default certificate', () => {
  it('is self-signed, named as ingress-nginx names it, and usable by TLS', () => {
    const { cert, key } = makeFakeCertificate();
    const x = new X509Certificate(cert);
    expect(x.subject).toBe(`O=Acme Co\nCN=${FAKE_CERTIFICATE_CN}`);
    expect(x.issuer).toBe(x.subject);
    expect(x.subjectAltName).toBe('DNS:ingress.local');
    expect(x.ca).toBe(false);
    expect(x.verify(x.publicKey)).toBe(true);
    expect(x.checkPrivateKey(createPrivateKey(key))).toBe(true);
    expect(new Date(x.validTo).getTime() - Date.now()).toBeGreaterThan(364 * 86_400_000);
    expect(() => createSecureContext({ cert, key })).not.toThrow();
  });
});
