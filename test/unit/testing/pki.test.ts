import { createHash, X509Certificate } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigurationError } from '../../../src/errors/errors.js';
import {
  createTestPki,
  generateKeyPair,
  toCertificateJwk,
  toJwk,
  type TestIdentity,
  type TestKeyType,
  type TestPki,
} from '../../../src/testing/pki.js';

const CLIENT_AUTH = '1.3.6.1.5.5.7.3.2';
const SERVER_AUTH = '1.3.6.1.5.5.7.3.1';
const DAY_MS = 86_400_000;

let pki: TestPki;
let workDir: string;
const leaves = new Map<TestKeyType, TestIdentity>();

beforeAll(async () => {
  workDir = mkdtempSync(join(tmpdir(), 'm2m-test-pki-'));
  pki = await createTestPki();
  for (const keyType of ['rsa', 'ec-p256', 'ec-p384', 'ed25519'] as const) {
    leaves.set(keyType, await pki.issueClientCertificate({ subject: `CN=svc-${keyType},O=Acme Corp,C=DE`, keyType }));
  }
});

afterAll(() => {
  rmSync(workDir, { recursive: true, force: true });
});

function leaf(keyType: TestKeyType): TestIdentity {
  const identity = leaves.get(keyType);
  if (identity === undefined) throw new Error(`no ${keyType} leaf`);
  return identity;
}

let fileCounter = 0;
function writePem(pem: string): string {
  const path = join(workDir, `${++fileCounter}.pem`);
  writeFileSync(path, pem);
  return path;
}

function openssl(args: readonly string[]): { ok: boolean; output: string } {
  const result = spawnSync('/usr/bin/openssl', args, { encoding: 'utf8' });
  return { ok: result.status === 0, output: `${result.stdout}${result.stderr}` };
}

/** `openssl verify` with the root as the only trust anchor and the intermediate as untrusted help. */
function opensslVerify(
  target: TestIdentity,
  options: { readonly trust?: TestPki; readonly intermediates?: readonly TestIdentity[]; readonly extra?: readonly string[] } = {},
): { ok: boolean; output: string } {
  const trust = options.trust ?? pki;
  const intermediates = options.intermediates ?? (trust.intermediate === undefined ? [] : [trust.intermediate]);
  const args = ['verify', '-CAfile', writePem(trust.trustAnchorsPem)];
  if (intermediates.length > 0) {
    args.push('-untrusted', writePem(intermediates.map((identity) => identity.certificatePem).join('')));
  }
  return openssl([...args, ...(options.extra ?? []), writePem(target.certificatePem)]);
}

function pemCount(pem: string): number {
  return pem.match(/-----BEGIN CERTIFICATE-----/g)?.length ?? 0;
}

/** The serialNumber INTEGER's content bytes, read straight from the DER (RFC 5280 §4.1.2.2). */
function serialNumberBytes(der: Buffer): Buffer {
  let offset = 0;
  const readHeader = (): { tag: number; length: number } => {
    const tag = der[offset++] as number;
    let length = der[offset++] as number;
    if (length & 0x80) {
      const count = length & 0x7f;
      length = 0;
      for (let i = 0; i < count; i++) length = length * 256 + (der[offset++] as number);
    }
    return { tag, length };
  };
  readHeader(); // Certificate SEQUENCE
  readHeader(); // TBSCertificate SEQUENCE
  const version = readHeader(); // [0] EXPLICIT Version
  expect(version.tag).toBe(0xa0);
  offset += version.length;
  const serial = readHeader();
  expect(serial.tag).toBe(0x02);
  return der.subarray(offset, offset + serial.length);
}

