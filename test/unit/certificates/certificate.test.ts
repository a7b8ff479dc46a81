import { X509Certificate, createHash, generateKeyPairSync } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  MAX_CERTIFICATE_DER_BYTES,
  type ParsedCertificate,
  parseCertificate,
  parsePemBundle,
} from '../../../src/certificates/certificate.js';
import { formatRfc4514 } from '../../../src/certificates/distinguished-name.js';
import { OAuthError } from '../../../src/errors/errors.js';
import { type TestKeyType, type TestPki, createTestPki } from '../../../src/testing/pki.js';
import {
  type ExtensionSpec,
  type MiniLeafOptions,
  basicConstraints,
  boolean,
  buildCertificate,
  clientAuthEku,
  integer,
  keyUsage,
  miniCa,
  miniLeaf,
  name,
  nestedSequences,
  printable,
  pseudoRandomBytes,
  seq,
  subjectAltName,
  tlv,
  utf8,
} from './certs.js';

/**
 * Known answer (RFC 8705 §3.1). Made once with
 *   openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 36500 \
 *     -subj "/C=DE/O=Example Known Answer/CN=x5t-fixture" \
 *     -addext "subjectAltName=DNS:fixture.example,IP:192.0.2.7,IP:2001:db8::7,URI:spiffe://example/fixture,email:fixture@example.com" \
 *     -addext "extendedKeyUsage=clientAuth"
 * and the expected values computed independently with
 *   openssl x509 -outform DER | openssl dgst -sha256 -binary | base64url       → x5t#S256
 *   openssl x509 -noout -pubkey | openssl pkey -pubin -outform DER | … base64url → SPKI SHA-256
 */
const FIXTURE_PEM = `-----BEGIN CERTIFICATE-----
MIICVDCCAfugAwIBAgIURiCLNxWgpgp+rZuLmyEm+eAlXTwwCgYIKoZIzj0EAwIw
QjELMAkGA1UEBhMCREUxHTAbBgNVBAoMFEV4YW1wbGUgS25vd24gQW5zd2VyMRQw
EgYDVQQDDAt4NXQtZml4dHVyZTAgFw0yNjExMjEyMzE0NTZaGA8yMTI2MTAyODIz
MTQ1NlowQjELMAkGA1UEBhMCREUxHTAbBgNVBAoMFEV4YW1wbGUgS25vd24gQW5z
d2VyMRQwEgYDVQQDDAt4NXQtZml4dHVyZTBZMBMGByqGSM49AgEGCCqGSM49AwEH
A0IABNC+8Ae67HVvnDkV9nlMQlqRvKHrTw1/gmVKqREXS++idxwFeJAELRhxurlq
SJPjj8MU2IV81xrgXf36rUoistyjgcwwgckwHQYDVR0OBBYEFNciEZuEVUXfZBfC
bW4Znri02pXRMB8GA1UdIwQYMBaAFNciEZuEVUXfZBfCbW4Znri02pXRMA8GA1Ud
EwEB/wQFMAMBAf8wYQYDVR0RBFowWIIPZml4dHVyZS5leGFtcGxlhwTAAAIHhxAg
AQ24AAAAAAAAAAAAAAAHhhhzcGlmZmU6Ly9leGFtcGxlL2ZpeHR1cmWBE2ZpeHR1
cmVAZXhhbXBsZS5jb20wEwYDVR0lBAwwCgYIKwYBBQUHAwIwCgYIKoZIzj0EAwID
RwAwRAIgEXcYCeUa5auvDwNFYOawjmb/egt2k/0yIGMsBpHbdC8CIFd7ruiq5DOZ
mpQWGppMTOcuHLZyS2jseZz3kMBjbY83
-----END CERTIFICATE-----
`;
const FIXTURE_X5T_S256 = 'QSXe2h5t23FatMCx8TpVe_s4OwbwtUPVXKKmNf8sN0w';
const FIXTURE_SPKI_SHA256 = '-LqqypRlMg145baf-xwj_HZuk28jRvj6PV5BvcKuzM0';

function malformedDetail(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(OAuthError);
    expect((error as OAuthError).reason).toBe('certificate_malformed');
    return (error as OAuthError).detail ?? '';
  }
  throw new Error('expected certificate_malformed, but the input was accepted');
}

const base64url = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('base64url');

