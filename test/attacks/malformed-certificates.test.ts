/**
 * ATTACK: hostile DER forwarded by a trusted TLS-terminating proxy. The proxy passes on whatever
 * the client put in its handshake, so a certificate header is attacker-shaped bytes: ASN.1 nested
 * thousands deep (stack exhaustion in recursive decoders), element floods, lengths that lie,
 * BER where DER is required, two subjectAltName extensions that two parsers could read
 * differently, and NUL bytes in names (the 2009 "null prefix" attack). SPEC.md: "Header certs are
 * chain-validated by the library"; certificate.ts: "every failure ... becomes
 * certificate_malformed". Framing faults are the proxy header's fault (400
 * `proxy_header_malformed`); content faults are the certificate's (401 `certificate_malformed`).
 */
import { X509Certificate, createHash, webcrypto } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClientMetadata } from '../../src/clients/metadata.js';
import type { ReasonCode } from '../../src/errors/reasons.js';
import type { TestIdentity } from '../../src/testing/pki.js';
import { type AdapterUnderTest, type ConformanceContext, createConformanceContext, mount } from '../helpers/context.js';
import { FORM_CONTENT_TYPE, type HttpResult, formBody, httpsRequest } from '../helpers/http.js';
import { ADAPTERS } from '../helpers/servers.js';
import { expectIssued, expectRefusal } from './support.js';

const SUBJECT = 'CN=svc,O=Acme Corp';
const SAN_DNS = 'svc.acme.example';

/** DER definite length octets. */
function derLength(length: number): Buffer {
  if (length < 0x80) return Buffer.from([length]);
  const bytes: number[] = [];
  for (let rest = length; rest > 0; rest = Math.floor(rest / 256)) bytes.unshift(rest % 256);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}
function tlv(tag: number, content: Buffer): Buffer {
  return Buffer.concat([Buffer.from([tag]), derLength(content.length), content]);
}
function nestedSequences(depth: number): Buffer {
  let der: Buffer = Buffer.alloc(0);
  for (let level = 0; level < depth; level++) der = tlv(0x30, der);
  return der;
}
function derOf(identity: TestIdentity): Buffer {
  return Buffer.from(new X509Certificate(identity.certificatePem).raw);
}
/** A copy of `der` with the first occurrence of `find` replaced by `replace` (same length). */
function patched(der: Buffer, find: Buffer, replace: Buffer): Buffer {
  const at = der.indexOf(find);
  if (at < 0 || find.length !== replace.length) throw new Error('pattern not found');
  const copy = Buffer.from(der);
  replace.copy(copy, at);
  return copy;
}

/** A leaf signed by the real issuing CA, with two subjectAltName extensions: which one is "the" SAN? */
async function doubleSanCertificate(context: ConformanceContext): Promise<Buffer> {
  const x509 = await import('@peculiar/x509');
  const issuer = context.pki.issuingCa;
  const algorithm = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
  const signingKey = await webcrypto.subtle.importKey('pkcs8', issuer.privateKey.export({ type: 'pkcs8', format: 'der' }), algorithm, false, ['sign']);
  const leafKeys = await webcrypto.subtle.generateKey(algorithm, true, ['sign', 'verify']);
  const certificate = await x509.X509CertificateGenerator.create({
    serialNumber: '0badc0de',
    subject: 'CN=svc, O=Acme Corp',
    issuer: new x509.X509Certificate(issuer.der).subject,
    notBefore: new Date(Date.now() - 3_600_000),
    notAfter: new Date(Date.now() + 86_400_000),
    publicKey: leafKeys.publicKey,
    signingKey,
    signingAlgorithm: algorithm,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.SubjectAlternativeNameExtension([{ type: 'dns', value: 'attacker.example' }]),
      new x509.SubjectAlternativeNameExtension([{ type: 'dns', value: SAN_DNS }]),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.clientAuth]),
    ],
  });
  return Buffer.from(certificate.rawData);
}