describe('createTestPki: a root, an intermediate and leaves that chain (RFC 5280 §6)', () => {
  it('makes a self-signed root CA and an intermediate CA issued by it', () => {
    const root = pki.root.certificate;
    const intermediate = pki.intermediate?.certificate;
    expect(intermediate).toBeDefined();
    if (intermediate === undefined) return;
    expect(root.ca).toBe(true);
    expect(root.checkIssued(root)).toBe(true);
    expect(root.verify(root.publicKey)).toBe(true);
    expect(intermediate.ca).toBe(true);
    expect(intermediate.checkIssued(root)).toBe(true);
    expect(intermediate.verify(root.publicKey)).toBe(true);
    expect(intermediate.verify(intermediate.publicKey)).toBe(false);
    expect(pki.issuingCa).toBe(pki.intermediate);
    expect(pki.trustAnchorsPem).toBe(pki.root.certificatePem);
  });

  it.each(['rsa', 'ec-p256', 'ec-p384', 'ed25519'] as const)('issues a %s leaf signed by the intermediate', (keyType) => {
    const identity = leaf(keyType);
    const intermediate = pki.intermediate?.certificate as X509Certificate;
    expect(identity.keyType).toBe(keyType);
    expect(identity.certificate.ca).toBe(false);
    expect(identity.certificate.checkIssued(intermediate)).toBe(true);
    expect(identity.certificate.verify(intermediate.publicKey)).toBe(true);
    expect(identity.certificate.verify(pki.root.certificate.publicKey)).toBe(false);
    expect(identity.certificate.checkPrivateKey(identity.privateKey)).toBe(true);
  });

  it.each(['rsa', 'ec-p256', 'ec-p384', 'ed25519'] as const)(
    '`openssl verify -CAfile root -untrusted intermediate -purpose sslclient` accepts the %s leaf',
    (keyType) => {
      const result = opensslVerify(leaf(keyType), { extra: ['-purpose', 'sslclient'] });
      expect(result.output).toContain(': OK');
      expect(result.ok).toBe(true);
    },
  );

  it('OpenSSL cannot build the chain without the intermediate, so the leaf really depends on it', () => {
    const result = opensslVerify(leaf('ec-p256'), { intermediates: [] });
    expect(result.ok).toBe(false);
    expect(result.output).toMatch(/unable to get local issuer certificate/);
  });

  it('links each certificate to its issuer with authority/subject key identifiers', () => {
    const keyIdentifiers = (identity: TestIdentity): string =>
      openssl(['x509', '-in', writePem(identity.certificatePem), '-noout', '-ext', 'subjectKeyIdentifier,authorityKeyIdentifier']).output;
    const skiOf = (text: string): string | undefined => /Subject Key Identifier:\s*\n\s*([0-9A-F:]+)/.exec(text)?.[1];
    const akiOf = (text: string): string | undefined => /Authority Key Identifier:\s*\n\s*(?:keyid:)?([0-9A-F:]+)/.exec(text)?.[1];
    const root = keyIdentifiers(pki.root);
    const intermediate = keyIdentifiers(pki.intermediate as TestIdentity);
    const client = keyIdentifiers(leaf('ec-p256'));
    expect(skiOf(root)).toMatch(/^[0-9A-F]{2}(:[0-9A-F]{2}){19}$/);
    expect(akiOf(intermediate)).toBe(skiOf(root));
    expect(akiOf(client)).toBe(skiOf(intermediate));
    expect(skiOf(client)).not.toBe(skiOf(intermediate));
  });

  it('puts the leaf and its intermediates, never the root, in chainPem', () => {
    const identity = leaf('ec-p256');
    expect(pemCount(identity.certificatePem)).toBe(1);
    expect(identity.chainPem).toBe(identity.certificatePem + (pki.intermediate as TestIdentity).certificatePem);
    expect(pki.intermediate?.chainPem).toBe(pki.intermediate?.certificatePem);
    expect(pki.root.chainPem).toBe(pki.root.certificatePem);
    expect(identity.chainPem).not.toContain(pki.root.certificatePem.trim());
  });

  it('without an intermediate, leaves are issued by the root and chainPem is the leaf alone', async () => {
    const flat = await createTestPki({ intermediate: false });
    const client = await flat.issueClientCertificate({ subject: 'CN=svc-flat' });
    expect(flat.intermediate).toBeUndefined();
    expect(flat.issuingCa).toBe(flat.root);
    expect(client.certificate.checkIssued(flat.root.certificate)).toBe(true);
    expect(client.chainPem).toBe(client.certificatePem);
    expect(opensslVerify(client, { trust: flat }).ok).toBe(true);
  });

  it('issues directly from the root when asked (issuer option)', async () => {
    const client = await pki.issueClientCertificate({ subject: 'CN=svc-from-root', issuer: pki.root });
    expect(client.certificate.checkIssued(pki.root.certificate)).toBe(true);
    expect(client.chainPem).toBe(client.certificatePem);
    expect(opensslVerify(client, { intermediates: [] }).ok).toBe(true);
  });

  it.each([
    ['rsa', 'sha256WithRSAEncryption'],
    ['ec-p384', 'ecdsa-with-SHA384'],
    ['ed25519', 'ED25519'],
  ] as const)('a %s CA signs with %s and OpenSSL accepts its chain', async (keyType, signatureAlgorithm) => {
    const other = await createTestPki({ keyType, intermediate: false });
    const client = await other.issueClientCertificate({ subject: `CN=svc-under-${keyType}`, keyType: 'ec-p256' });
    expect(other.root.keyType).toBe(keyType);
    expect(client.certificate.verify(other.root.certificate.publicKey)).toBe(true);
    const text = openssl(['x509', '-in', writePem(client.certificatePem), '-noout', '-text']).output;
    expect(text).toContain(`Signature Algorithm: ${signatureAlgorithm}`);
    expect(opensslVerify(client, { trust: other, extra: ['-purpose', 'sslclient'] }).ok).toBe(true);
    expect(opensslVerify(other.server, { trust: other, extra: ['-purpose', 'sslserver'] }).ok).toBe(true);
  });
});