describe('RFC 8705 §3.1 x5t#S256 known answer', () => {
  it('equals the value openssl computes for a fixed certificate', () => {
    const cert = parseCertificate(FIXTURE_PEM);
    expect(cert.thumbprintS256).toBe(FIXTURE_X5T_S256);
    expect(cert.spkiSha256).toBe(FIXTURE_SPKI_SHA256);
  });

  it('decodes the fixture: names, SANs, validity (UTCTime and GeneralizedTime), extensions', () => {
    const cert = parseCertificate(FIXTURE_PEM);
    expect(formatRfc4514(cert.subject)).toBe('CN=x5t-fixture,O=Example Known Answer,C=DE');
    expect(cert.selfIssued).toBe(true);
    expect(cert.subjectAltNames.dns).toEqual(['fixture.example']);
    expect(cert.subjectAltNames.uri).toEqual(['spiffe://example/fixture']);
    expect(cert.subjectAltNames.email).toEqual(['fixture@example.com']);
    expect(cert.subjectAltNames.ip.map((ip) => ip.toString('hex'))).toEqual(['c0000207', '20010db8000000000000000000000007']);
    expect(cert.notBefore).toBe(Date.UTC(2026, 10, 21, 23, 14, 56)); // UTCTime 261121231456Z
    expect(cert.notAfter).toBe(Date.UTC(2126, 9, 28, 23, 14, 56)); // GeneralizedTime 21261028231456Z
    expect(cert.basicConstraints).toEqual({ ca: true });
    expect(cert.extendedKeyUsage).toEqual(['1.3.6.1.5.5.7.3.2']);
    expect(cert.keyUsage).toBeUndefined();
    expect(cert.signatureAlgorithm).toBe('1.2.840.10045.4.3.2');
    expect(cert.criticalExtensions).toEqual(['2.5.29.19']);
  });
});