describe.each(ADAPTERS)('ATTACK hostile certificate DER from a trusted proxy through the %s adapter', (adapter) => {
  let context: ConformanceContext;
  let server: AdapterUnderTest;
  let leaf: TestIdentity;
  let nulInName: TestIdentity;
  let nulInSan: TestIdentity;
  let doubleSan: Buffer;

  beforeAll(async () => {
    context = await createConformanceContext();
    [leaf, nulInName, nulInSan] = await Promise.all([
      context.pki.issueClientCertificate({ subject: SUBJECT, san: { dns: [SAN_DNS] }, issuer: context.pki.root }),
      context.pki.issueClientCertificate({ subject: 'CN=svc\\00.attacker.example,O=Acme Corp', issuer: context.pki.root }),
      context.pki.issueClientCertificate({ subject: 'CN=other,O=Acme Corp', san: { dns: [`${SAN_DNS}\u0000.attacker.example`] }, issuer: context.pki.root }),
    ]);
    doubleSan = await doubleSanCertificate(context);
    const clients: ClientMetadata[] = [
      { client_id: 'by-dn', token_endpoint_auth_method: 'tls_client_auth', tls_client_auth_subject_dn: SUBJECT, scope: 'read' },
      { client_id: 'by-san', token_endpoint_auth_method: 'tls_client_auth', tls_client_auth_san_dns: SAN_DNS, scope: 'read' },
    ];
    const endpoint = context.createEndpoint({
      clients,
      mtls: {
        trustAnchors: [context.pki.trustAnchorsPem, context.pki.issuingCa.certificatePem],
        trustedProxies: ['127.0.0.1/32', '::1'],
        proxyCertificateSource: { format: 'rfc9440' },
      },
    });
    server = await mount(adapter, context, endpoint);
  });
  afterAll(() => server.server.close());

  const forward = (der: Buffer, clientId = 'by-dn'): Promise<HttpResult> =>
    httpsRequest(`${server.server.origin}/token`, {
      headers: { ...FORM_CONTENT_TYPE, 'client-cert': `:${der.toString('base64')}:` },
      body: formBody({ grant_type: 'client_credentials', client_id: clientId }),
      ca: context.pki.trustAnchorsPem,
    });

  async function refused(der: Buffer, reason: ReasonCode, clientId = 'by-dn'): Promise<void> {
    const response = await forward(der, clientId);
    const status = reason === 'proxy_header_malformed' ? 400 : 401;
    expectRefusal(response, server, { status, error: status === 400 ? 'invalid_request' : 'invalid_client', reason, wwwAuthenticate: false });
  }

  it('accepts the genuine forwarded certificate (control)', async () => {
    expectIssued(await forward(derOf(leaf)));
    expectIssued(await forward(derOf(leaf), 'by-san'));
  });

  describe('ASN.1 structure bombs: refused in bounded time, never a crash (certificate_malformed)', () => {
    it('2,000 nested SEQUENCEs (a recursive decoder would blow its stack)', async () => {
      const started = performance.now();
      await refused(nestedSequences(2000), 'certificate_malformed');
      expect(performance.now() - started).toBeLessThan(2000);
    });
    it('65 nested SEQUENCEs, one past the decoder depth limit', async () => {
      await refused(nestedSequences(65), 'certificate_malformed');
    });
    it('a SEQUENCE of 5,000 NULLs', async () => {
      await refused(tlv(0x30, Buffer.alloc(10_000, 0).fill(Buffer.from([0x05, 0x00]))), 'certificate_malformed');
    });
    it('a SEQUENCE whose inner element claims 2 GiB', async () => {
      await refused(tlv(0x30, Buffer.from([0x30, 0x84, 0x7f, 0xff, 0xff, 0xff, 0x05, 0x00])), 'certificate_malformed');
    });
    it('a certificate-shaped SEQUENCE of three garbage OCTET STRINGs', async () => {
      await refused(tlv(0x30, Buffer.concat([tlv(0x04, Buffer.alloc(300, 1)), tlv(0x04, Buffer.alloc(10, 2)), tlv(0x03, Buffer.from([0, 1]))])), 'certificate_malformed');
    });
    it('an empty SEQUENCE', async () => {
      await refused(Buffer.from([0x30, 0x00]), 'certificate_malformed');
    });
  });

  describe('a genuine certificate, tampered: strict DER and one reading only (certificate_malformed)', () => {
    it('an inner length octet that lies (TBSCertificate shortened by one)', async () => {
      const der = derOf(leaf);
      // 30 82 LL LL | 30 82 TT TT — the TBSCertificate header follows the 4-octet outer header.
      const copy = Buffer.from(der);
      copy.writeUInt16BE(copy.readUInt16BE(6) - 1, 6);
      await refused(copy, 'certificate_malformed');
    });
    it('a BER BOOLEAN TRUE encoded as 0x01 instead of 0xFF (X.690 §11.1)', async () => {
      await refused(patched(derOf(leaf), Buffer.from([0x01, 0x01, 0xff]), Buffer.from([0x01, 0x01, 0x01])), 'certificate_malformed');
    });
    it('two subjectAltName extensions, validly signed by the trusted CA (RFC 5280 §4.2: at most one instance)', async () => {
      expect(new X509Certificate(doubleSan).subjectAltName).toBeDefined();
      await refused(doubleSan, 'certificate_malformed', 'by-san');
      const event = server.lastEvent();
      expect(event.type === 'client_authentication_failed' ? event.detail : '').toMatch(/duplicate extension 2\.5\.29\.17/);
    });
    it('one flipped bit in the signature parses, and is refused by chain validation (certificate_chain_invalid)', async () => {
      const der = derOf(leaf);
      const copy = Buffer.from(der);
      copy[copy.length - 3] = (copy[copy.length - 3] ?? 0) ^ 0x01;
      await refused(copy, 'certificate_chain_invalid');
    });
  });

  describe('framing faults are the proxy header\'s (proxy_header_malformed, 400)', () => {
    it.each([
      ['indefinite length (BER 30 80 … 00 00)', Buffer.from([0x30, 0x80, 0x05, 0x00, 0x00, 0x00])],
      ['a non-minimal length (30 81 02 …)', Buffer.from([0x30, 0x81, 0x02, 0x05, 0x00])],
      ['a length over 4 octets', Buffer.from([0x30, 0x85, 0x00, 0x00, 0x00, 0x00, 0x02, 0x05, 0x00])],
      ['an outer length larger than the data', Buffer.from([0x30, 0x10, 0x05, 0x00])],
      ['trailing bytes after the certificate', Buffer.concat([Buffer.from([0x30, 0x02, 0x05, 0x00]), Buffer.from([0x00])])],
      ['not a SEQUENCE at all (an INTEGER)', Buffer.from([0x02, 0x01, 0x01])],
      ['a single byte', Buffer.from([0x30])],
    ])('%s', async (_name, der) => {
      await refused(der, 'proxy_header_malformed');
    });
  });

  describe('the "null prefix" attack: a NUL in a name does not truncate it', () => {
    it('CN "svc\\0.attacker.example" does not match the registered "CN=svc,O=Acme Corp" (cert_subject_mismatch)', async () => {
      await refused(derOf(nulInName), 'cert_subject_mismatch');
    });
    it('SAN dNSName "svc.acme.example\\0.attacker.example" does not match "svc.acme.example" (cert_san_mismatch)', async () => {
      expect(createHash('sha256').update(derOf(nulInSan)).digest('hex')).toHaveLength(64);
      await refused(derOf(nulInSan), 'cert_san_mismatch', 'by-san');
    });
  });

  it('after all of that the server still answers a valid request', async () => {
    expectIssued(await forward(derOf(leaf)));
  });
});