describe('server certificate', () => {
  it('has serverAuth and the loopback names, which OpenSSL checks as a TLS server', () => {
    const server = pki.server.certificate;
    expect(server.keyUsage).toEqual([SERVER_AUTH]);
    expect(server.subjectAltName).toBe('DNS:localhost, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1');
    expect(server.checkHost('localhost')).toBe('localhost');
    expect(server.checkIP('127.0.0.1')).toBe('127.0.0.1');
    expect(server.checkIP('::1')).toBe('::1');
    for (const check of [['-verify_hostname', 'localhost'], ['-verify_ip', '127.0.0.1'], ['-verify_ip', '::1']]) {
      expect(opensslVerify(pki.server, { extra: ['-purpose', 'sslserver', ...check] }).ok).toBe(true);
    }
    expect(opensslVerify(pki.server, { extra: ['-purpose', 'sslserver', '-verify_hostname', 'example.com'] }).ok).toBe(false);
    expect(opensslVerify(pki.server, { extra: ['-purpose', 'sslclient'] }).ok).toBe(false);
  });

  it('takes the configured host names and addresses instead of the defaults', async () => {
    const custom = await createTestPki({
      intermediate: false,
      serverHostnames: ['auth.test', '*.auth.test'],
      serverIps: ['10.0.0.1'],
      commonNamePrefix: 'Acme, Test',
    });
    expect(custom.server.certificate.subjectAltName).toBe('DNS:auth.test, DNS:*.auth.test, IP Address:10.0.0.1');
    // The prefix is escaped, so its comma stays inside the CN instead of splitting the name.
    expect(custom.root.certificate.subject.split('\n')).toEqual(['O=Acme\\, Test PKI', 'CN=Acme\\, Test Root CA']);
  });
});