describe('RFC 5280 §4.1 parseCertificate', () => {
  const keyTypes: readonly TestKeyType[] = ['rsa', 'ec-p256', 'ec-p384', 'ed25519'];
  let pki: TestPki;
  beforeAll(async () => {
    pki = await createTestPki();
  });

  it.each(keyTypes)('decodes a %s client certificate from DER, PEM and X509Certificate alike', async (keyType) => {
    const identity = await pki.issueClientCertificate({
      subject: 'CN=svc-a+UID=42,OU=Payments,O=Acme\\, Inc.,C=DE',
      keyType,
      san: { dns: ['svc-a.example'], uri: ['spiffe://acme/svc-a'], ip: ['192.0.2.1', '2001:db8::1'], email: ['svc-a@example.com'] },
    });
    const cert = parseCertificate(identity.der);
    expect(parseCertificate(identity.certificatePem)).toBe(cert);
    expect(parseCertificate(new X509Certificate(identity.der))).toBe(cert);

    expect(cert.thumbprintS256).toBe(identity.x5tS256);
    // Independently: Node's own SPKI export for these standard keys is byte-identical.
    expect(cert.spkiSha256).toBe(base64url(identity.publicKey.export({ type: 'spki', format: 'der' })));
    expect(formatRfc4514(cert.subject)).toBe('CN=svc-a+UID=42,OU=Payments,O=Acme\\, Inc.,C=DE');
    expect(formatRfc4514(cert.issuer)).toBe(formatRfc4514(parseCertificate(pki.issuingCa.der).subject));
    expect(cert.subjectAltNames.dns).toEqual(['svc-a.example']);
    expect(cert.subjectAltNames.uri).toEqual(['spiffe://acme/svc-a']);
    expect(cert.subjectAltNames.email).toEqual(['svc-a@example.com']);
    expect(cert.subjectAltNames.ip.map((ip) => ip.toString('hex'))).toEqual(['c0000201', '20010db8000000000000000000000001']);
    expect(cert.notBefore).toBe(Date.parse(identity.certificate.validFrom));
    expect(cert.notAfter).toBe(Date.parse(identity.certificate.validTo));
    expect(cert.basicConstraints).toEqual({ ca: false });
    expect(cert.keyUsage?.digitalSignature).toBe(true);
    expect(cert.keyUsage?.keyCertSign).toBe(false);
    expect(cert.extendedKeyUsage).toEqual(['1.3.6.1.5.5.7.3.2']);
    expect(cert.selfIssued).toBe(false);
    expect(cert.x509.fingerprint256.replaceAll(':', '').toLowerCase()).toBe(createHash('sha256').update(identity.der).digest('hex'));
    expect(cert.publicKey.equals(identity.publicKey)).toBe(true);
  });

  it('decodes CA certificates: cA, pathLenConstraint, keyCertSign, self-issued root', () => {
    const root = parseCertificate(pki.root.der);
    const intermediate = parseCertificate((pki.intermediate as NonNullable<TestPki['intermediate']>).der);
    expect(root.basicConstraints).toEqual({ ca: true });
    expect(root.selfIssued).toBe(true);
    expect(intermediate.basicConstraints).toEqual({ ca: true, pathLength: 0 });
    expect(intermediate.keyUsage).toMatchObject({ keyCertSign: true, cRLSign: true, digitalSignature: false });
    expect(intermediate.extendedKeyUsage).toBeUndefined();
  });

  it('returns one frozen object per DER, cached by SHA-256, independent of the caller buffer', () => {
    const der = Buffer.from(pki.root.der);
    const cert = parseCertificate(der);
    der.fill(0);
    expect(parseCertificate(pki.root.der)).toBe(cert);
    expect(cert.der.equals(pki.root.der)).toBe(true);
    expect(Object.isFrozen(cert)).toBe(true);
    expect(Object.isFrozen(cert.subjectAltNames)).toBe(true);
    expect(Object.isFrozen(cert.subject.rdns)).toBe(true);
  });

  it('keeps the exact SPKI bytes for the hash (RFC 7469 §2.4 style), and DER-decoded raw IP octets', () => {
    const ca = miniCa();
    const mapped = Buffer.from('00000000000000000000ffff01020304', 'hex');
    const cert = parseCertificate(miniLeaf(ca, { extensions: [subjectAltName({ ip: [mapped, Buffer.from([1, 2, 3, 4])] })] }));
    expect(cert.subjectAltNames.ip).toEqual([mapped, Buffer.from([1, 2, 3, 4])]);
  });

  it('keeps SANs of other kinds out: otherName, directoryName and registeredID are skipped', () => {
    const ca = miniCa();
    const san = seq(
      tlv(0xa0, Buffer.from('06032a0304a003020101', 'hex')), // otherName
      tlv(0xa4, name([['2.5.4.3', utf8('dir')]])), // directoryName
      tlv(0x88, Buffer.from([0x2a, 0x03])), // registeredID
      tlv(0x82, Buffer.from('only.example')),
    );
    const cert = parseCertificate(miniLeaf(ca, { extensions: [{ oid: '2.5.29.17', value: san }] }));
    expect(cert.subjectAltNames).toEqual({ dns: ['only.example'], uri: [], ip: [], email: [] });
  });

  it('records critical extensions, including ones it does not understand', () => {
    const ca = miniCa();
    const cert = parseCertificate(
      miniLeaf(ca, { extensions: [basicConstraints(false), { oid: '1.3.6.1.4.1.99999.1', critical: true, value: Buffer.from([5, 0]) }] }),
    );
    expect(cert.criticalExtensions).toEqual(['2.5.29.19', '1.3.6.1.4.1.99999.1']);
  });
});

describe('RFC 7468 §5 parsePemBundle', () => {
  let pki: TestPki;
  beforeAll(async () => {
    pki = await createTestPki();
  });

  it('reads every CERTIFICATE block in order and ignores the text around them', () => {
    const text = `# Issuer: intermediate\n${(pki.intermediate as NonNullable<TestPki['intermediate']>).certificatePem}\nsome comment\n${pki.root.certificatePem}trailing`;
    const bundle = parsePemBundle(text);
    expect(bundle.map((cert) => cert.thumbprintS256)).toEqual([
      parseCertificate((pki.intermediate as NonNullable<TestPki['intermediate']>).der).thumbprintS256,
      parseCertificate(pki.root.der).thumbprintS256,
    ]);
  });

  it('enforces maxCertificates', () => {
    expect(malformedDetail(() => parsePemBundle(pki.root.certificatePem.repeat(3), { maxCertificates: 2 }))).toMatch(/more than 2 certificates/);
  });

  it('parseCertificate wants exactly one block', () => {
    expect(malformedDetail(() => parseCertificate(pki.root.certificatePem.repeat(2)))).toMatch(/more than one PEM CERTIFICATE block/);
    expect(malformedDetail(() => parseCertificate('hello'))).toMatch(/no PEM CERTIFICATE block/);
  });
});

