/**
 * A small certificate authority: the cluster CA, serving certificates with SANs, and
 * client certificates whose CN is the user and O the groups (how Kubernetes reads them).
 * ECDSA P-256 keys, made with @peculiar/x509 on Node's WebCrypto; everything is PEM.
 */
import 'reflect-metadata';
import { webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

const alg = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
type KeyPair = webcrypto.CryptoKeyPair;

export interface Pem {
  cert: string;
  key: string;
}

export interface CertificateAuthority extends Pem {
  readonly subject: string;
  readonly keys: KeyPair;
}

export interface IssueOptions {
  /** Subject common name: the user name for client certificates. */
  cn: string;
  /** Subject organizations: the groups for client certificates. */
  o?: string[];
  /** Extended key usages; both by default. */
  usage?: Array<'server' | 'client'>;
  /** Subject alternative names for serving certificates: IPs and DNS names. */
  ips?: string[];
  dns?: string[];
  /** Validity in days (default 365). */
  days?: number;
}

const newKeys = async () => (await webcrypto.subtle.generateKey(alg, true, ['sign', 'verify'])) as KeyPair;

async function keyPem(keys: KeyPair): Promise<string> {
  const der = await webcrypto.subtle.exportKey('pkcs8', keys.privateKey as webcrypto.CryptoKey);
  return x509.PemConverter.encode(der, 'PRIVATE KEY');
}

/** A positive 64-bit serial number in hex. */
const serial = () => `1${Buffer.from(webcrypto.getRandomValues(new Uint8Array(8))).toString('hex')}`;

function validity(days: number): { notBefore: Date; notAfter: Date } {
  // A minute of slack for clocks slightly behind ours.
  return { notBefore: new Date(Date.now() - 60_000), notAfter: new Date(Date.now() + days * 86_400_000) };
}

function distinguishedName(cn: string, o: string[] = []): string {
  const esc = (v: string) => v.replace(/([,+"\\<>;=])/g, '\\$1');
  return [`CN=${esc(cn)}`, ...o.map((g) => `O=${esc(g)}`)].join(', ');
}

export async function createCa(cn: string, days = 3650): Promise<CertificateAuthority> {
  const keys = await newKeys();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(),
    name: distinguishedName(cn),
    ...validity(days),
    keys,
    signingAlgorithm: alg,
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
    ],
  });
  return { cert: cert.toString('pem'), key: await keyPem(keys), subject: cert.subject, keys };
}

/** A CA from its PEM certificate and PKCS#8 key, as createCa wrote them. */
export async function loadCa(certPem: string, keyPem: string): Promise<CertificateAuthority> {
  const cert = new x509.X509Certificate(certPem);
  const der = x509.PemConverter.decodeFirst(keyPem);
  const privateKey = await webcrypto.subtle.importKey('pkcs8', der, alg, true, ['sign']);
  const publicKey = await cert.publicKey.export(alg, ['verify']);
  return { cert: certPem, key: keyPem, subject: cert.subject, keys: { privateKey, publicKey } as KeyPair };
}

export async function issueCertificate(ca: CertificateAuthority, o: IssueOptions): Promise<Pem> {
  const keys = await newKeys();
  const usage = o.usage ?? ['server', 'client'];
  const sans = [...(o.ips ?? []).map((value) => ({ type: 'ip' as const, value })), ...(o.dns ?? []).map((value) => ({ type: 'dns' as const, value }))];
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serial(),
    subject: distinguishedName(o.cn, o.o),
    issuer: ca.subject,
    ...validity(o.days ?? 365),
    publicKey: keys.publicKey,
    signingKey: ca.keys.privateKey,
    signingAlgorithm: alg,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true),
      new x509.ExtendedKeyUsageExtension(usage.map((u) => (u === 'server' ? x509.ExtendedKeyUsage.serverAuth : x509.ExtendedKeyUsage.clientAuth))),
      ...(sans.length ? [new x509.SubjectAlternativeNameExtension(sans)] : []),
    ],
  });
  return { cert: cert.toString('pem'), key: await keyPem(keys) };
}