describe('issueCertificate / issueClientCertificate options', () => {
  it('encodes an RFC 4514 subject most-specific-first, i.e. reversed in DER', async () => {
    const identity = await pki.issueClientCertificate({ subject: 'CN=svc-a,O=Acme Corp,C=DE' });
    expect(identity.certificate.subject.split('\n')).toEqual(['C=DE', 'O=Acme Corp', 'CN=svc-a']);
    const rfc2253 = openssl(['x509', '-in', writePem(identity.certificatePem), '-noout', '-subject', '-nameopt', 'RFC2253']);
    expect(rfc2253.output.trim()).toBe('subject=CN=svc-a,O=Acme Corp,C=DE');
  });

  it('supports multi-valued RDNs, escapes, hex-escaped UTF-8 and non-ASCII values', async () => {
    const identity = await pki.issueClientCertificate({
      subject: 'CN=svc-a+UID=42,OU=J\\C3\\BCrgen\\, R&D,O=Acme\\+Co \\ ,C=DE,DC=example',
    });
    expect(identity.certificate.subject.split('\n')).toEqual([
      'DC=example',
      'C=DE',
      'O=Acme\\+Co \\ ',
      'OU=Jürgen\\, R&D',
      'CN=svc-a + UID=42',
    ]);
    const parsed = openssl(['asn1parse', '-in', writePem(identity.certificatePem)]).output;
    expect(parsed).toMatch(/:countryName\s*\n.*PRINTABLESTRING\s*:DE/);
    expect(parsed).toMatch(/:domainComponent\s*\n.*IA5STRING\s*:example/);
    expect(parsed).toMatch(/:commonName\s*\n.*UTF8STRING\s*:svc-a/);
  });

  it('rejects subjects that are not RFC 4514, naming the field', async () => {
    for (const subject of ['CN=a"b', 'CN=a;b', 'CN', 'XYZ=1', 'CN=a\\q', 'CN=\\FF\\FE', 'CN=a,']) {
      await expect(pki.issueClientCertificate({ subject })).rejects.toSatisfy(
        (error: unknown) => error instanceof ConfigurationError && error.code === 'ERR_M2M_INVALID_OPTION' && error.field === 'subject',
      );
    }
  });

  it('writes every SAN kind, IPv4 and IPv6 included', async () => {
    const identity = await pki.issueClientCertificate({
      subject: 'CN=svc-san',
      san: {
        dns: ['svc-a.internal'],
        uri: ['spiffe://acme.test/ns/prod/sa/svc-a'],
        ip: ['10.1.2.3', '2001:db8::7'],
        email: ['ops@acme.test'],
      },
    });
    expect(identity.certificate.subjectAltName).toBe(
      'DNS:svc-a.internal, URI:spiffe://acme.test/ns/prod/sa/svc-a, IP Address:10.1.2.3, IP Address:2001:DB8:0:0:0:0:0:7, email:ops@acme.test',
    );
    expect(identity.certificate.checkIP('2001:db8::7')).toBe('2001:db8::7');
    expect(identity.certificate.checkEmail('ops@acme.test')).toBe('ops@acme.test');
  });

  it('rejects an IP SAN that is not an address', async () => {
    await expect(pki.issueClientCertificate({ subject: 'CN=x', san: { ip: ['localhost'] } })).rejects.toThrow(/san\.ip/);
  });

  it('makes the SAN extension critical when the subject is empty (RFC 5280 §4.2.1.6)', async () => {
    const identity = await pki.issueClientCertificate({ subject: '', san: { uri: ['spiffe://acme.test/svc'] } });
    expect(identity.certificate.subject).toBeUndefined();
    const text = openssl(['x509', '-in', writePem(identity.certificatePem), '-noout', '-text']).output;
    expect(text).toContain('X509v3 Subject Alternative Name: critical');
    expect(opensslVerify(identity).ok).toBe(true);
  });

  it('adds the clientAuth EKU to client certificates, and omits or replaces it on request', async () => {
    expect(leaf('ec-p256').certificate.keyUsage).toEqual([CLIENT_AUTH]);
    const withoutEku = await pki.issueClientCertificate({ subject: 'CN=no-eku', extendedKeyUsage: false });
    expect(withoutEku.certificate.keyUsage).toBeUndefined();
    const serverOnly = await pki.issueClientCertificate({ subject: 'CN=wrong-eku', extendedKeyUsage: ['serverAuth'] });
    expect(serverOnly.certificate.keyUsage).toEqual([SERVER_AUTH]);
    expect(opensslVerify(serverOnly, { extra: ['-purpose', 'sslclient'] }).ok).toBe(false);
    const both = await pki.issueCertificate({ subject: 'CN=both', extendedKeyUsage: ['clientAuth', 'serverAuth'] });
    expect(both.certificate.keyUsage).toEqual([CLIENT_AUTH, SERVER_AUTH]);
  });

  it('issues an intermediate without the CA flag, whose leaves OpenSSL refuses', async () => {
    const notACa = await pki.issueCertificate({ subject: 'CN=not a CA', ca: false, keyUsage: ['keyCertSign', 'digitalSignature'] });
    expect(notACa.certificate.ca).toBe(false);
    const text = openssl(['x509', '-in', writePem(notACa.certificatePem), '-noout', '-text']).output;
    expect(text).toMatch(/Basic Constraints: critical\s*\n\s*CA:FALSE/);
    const client = await pki.issueClientCertificate({ subject: 'CN=under a leaf', issuer: notACa });
    expect(client.certificate.checkIssued(notACa.certificate)).toBe(true);
    expect(client.chainPem).toBe(client.certificatePem + notACa.certificatePem + (pki.intermediate as TestIdentity).certificatePem);
    const result = opensslVerify(client, { intermediates: [notACa, pki.intermediate as TestIdentity] });
    expect(result.ok).toBe(false);
    expect(result.output).toMatch(/invalid CA certificate/);
  });

  it('can omit basicConstraints and key usage entirely', async () => {
    const bare = await pki.issueCertificate({ subject: 'CN=bare', omitBasicConstraints: true, keyUsage: false });
    const text = openssl(['x509', '-in', writePem(bare.certificatePem), '-noout', '-text']).output;
    expect(text).not.toContain('Basic Constraints');
    expect(text).not.toContain('X509v3 Key Usage');
    expect(text).toContain('Subject Key Identifier');
  });

  it('issues a sub-CA with a path length, which then signs verifiable leaves', async () => {
    const subCa = await pki.issueCertificate({ subject: 'CN=sub CA', ca: true, pathLength: 0, issuer: pki.root });
    const text = openssl(['x509', '-in', writePem(subCa.certificatePem), '-noout', '-text']).output;
    expect(text).toContain('CA:TRUE, pathlen:0');
    expect(text).toContain('Certificate Sign, CRL Sign');
    const client = await pki.issueClientCertificate({ subject: 'CN=under sub CA', issuer: subCa });
    expect(opensslVerify(client, { intermediates: [subCa] }).ok).toBe(true);
  });

  it('honours explicit validity: an expired certificate has notAfter in the past', async () => {
    const now = Date.now();
    const expired = await pki.issueClientCertificate({
      subject: 'CN=expired',
      notBefore: new Date(now - 10 * DAY_MS),
      notAfter: new Date(now - DAY_MS),
    });
    expect(Date.parse(expired.certificate.validTo)).toBeLessThan(now);
    expect(Date.parse(expired.certificate.validFrom)).toBeLessThan(Date.parse(expired.certificate.validTo));
    const result = opensslVerify(expired);
    expect(result.ok).toBe(false);
    expect(result.output).toMatch(/certificate has expired/);
  });

  it('defaults validity to one hour ago until validityDays from now', () => {
    const now = Date.now();
    const validFrom = Date.parse(leaf('ec-p256').certificate.validFrom);
    const validTo = Date.parse(leaf('ec-p256').certificate.validTo);
    expect(validFrom).toBeLessThanOrEqual(now - 3_500_000);
    expect(validFrom).toBeGreaterThan(now - 3_700_000 - 60_000);
    expect(Math.round((validTo - now) / DAY_MS)).toBe(3650);
  });

  it('rejects notAfter before notBefore', async () => {
    await expect(
      pki.issueClientCertificate({ subject: 'CN=x', notBefore: new Date(2_000_000_000_000), notAfter: new Date(1_000_000_000_000) }),
    ).rejects.toThrow(/notAfter/);
  });

  it('generates small RSA keys on request, for "RSA ≥ 2048 bits" negative tests', async () => {
    const weak = await pki.issueClientCertificate({ subject: 'CN=weak', keyType: 'rsa', rsaBits: 1024 });
    expect(weak.privateKey.asymmetricKeyDetails?.modulusLength).toBe(1024);
    expect(leaf('rsa').privateKey.asymmetricKeyDetails?.modulusLength).toBe(2048);
  });

  it('uses random, positive, distinct serial numbers', () => {
    const serials = [...leaves.values(), pki.root, pki.intermediate as TestIdentity, pki.server].map((identity) =>
      serialNumberBytes(identity.der),
    );
    for (const serial of serials) {
      expect(serial.length).toBeGreaterThanOrEqual(16);
      // Positive: the sign bit is clear, or a single 0x00 pad precedes a set high bit.
      expect((serial[0] as number) < 0x80).toBe(true);
      if (serial[0] === 0) expect((serial[1] as number) >= 0x80).toBe(true);
    }
    expect(new Set(serials.map((serial) => serial.toString('hex'))).size).toBe(serials.length);
  });
});