describe('RFC 5280 §4.1 hostile input → certificate_malformed, never a crash', () => {
  let good: Buffer;
  let ca: ReturnType<typeof miniCa>;
  beforeAll(() => {
    ca = miniCa();
    good = miniLeaf(ca, { extensions: [basicConstraints(false), keyUsage(false), clientAuthEku, subjectAltName({ dns: ['a.example'] })] });
    expect(parseCertificate(good).subjectAltNames.dns).toEqual(['a.example']);
  });

  it('random bytes', () => {
    for (let seed = 1; seed <= 200; seed++) {
      const bytes = pseudoRandomBytes(1 + (seed * 37) % 2000, seed);
      malformedDetail(() => parseCertificate(bytes));
      // Also random bytes behind a plausible SEQUENCE header.
      malformedDetail(() => parseCertificate(Buffer.concat([Buffer.from([0x30, 0x82, bytes.length >> 8, bytes.length & 0xff]), bytes])));
    }
  });

  it('every truncation of a valid certificate', () => {
    for (let length = 0; length < good.length; length++) malformedDetail(() => parseCertificate(good.subarray(0, length)));
  });

  it('single-byte corruptions either still parse or are certificate_malformed', () => {
    for (let index = 0; index < good.length; index++) {
      const corrupted = Buffer.from(good);
      corrupted[index] = (corrupted[index] as number) ^ 0xff;
      try {
        parseCertificate(corrupted);
      } catch (error) {
        expect((error as OAuthError).reason).toBe('certificate_malformed');
      }
    }
  });

  it('10,000-deep nested SEQUENCE, as the certificate and inside an extension', () => {
    const deep = nestedSequences(10_000);
    expect(deep.length).toBeLessThan(MAX_CERTIFICATE_DER_BYTES);
    malformedDetail(() => parseCertificate(deep));
    const deepSan = miniLeaf(ca, { extensions: [{ oid: '2.5.29.17', value: nestedSequences(10_000) }] });
    expect(malformedDetail(() => parseCertificate(deepSan))).toMatch(/subjectAltName/);
    // An unknown extension is never descended into, so depth there costs nothing; OpenSSL must still accept it.
    const deepUnknown = miniLeaf(ca, { extensions: [{ oid: '1.3.6.1.4.1.99999.2', value: nestedSequences(10_000) }] });
    expect(parseCertificate(deepUnknown).criticalExtensions).toEqual([]);
  });

  it('oversized and empty input', () => {
    expect(malformedDetail(() => parseCertificate(Buffer.alloc(MAX_CERTIFICATE_DER_BYTES + 1, 0x30)))).toMatch(/exceeds/);
    expect(malformedDetail(() => parseCertificate(Buffer.alloc(0)))).toMatch(/empty/);
    malformedDetail(() => parseCertificate('x'.repeat(200_000)));
  });

  it('non-DER encodings: indefinite length, non-minimal length, trailing data', () => {
    const body = good.subarray(4); // good starts 30 82 xx xx
    expect(malformedDetail(() => parseCertificate(Buffer.concat([Buffer.from([0x30, 0x80]), body, Buffer.from([0, 0])])))).toMatch(/indefinite/);
    expect(malformedDetail(() => parseCertificate(Buffer.concat([Buffer.from([0x30, 0x83, 0x00]), good.subarray(2)])))).toMatch(/non-minimal/);
    expect(malformedDetail(() => parseCertificate(Buffer.concat([good, Buffer.from([0])])))).toMatch(/trailing data/);
  });

  it('RFC 5280 §4.2: duplicate extensions (two SANs would be two identities)', () => {
    const twoSans = miniLeaf(ca, { extensions: [subjectAltName({ dns: ['a.example'] }), subjectAltName({ dns: ['b.example'] })] });
    expect(malformedDetail(() => parseCertificate(twoSans))).toMatch(/duplicate extension 2\.5\.29\.17/);
  });

  it('RFC 5280 §4.1.1.2: signature algorithms that disagree', () => {
    // Replace the outer ecdsa-with-SHA256 OID (…04 03 02) by ecdsa-with-SHA384 (…04 03 03) at the end.
    const outer = Buffer.from(good);
    const at = outer.lastIndexOf(Buffer.from('06082a8648ce3d040302', 'hex'));
    outer[at + 9] = 0x03;
    expect(malformedDetail(() => parseCertificate(outer))).toMatch(/signature algorithms differ/);
  });

  it('extensions in a v1 certificate, bad iPAddress length, non-ASCII IA5String, bad times', () => {
    expect(malformedDetail(() => parseCertificate(miniLeaf(ca, { version1: true, extensions: [clientAuthEku] })))).toMatch(/not v3/);
    expect(malformedDetail(() => parseCertificate(miniLeaf(ca, { extensions: [subjectAltName({ ip: [Buffer.from([1, 2, 3])] })] })))).toMatch(
      /iPAddress/,
    );
    expect(malformedDetail(() => parseCertificate(miniLeaf(ca, { extensions: [subjectAltName({ dns: ['é.example'] })] })))).toMatch(/non-ASCII/);
    const keys = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const badTime = buildCertificate({ subject: ca.name, issuer: ca.name, publicKey: keys.publicKey, signingKey: keys.privateKey });
    const text = Buffer.from(badTime);
    // The notBefore UTCTime (Validity ::= SEQUENCE of two 13-octet UTCTimes): overwrite the month
    // with 13. (Searching for the first 0x17 octet hit the random serial number now and then.)
    const utc = text.indexOf(Buffer.from([0x30, 0x1e, 0x17, 0x0d])) + 2;
    text[utc + 4] = 0x31;
    text[utc + 5] = 0x33;
    expect(malformedDetail(() => parseCertificate(text))).toMatch(/out of range/);
  });

  it('invalid PEM: bad base64, BEGIN without END, wrong input types', () => {
    const pem = new X509Certificate(good).toString();
    expect(malformedDetail(() => parseCertificate(pem.replace('MII', 'M!I')))).toMatch(/base64/);
    expect(malformedDetail(() => parseCertificate(pem.replace('-----END CERTIFICATE-----', '')))).toMatch(/END line/);
    malformedDetail(() => parseCertificate(42 as unknown as string));
    malformedDetail(() => parsePemBundle(undefined as unknown as string));
  });

  it('a public key OpenSSL cannot decode (EC point off the curve)', () => {
    // Our reader and X509Certificate both accept the bytes: OpenSSL only decodes the key lazily.
    const keys = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const der = buildCertificate({ subject: ca.name, issuer: ca.name, publicKey: keys.publicKey, signingKey: keys.privateKey });
    const spki = keys.publicKey.export({ type: 'spki', format: 'der' });
    const broken = Buffer.from(der);
    const last = der.indexOf(spki) + spki.length - 1;
    broken[last] = (broken[last] as number) ^ 0x01;
    expect(malformedDetail(() => parseCertificate(broken))).toMatch(/public key is invalid/);
  });
});

