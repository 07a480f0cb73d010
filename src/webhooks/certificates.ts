/**
 * Self-signed serving certificates for the webhook: a fresh CA and a serving
 * certificate it signs, both ECDSA P-256 (fast to generate, small to send),
 * built with @peculiar/x509 on Node's WebCrypto.
 *
 * A rotation issues a new CA too, so no CA private key ever needs to be
 * stored: the caBundle carries the current and the previous CA, which keeps
 * replicas still serving the previous certificate trusted until they reload.
 */
import { webcrypto, X509Certificate as NodeX509 } from 'node:crypto';
import { isIP } from 'node:net';

type X509 = typeof import('@peculiar/x509');
let x509Module: Promise<X509> | undefined;

/**
 * @peculiar/x509 (with tsyringe and reflect-metadata) is ~20 MiB of resident
 * memory; it is loaded when a certificate is first generated, so an operator
 * whose certificate comes from a Secret (cert-manager) or that runs without
 * the webhook never pays for it.
 */
function loadX509(): Promise<X509> {
  x509Module ??= (async () => {
    // @peculiar/x509 resolves its algorithms through tsyringe, which needs the Reflect metadata API first.
    await import('reflect-metadata');
    const x509 = await import('@peculiar/x509');
    x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);
    return x509;
  })();
  return x509Module;
}

type CryptoKeyPair = webcrypto.CryptoKeyPair;

export interface ServingCertificate {
  readonly certPem: string;
  readonly keyPem: string;
  /** The CA that signed certPem. */
  readonly caPem: string;
  readonly notBefore: Date;
  readonly notAfter: Date;
}

export interface CertificateRequest {
  /** DNS names and IP addresses the serving certificate must be valid for. */
  readonly hosts: readonly string[];
  readonly validityMs: number;
  readonly now?: Date;
  /** Common name of the CA, e.g. `canopy-webhook-ca`. */
  readonly caName?: string;
}

const ALGORITHM: webcrypto.EcKeyGenParams & webcrypto.EcdsaParams = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };

/** Rotate once two thirds of the validity have passed (cert-manager's default renewBefore is a third). */
export const ROTATE_FRACTION = 2 / 3;

export async function generateServingCertificate(request: CertificateRequest): Promise<ServingCertificate> {
  const x509 = await loadX509();
  const now = request.now ?? new Date();
  // Backdate a little for clock skew between replicas and the apiserver, never by more than a tenth of the validity.
  const skew = Math.min(60_000, request.validityMs / 10);
  const notBefore = new Date(now.getTime() - skew);
  const notAfter = new Date(now.getTime() + request.validityMs);
  const caKeys = (await webcrypto.subtle.generateKey(ALGORITHM, true, ['sign', 'verify'])) as CryptoKeyPair;
  const ca = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(),
    name: `CN=${request.caName ?? 'canopy-webhook-ca'}`,
    notBefore,
    notAfter,
    keys: caKeys,
    signingAlgorithm: ALGORITHM,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(caKeys.publicKey),
    ],
  });
  const keys = (await webcrypto.subtle.generateKey(ALGORITHM, true, ['sign', 'verify'])) as CryptoKeyPair;
  const names = request.hosts.map((h) => (isIP(h) ? { type: 'ip' as const, value: h } : { type: 'dns' as const, value: h }));
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serial(),
    subject: `CN=${request.hosts[0] ?? 'canopy-webhook'}`,
    issuer: ca.subject,
    notBefore,
    notAfter,
    publicKey: keys.publicKey,
    signingKey: caKeys.privateKey,
    signingAlgorithm: ALGORITHM,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      new x509.SubjectAlternativeNameExtension(names),
      await x509.AuthorityKeyIdentifierExtension.create(caKeys.publicKey),
    ],
  });
  const pkcs8 = await webcrypto.subtle.exportKey('pkcs8', keys.privateKey);
  return {
    certPem: `${cert.toString('pem')}\n`,
    keyPem: `${x509.PemConverter.encode(pkcs8, 'PRIVATE KEY')}\n`,
    caPem: `${ca.toString('pem')}\n`,
    notBefore,
    notAfter,
  };
}

/** A positive 16-byte serial (the top bit cleared keeps it positive in DER). */
function serial(): string {
  const bytes = webcrypto.getRandomValues(new Uint8Array(16));
  bytes[0] = bytes[0]! & 0x7f;
  return Buffer.from(bytes).toString('hex');
}

/** What a PEM certificate says about itself (for loaded and provided certificates). */
export interface CertificateInfo {
  readonly notBefore: Date;
  readonly notAfter: Date;
  /** DNS names and IPs of the subjectAltName. */
  readonly hosts: readonly string[];
}

export function certificateInfo(certPem: string): CertificateInfo {
  const cert = new NodeX509(certPem);
  const hosts = (cert.subjectAltName ?? '')
    .split(', ')
    .map((entry) => entry.trim())
    .filter((entry) => entry.startsWith('DNS:') || entry.startsWith('IP Address:'))
    .map((entry) => entry.slice(entry.indexOf(':') + 1));
  return { notBefore: new Date(cert.validFrom), notAfter: new Date(cert.validTo), hosts };
}

/** When a certificate valid over [notBefore, notAfter] is due for rotation. */
export function rotationTime(notBefore: Date, notAfter: Date): Date {
  return new Date(notBefore.getTime() + (notAfter.getTime() - notBefore.getTime()) * ROTATE_FRACTION);
}

/** Whether a certificate must be replaced now: due, or not valid for every host we serve. */
export function needsRotation(info: CertificateInfo, hosts: readonly string[], now: Date = new Date()): string | undefined {
  const missing = hosts.filter((h) => !info.hosts.includes(h));
  if (missing.length > 0) return `certificate does not cover ${missing.join(', ')}`;
  if (now.getTime() >= rotationTime(info.notBefore, info.notAfter).getTime())
    return `certificate is past two thirds of its validity (expires ${info.notAfter.toISOString()})`;
  return undefined;
}

/** Splits a PEM bundle into its certificates. */
export function splitPemBundle(bundle: string): string[] {
  return bundle.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g)?.map((pem) => `${pem}\n`) ?? [];
}