describe('identity material', () => {
  it('x5tS256 is base64url(SHA-256(DER)) of the certificate (RFC 8705 §3.1)', () => {
    for (const identity of leaves.values()) {
      expect(identity.der.equals(identity.certificate.raw)).toBe(true);
      expect(identity.x5tS256).toBe(createHash('sha256').update(identity.certificate.raw).digest('base64url'));
      expect(identity.x5tS256).toBe(Buffer.from(identity.certificate.fingerprint256.replaceAll(':', ''), 'hex').toString('base64url'));
      expect(identity.x5tS256).toMatch(/^[A-Za-z0-9_-]{43}$/);
    }
  });

  it('carries the private key as PKCS#8 PEM, KeyObject and JWK, and the public key as JWK', () => {
    const identity = leaf('ec-p256');
    expect(identity.privateKeyPem).toMatch(/^-----BEGIN PRIVATE KEY-----\n/);
    expect(identity.privateKey.type).toBe('private');
    expect(identity.certificate.checkPrivateKey(identity.privateKey)).toBe(true);
    expect(identity.publicJwk).toEqual({ kty: 'EC', crv: 'P-256', x: expect.any(String), y: expect.any(String) });
    expect(identity.privateJwk).toEqual({ ...identity.publicJwk, d: expect.any(String) });
    expect(leaf('ed25519').publicJwk).toEqual({ kty: 'OKP', crv: 'Ed25519', x: expect.any(String) });
    expect(leaf('rsa').publicJwk).toEqual({ kty: 'RSA', n: expect.any(String), e: 'AQAB' });
  });

  it('toJwk never exports private parameters, even given a private key', async () => {
    const { privateKey, publicKey } = await generateKeyPair('ec-p384');
    expect(toJwk(privateKey)).toEqual(toJwk(publicKey));
    expect(toJwk(privateKey)).not.toHaveProperty('d');
    expect(toJwk(privateKey)).toMatchObject({ kty: 'EC', crv: 'P-384' });
  });

  it('toCertificateJwk carries the chain in x5c and the thumbprint in x5t#S256', () => {
    const identity = leaf('ec-p256');
    const jwk = toCertificateJwk(identity, { kid: 'svc-a-1' });
    expect(jwk).toMatchObject({ ...identity.publicJwk, kid: 'svc-a-1', 'x5t#S256': identity.x5tS256 });
    expect(jwk.x5c).toEqual([identity.der.toString('base64'), (pki.intermediate as TestIdentity).der.toString('base64')]);
  });
});