describe('decoding by asn1js / asn1-schema: what they let through is still refused', () => {
  let ca: ReturnType<typeof miniCa>;
  beforeAll(() => {
    ca = miniCa();
  });
  const leaf = (extensions: readonly ExtensionSpec[], extra: MiniLeafOptions = {}): Buffer => miniLeaf(ca, { ...extra, extensions });

  it('surplus elements and mistyped items, which asn1-schema ignores or coerces', () => {
    // asn1-schema would read SEQUENCE { INTEGER 3, BOOLEAN TRUE } as cA FALSE, pathLenConstraint 3.
    expect(malformedDetail(() => parseCertificate(leaf([{ oid: '2.5.29.19', value: seq(integer(3), boolean(true)) }])))).toMatch(/basicConstraints/);
    expect(malformedDetail(() => parseCertificate(leaf([{ oid: '2.5.29.19', value: seq(boolean(true), integer(1), integer(2)) }])))).toMatch(
      /basicConstraints/,
    );
    // …and an INTEGER among the KeyPurposeIds as the OID "1".
    expect(malformedDetail(() => parseCertificate(leaf([{ oid: '2.5.29.37', value: seq(integer(1)) }])))).toMatch(/extKeyUsage/);
    // Surplus elements of the certificate structure itself are OpenSSL's to refuse.
    expect(malformedDetail(() => parseCertificate(leaf([clientAuthEku], { extraTbsElements: [integer(1)] })))).toMatch(/OpenSSL refused/);
    // SEQUENCE OF items asn1-schema maps one by one: a constructed dNSName or iPAddress matches no GeneralName.
    for (const san of [seq(tlv(0xa2, tlv(0x16, Buffer.from('a.example')))), seq(tlv(0xa7, tlv(0x04, Buffer.from([1, 2, 3, 4]))))]) {
      expect(malformedDetail(() => parseCertificate(leaf([{ oid: '2.5.29.17', value: san }])))).toMatch(/subjectAltName/);
    }
  });

  it('framing asn1js accepts: a last element running past its SEQUENCE, a context tag for SEQUENCE OF', () => {
    const names = [tlv(0x82, Buffer.from('a.example')), tlv(0x81, Buffer.from('a@example.com'))];
    const overrun = seq(...names);
    overrun[1] = (overrun[1] as number) - 1; // the SEQUENCE now ends one octet before its last element does
    expect(malformedDetail(() => parseCertificate(leaf([{ oid: '2.5.29.17', value: overrun }])))).toMatch(/runs past its container/);
    expect(malformedDetail(() => parseCertificate(leaf([{ oid: '2.5.29.17', value: tlv(0xb0, ...names) }])))).toMatch(/subjectAltName/);
  });

  it('BER forms: a BOOLEAN TRUE other than 0xFF, a GeneralizedTime with fractional seconds', () => {
    const criticalOne = leaf([{ oid: '2.5.29.19', criticalElement: tlv(0x01, Buffer.from([0x01])), value: seq() }]);
    expect(malformedDetail(() => parseCertificate(criticalOne))).toMatch(/BOOLEAN is not DER/);
    const validity = (notAfter: string): Buffer => seq(tlv(0x17, Buffer.from('240101000000Z')), tlv(0x18, Buffer.from(notAfter)));
    expect(parseCertificate(leaf([], { validity: validity('20600101000000Z') })).notAfter).toBe(Date.UTC(2060, 0, 1));
    expect(malformedDetail(() => parseCertificate(leaf([], { validity: validity('20600101000000.5Z') })))).toMatch(/RFC 5280 form/);
    expect(malformedDetail(() => parseCertificate(leaf([], { validity: validity('20600101000000') })))).toMatch(/RFC 5280 form/);
  });

  it('accepts an explicit FALSE for critical and cA, as OpenSSL does (DER would omit the DEFAULT)', () => {
    const cert = parseCertificate(leaf([{ oid: '2.5.29.19', criticalElement: boolean(false), value: seq(boolean(false)) }]));
    expect(cert.basicConstraints).toEqual({ ca: false });
    expect(cert.criticalExtensions).toEqual([]);
  });

  it('skips x400Address and ediPartyName SANs without decoding them', () => {
    const san = seq(tlv(0xa3, seq(tlv(0x61, printable('DE')))), tlv(0xa5, tlv(0xa1, utf8('party'))), tlv(0x82, Buffer.from('a.example')));
    expect(parseCertificate(leaf([{ oid: '2.5.29.17', value: san }])).subjectAltNames.dns).toEqual(['a.example']);
  });

  it('bounds the work: depth 64 and 1,024 elements per decoding, quickly refused beyond', () => {
    const manyNames = seq(...Array.from({ length: 1100 }, (_, index) => tlv(0x82, Buffer.from(`h${index}.example`))));
    const flat = seq(...Array.from({ length: 16_000 }, () => Buffer.from([0x30, 0x00])));
    const started = performance.now();
    expect(malformedDetail(() => parseCertificate(leaf([{ oid: '2.5.29.17', value: manyNames }])))).toMatch(/subjectAltName: .*node count/);
    expect(malformedDetail(() => parseCertificate(leaf([{ oid: '2.5.29.17', value: flat }])))).toMatch(/subjectAltName: .*node count/);
    expect(malformedDetail(() => parseCertificate(flat))).toMatch(/node count/);
    expect(malformedDetail(() => parseCertificate(leaf([{ oid: '2.5.29.17', value: nestedSequences(10_000) }])))).toMatch(/nesting depth/);
    // Generous: milliseconds on a laptop; the point is that nothing grows with the input.
    expect(performance.now() - started).toBeLessThan(2_000);
  });
});

describe('parseCertificate output shape', () => {
  it('exposes only the documented members', () => {
    const cert: ParsedCertificate = parseCertificate(FIXTURE_PEM);
    expect(Object.keys(cert).sort()).toEqual(
      [
        'basicConstraints',
        'criticalExtensions',
        'der',
        'extendedKeyUsage',
        'issuer',
        'keyUsage',
        'notAfter',
        'notBefore',
        'publicKey',
        'selfIssued',
        'signatureAlgorithm',
        'spkiSha256',
        'subject',
        'subjectAltNames',
        'thumbprintS256',
        'x509',
      ].sort(),
    );
  });
});