describe('createSelfSignedClientCertificate (RFC 8705 §2.2)', () => {
  it('is issued by itself, carries clientAuth, and is not a CA', async () => {
    const identity = await pki.createSelfSignedClientCertificate({
      subject: 'CN=svc-b,O=Acme Corp',
      san: { uri: ['https://svc-b.acme.test'] },
      keyType: 'ed25519',
    });
    const certificate = identity.certificate;
    expect(certificate.subject.split('\n')).toEqual(['O=Acme Corp', 'CN=svc-b']);
    expect(certificate.issuer).toBe(certificate.subject);
    expect(certificate.verify(certificate.publicKey)).toBe(true);
    expect(certificate.verify(pki.issuingCa.certificate.publicKey)).toBe(false);
    expect(certificate.ca).toBe(false);
    expect(certificate.keyUsage).toEqual([CLIENT_AUTH]);
    expect(identity.chainPem).toBe(identity.certificatePem);
    expect(toCertificateJwk(identity).x5c).toEqual([identity.der.toString('base64')]);
    expect(opensslVerify(identity).ok).toBe(false);
  });

  it('a certificate issued by a self-signed identity does not repeat that trust anchor in chainPem', async () => {
    const selfSigned = await pki.createSelfSignedClientCertificate({ subject: 'CN=private root' });
    const issued = await pki.issueCertificate({ subject: 'CN=under private root', issuer: selfSigned });
    expect(issued.certificate.verify(selfSigned.publicKey)).toBe(true);
    expect(issued.chainPem).toBe(issued.certificatePem);
  });
});

interface HandshakeResult {
  readonly clientAuthorizedServer: boolean;
  readonly serverCertificateFingerprint: string | undefined;
  readonly serverAuthorizedClient: boolean;
  readonly serverAuthorizationError: string | undefined;
  readonly clientCertificateFingerprint: string | undefined;
}

/**
 * A TLS server that asks for a client certificate but, like the library's own servers, lets the
 * application judge it (`rejectUnauthorized: false`), so the verdict is observable.
 */
async function handshake(client: TestIdentity): Promise<HandshakeResult> {
  const server = tls.createServer({
    key: pki.server.privateKeyPem,
    cert: pki.server.chainPem,
    ca: pki.trustAnchorsPem,
    requestCert: true,
    rejectUnauthorized: false,
  });
  const seenByServer = new Promise<tls.TLSSocket>((resolve) => server.once('secureConnection', resolve));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  try {
    const { port } = server.address() as AddressInfo;
    // No servername: Node checks the server certificate against its IP SAN 127.0.0.1.
    const socket = tls.connect({ host: '127.0.0.1', port, key: client.privateKeyPem, cert: client.chainPem, ca: pki.trustAnchorsPem });
    await once(socket, 'secureConnect');
    const serverSide = await seenByServer;
    const result: HandshakeResult = {
      clientAuthorizedServer: socket.authorized,
      serverCertificateFingerprint: socket.getPeerX509Certificate()?.fingerprint256,
      serverAuthorizedClient: serverSide.authorized,
      serverAuthorizationError: serverSide.authorizationError?.toString(),
      clientCertificateFingerprint: serverSide.getPeerX509Certificate()?.fingerprint256,
    };
    serverSide.destroy();
    socket.destroy();
    return result;
  } finally {
    server.close();
  }
}

describe('a real TLS handshake with the issued identities', () => {
  it.each(['ec-p256', 'rsa', 'ed25519'] as const)('the server validates and sees the %s client certificate', async (keyType) => {
    const client = leaf(keyType);
    expect(await handshake(client)).toEqual({
      clientAuthorizedServer: true,
      serverCertificateFingerprint: pki.server.certificate.fingerprint256,
      serverAuthorizedClient: true,
      serverAuthorizationError: undefined,
      clientCertificateFingerprint: client.certificate.fingerprint256,
    });
  });

  it('a client certificate from another PKI reaches the server but does not validate', async () => {
    const stranger = await (await createTestPki({ intermediate: false })).issueClientCertificate({ subject: 'CN=stranger' });
    const result = await handshake(stranger);
    expect(result.clientCertificateFingerprint).toBe(stranger.certificate.fingerprint256);
    expect(result.serverAuthorizedClient).toBe(false);
    expect(result.serverAuthorizationError).toBe('UNABLE_TO_VERIFY_LEAF_SIGNATURE');
  });
});
