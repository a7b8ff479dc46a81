import { generateKeyPairSync } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { type ParsedCertificate, parseCertificate } from '../../../src/certificates/certificate.js';
import { type CertificateVerifier, checkIssuerPin, createCertificateVerifier } from '../../../src/certificates/chain.js';
import { ConfigurationError, OAuthError } from '../../../src/errors/errors.js';
import type { ReasonCode } from '../../../src/errors/reasons.js';
import { type TestIdentity, type TestKeyType, type TestPki, createTestPki } from '../../../src/testing/pki.js';
import { basicConstraints, buildCertificate, keyUsage, miniCa, miniLeaf, name, oid, seq, utf8 } from './certs.js';

const DAY = 86_400_000;
const parse = (identity: TestIdentity | Buffer): ParsedCertificate =>
  parseCertificate(Buffer.isBuffer(identity) ? identity : identity.der);

function refusal(run: () => unknown): { reason: ReasonCode; detail: string } {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(OAuthError);
    return { reason: (error as OAuthError).reason, detail: (error as OAuthError).detail ?? '' };
  }
  throw new Error('expected an OAuthError, but the chain was accepted');
}

describe('RFC 8705 §2.1 / RFC 5280 §6.1 createCertificateVerifier', () => {
  let pki: TestPki;
  let intermediate: TestIdentity;
  let verifier: CertificateVerifier;
  let now: number;

  beforeAll(async () => {
    pki = await createTestPki();
    intermediate = pki.intermediate as TestIdentity;
    verifier = createCertificateVerifier({ trustAnchors: pki.trustAnchorsPem });
    now = Date.now();
  });

  const verifyLeaf = (leaf: TestIdentity | Buffer, intermediates: readonly (TestIdentity | Buffer)[] = [intermediate], at = now) =>
    verifier.verify(parse(leaf), intermediates.map(parse), at);

  describe('valid paths', () => {
    it('leaf → intermediate → anchor', async () => {
      const leaf = await pki.issueClientCertificate({ subject: 'CN=svc-a,O=Acme' });
      const chain = verifyLeaf(leaf);
      expect(chain.leaf).toBe(parse(leaf));
      expect(chain.path.map((cert) => cert.thumbprintS256)).toEqual([leaf.x5tS256, intermediate.x5tS256, pki.root.x5tS256]);
      expect(chain.anchor).toBe(parse(pki.root));
      expect(chain.issuerSpkiSha256).toBe(parse(intermediate).spkiSha256);
      expect(Object.isFrozen(chain)).toBe(true);
    });

    it('leaf issued directly by the anchor (no intermediate)', async () => {
      const flat = await createTestPki({ intermediate: false, commonNamePrefix: 'flat' });
      const leaf = await flat.issueClientCertificate({ subject: 'CN=svc-flat' });
      const chain = createCertificateVerifier({ trustAnchors: [flat.root.certificatePem] }).verify(parse(leaf), [], now);
      expect(chain.path).toHaveLength(2);
      expect(chain.issuerSpkiSha256).toBe(parse(flat.root).spkiSha256);
    });

    it('intermediates in any order, with duplicates, unrelated certificates and the anchor itself', async () => {
      const a = await pki.issueCertificate({ subject: 'CN=Int A', ca: true, issuer: pki.root });
      const b = await pki.issueCertificate({ subject: 'CN=Int B', ca: true, issuer: a });
      const leaf = await pki.issueClientCertificate({ subject: 'CN=svc-deep', issuer: b });
      const unrelated = await pki.issueClientCertificate({ subject: 'CN=someone else' });
      const expected = [leaf.x5tS256, b.x5tS256, a.x5tS256, pki.root.x5tS256];
      for (const intermediates of [[a, b], [b, a], [unrelated, a, intermediate, b, a], [pki.root, b, a]]) {
        expect(verifyLeaf(leaf, intermediates).path.map((cert) => cert.thumbprintS256)).toEqual(expected);
      }
    });

    it.each<TestKeyType>(['rsa', 'ec-p384', 'ed25519'])('a %s PKI', async (keyType) => {
      const other = await createTestPki({ keyType, commonNamePrefix: keyType });
      const leaf = await other.issueClientCertificate({ subject: `CN=svc-${keyType}` });
      const chain = createCertificateVerifier({ trustAnchors: other.trustAnchorsPem }).verify(parse(leaf), [parse(other.intermediate as TestIdentity)], now);
      expect(chain.path).toHaveLength(3);
    });

    it('several anchors: each one anchors its own clients', async () => {
      const other = await createTestPki({ intermediate: false, commonNamePrefix: 'second' });
      const both = createCertificateVerifier({ trustAnchors: [other.root.der, pki.root.certificate] });
      const ours = await pki.issueClientCertificate({ subject: 'CN=ours' });
      const theirs = await other.issueClientCertificate({ subject: 'CN=theirs' });
      expect(both.verify(parse(ours), [parse(intermediate)], now).anchor).toBe(parse(pki.root));
      expect(both.verify(parse(theirs), [], now).anchor).toBe(parse(other.root));
    });

    it('a leaf without extKeyUsage is accepted; anyExtendedKeyUsage is accepted', async () => {
      const noEku = await pki.issueClientCertificate({ subject: 'CN=no-eku', extendedKeyUsage: false });
      expect(verifyLeaf(noEku).path).toHaveLength(3);
      const ca = miniCa();
      const anyEku = miniLeaf(ca, { extensions: [basicConstraints(false), keyUsage(false), { oid: '2.5.29.37', value: seq(oid('2.5.29.37.0')) }] });
      expect(createCertificateVerifier({ trustAnchors: [ca.der] }).verify(parse(anyEku), [], now).path).toHaveLength(2);
    });

    it('RFC 5280 §4.2.1.9: a self-issued intermediate does not count against pathLenConstraint', async () => {
      const a = await pki.issueCertificate({ subject: 'CN=Rollover CA', ca: true, pathLength: 0, issuer: pki.root });
      const aRenewed = await pki.issueCertificate({ subject: 'CN=Rollover CA', ca: true, issuer: a }); // self-issued: same name, new key
      const leaf = await pki.issueClientCertificate({ subject: 'CN=svc-rollover', issuer: aRenewed });
      const chain = verifyLeaf(leaf, [a, aRenewed]);
      expect(chain.path.map((cert) => cert.thumbprintS256)).toEqual([leaf.x5tS256, aRenewed.x5tS256, a.x5tS256, pki.root.x5tS256]);
      expect(parse(aRenewed).selfIssued).toBe(true);
    });
  });

  describe('each failure has its own reason', () => {
    it('certificate_untrusted: a foreign CA, or the intermediate missing', async () => {
      const foreign = await createTestPki({ commonNamePrefix: 'foreign' });
      const leaf = await foreign.issueClientCertificate({ subject: 'CN=intruder' });
      const foreignRefusal = refusal(() => verifyLeaf(leaf, [foreign.intermediate as TestIdentity]));
      expect(foreignRefusal.reason).toBe('certificate_untrusted');
      expect(foreignRefusal.detail).toMatch(/CN=intruder/);
      const ours = await pki.issueClientCertificate({ subject: 'CN=svc-alone' });
      expect(refusal(() => verifyLeaf(ours, [])).reason).toBe('certificate_untrusted');
    });

    it('certificate_chain_invalid: a bad signature (impostor CA with the anchor\'s name; tampered leaf)', async () => {
      // Same commonNamePrefix → the impostor root has exactly our root's name, but another key.
      const impostor = await createTestPki();
      const leaf = await impostor.issueClientCertificate({ subject: 'CN=svc-impostor' });
      const result = refusal(() => verifyLeaf(leaf, [impostor.intermediate as TestIdentity]));
      expect(result.reason).toBe('certificate_chain_invalid');
      expect(result.detail).toMatch(/signature/);

      const genuine = await pki.issueClientCertificate({ subject: 'CN=svc-tampered' });
      const tampered = Buffer.from(genuine.der);
      tampered[tampered.length - 1] = (tampered[tampered.length - 1] as number) ^ 0x01;
      expect(refusal(() => verifyLeaf(tampered)).reason).toBe('certificate_chain_invalid');
    });

    it('certificate_expired: the leaf, or an intermediate', async () => {
      const leaf = await pki.issueClientCertificate({ subject: 'CN=old', notBefore: new Date(now - 2 * DAY), notAfter: new Date(now - DAY) });
      const result = refusal(() => verifyLeaf(leaf));
      expect(result.reason).toBe('certificate_expired');
      expect(result.detail).toMatch(/the client certificate "CN=old".* expired at /);

      const oldCa = await pki.issueCertificate({ subject: 'CN=Old CA', ca: true, issuer: pki.root, notBefore: new Date(now - 3 * DAY), notAfter: new Date(now - DAY) });
      const underOld = await pki.issueClientCertificate({ subject: 'CN=svc-under-old', issuer: oldCa });
      const intermediateResult = refusal(() => verifyLeaf(underOld, [oldCa]));
      expect(intermediateResult.reason).toBe('certificate_expired');
      expect(intermediateResult.detail).toMatch(/intermediate CA certificate "CN=Old CA"/);
    });

    it('certificate_not_yet_valid', async () => {
      const leaf = await pki.issueClientCertificate({ subject: 'CN=future', notBefore: new Date(now + DAY), notAfter: new Date(now + 2 * DAY) });
      expect(refusal(() => verifyLeaf(leaf)).reason).toBe('certificate_not_yet_valid');
    });

    it('certificate_chain_invalid: an issuer without the CA flag (cA=FALSE, or no basicConstraints)', async () => {
      for (const options of [{ ca: false }, { omitBasicConstraints: true }]) {
        const notCa = await pki.issueCertificate({ subject: 'CN=Not a CA', ...options, keyUsage: ['keyCertSign', 'digitalSignature'], issuer: pki.root });
        const leaf = await pki.issueClientCertificate({ subject: 'CN=svc-under-non-ca', issuer: notCa });
        const result = refusal(() => verifyLeaf(leaf, [notCa]));
        expect(result.reason).toBe('certificate_chain_invalid');
        expect(result.detail).toMatch(/"CN=Not a CA".* is not a CA/);
      }
    });

    it('certificate_chain_invalid: pathLenConstraint exceeded', async () => {
      // The PKI's intermediate has pathLenConstraint 0: no further CA may sit below it.
      const sub = await pki.issueCertificate({ subject: 'CN=Sub CA', ca: true });
      const leaf = await pki.issueClientCertificate({ subject: 'CN=svc-too-deep', issuer: sub });
      const result = refusal(() => verifyLeaf(leaf, [sub, intermediate]));
      expect(result.reason).toBe('certificate_chain_invalid');
      expect(result.detail).toMatch(/pathLenConstraint/);
    });

    it('certificate_chain_invalid: an issuer whose keyUsage lacks keyCertSign', async () => {
      const ca = await pki.issueCertificate({ subject: 'CN=No CertSign CA', ca: true, keyUsage: ['digitalSignature', 'cRLSign'], issuer: pki.root });
      const leaf = await pki.issueClientCertificate({ subject: 'CN=svc-x', issuer: ca });
      const result = refusal(() => verifyLeaf(leaf, [ca]));
      expect(result.reason).toBe('certificate_chain_invalid');
      expect(result.detail).toMatch(/keyCertSign/);
    });

    it('certificate_usage_invalid: a leaf whose extKeyUsage lacks clientAuth', async () => {
      const leaf = await pki.issueClientCertificate({ subject: 'CN=server-only', extendedKeyUsage: ['serverAuth'] });
      const result = refusal(() => verifyLeaf(leaf));
      expect(result.reason).toBe('certificate_usage_invalid');
      expect(result.detail).toMatch(/clientAuth/);
    });

    it('certificate_usage_invalid: a leaf whose keyUsage lacks digitalSignature', async () => {
      const leaf = await pki.issueClientCertificate({ subject: 'CN=encipher-only', keyType: 'rsa', keyUsage: ['keyEncipherment'] });
      expect(refusal(() => verifyLeaf(leaf)).reason).toBe('certificate_usage_invalid');
    });

    it('certificate_usage_invalid: a CA certificate presented as the client certificate', async () => {
      const caLeaf = await pki.issueCertificate({ subject: 'CN=CA as client', ca: true, extendedKeyUsage: ['clientAuth'] });
      const result = refusal(() => verifyLeaf(caLeaf));
      expect(result.reason).toBe('certificate_usage_invalid');
      expect(result.detail).toMatch(/is a CA certificate/);
    });

    it('certificate_chain_invalid: weak keys and signatures, unsupported critical extensions (RFC 5280 §4.2)', async () => {
      const weakRsa = await pki.issueClientCertificate({ subject: 'CN=rsa-1024', keyType: 'rsa', rsaBits: 1024 });
      expect(refusal(() => verifyLeaf(weakRsa)).detail).toMatch(/1024-bit RSA key/);

      const ca = miniCa('Mini CA for weak tests');
      const mini = createCertificateVerifier({ trustAnchors: [ca.der] });
      const sha1 = refusal(() => mini.verify(parse(miniLeaf(ca, { hash: 'sha1' })), [], now));
      expect(sha1).toMatchObject({ reason: 'certificate_chain_invalid' });
      expect(sha1.detail).toMatch(/weak algorithm 1\.2\.840\.10045\.4\.1/);

      const unknownCritical = miniLeaf(ca, {
        extensions: [basicConstraints(false), { oid: '1.3.6.1.4.1.99999.7', critical: true, value: Buffer.from([5, 0]) }],
      });
      const critical = refusal(() => mini.verify(parse(unknownCritical), [], now));
      expect(critical).toMatchObject({ reason: 'certificate_chain_invalid' });
      expect(critical.detail).toMatch(/unsupported critical extension 1\.3\.6\.1\.4\.1\.99999\.7/);
    });

    it('certificate_chain_invalid: path building gives up on certificates that all sign one another', () => {
      // Eight CA certificates with one name and one key: each verifies every other one, so a
      // naive search would walk all 8! orderings looking for an anchor that is not there.
      const keys = generateKeyPairSync('ec', { namedCurve: 'P-256' });
      const loop = name([['2.5.4.3', utf8('Loop CA')]]);
      const cas = Array.from({ length: 8 }, (_, serial) =>
        buildCertificate({ subject: loop, issuer: loop, publicKey: keys.publicKey, signingKey: keys.privateKey, serial: serial + 1, extensions: [basicConstraints(true), keyUsage(true)] }),
      );
      const leaf = buildCertificate({
        subject: name([['2.5.4.3', utf8('svc-loop')]]),
        issuer: loop,
        publicKey: generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey,
        signingKey: keys.privateKey,
        extensions: [basicConstraints(false), keyUsage(false)],
      });
      const started = performance.now();
      const result = refusal(() => verifyLeaf(leaf, cas));
      expect(result).toMatchObject({ reason: 'certificate_chain_invalid', detail: expect.stringMatching(/gave up/) as unknown as string });
      expect(performance.now() - started).toBeLessThan(2_000);
    });

    it('certificate_chain_invalid: more than 8 intermediates', async () => {
      const leaf = await pki.issueClientCertificate({ subject: 'CN=svc-many' });
      expect(refusal(() => verifyLeaf(leaf, Array.from({ length: 9 }, () => intermediate))).reason).toBe('certificate_chain_invalid');
    });
  });

  describe('decision cache', () => {
    it('returns the same decision, but re-checks time on every call', async () => {
      // notBefore later than the CAs' (one hour ago), so the leaf's bounds are the path's bounds.
      const leaf = await pki.issueClientCertificate({ subject: 'CN=svc-cached', notBefore: new Date(now - 600_000), notAfter: new Date(now + DAY) });
      const first = verifyLeaf(leaf);
      expect(verifyLeaf(leaf)).toBe(first);
      expect(verifyLeaf(leaf, [intermediate, intermediate])).toBe(first); // same set, same cache entry
      expect(refusal(() => verifyLeaf(leaf, [intermediate], now + 2 * DAY)).reason).toBe('certificate_expired');
      expect(refusal(() => verifyLeaf(leaf, [intermediate], now - 2 * DAY)).reason).toBe('certificate_not_yet_valid');
      expect(verifyLeaf(leaf, [intermediate], now)).toBe(first);
      // notBefore and notAfter are inclusive (RFC 5280 §4.1.2.5).
      const parsed = parse(leaf);
      expect(verifyLeaf(leaf, [intermediate], parsed.notAfter)).toBe(first);
      expect(verifyLeaf(leaf, [intermediate], parsed.notBefore)).toBe(first);
    });

    it('caches refusals too, and stays correct when entries are evicted', async () => {
      const small = createCertificateVerifier({ trustAnchors: pki.trustAnchorsPem, cacheSize: 1 });
      const good = await pki.issueClientCertificate({ subject: 'CN=svc-good' });
      const bad = await pki.issueClientCertificate({ subject: 'CN=svc-bad', extendedKeyUsage: ['serverAuth'] });
      for (let round = 0; round < 3; round++) {
        expect(small.verify(parse(good), [parse(intermediate)], now).leaf).toBe(parse(good));
        expect(refusal(() => small.verify(parse(bad), [parse(intermediate)], now)).reason).toBe('certificate_usage_invalid');
      }
    });
  });

  describe('configuration is checked at construction', () => {
    it.each([
      ['an empty list', () => ({ trustAnchors: [] }), /trustAnchors: must be a PEM bundle or a non-empty list/],
      ['garbage', () => ({ trustAnchors: ['not a pem'] }), /trustAnchors\[0\]: is not a certificate/],
      ['a leaf as anchor', () => ({ trustAnchors: [pki.server.certificatePem] }), /is not a CA certificate/],
      ['a bad cacheSize', () => ({ trustAnchors: pki.trustAnchorsPem, cacheSize: 0 }), /cacheSize: must be a positive integer/],
    ])('refuses %s', (_label, options, message) => {
      expect(() => createCertificateVerifier(options())).toThrowError(ConfigurationError);
      expect(() => createCertificateVerifier(options())).toThrowError(message);
    });

    it('refuses an anchor whose critical extensions it would ignore (name constraints)', () => {
      const keys = generateKeyPairSync('ec', { namedCurve: 'P-256' });
      const caName = name([['2.5.4.3', utf8('Constrained CA')]]);
      const constrained = buildCertificate({
        subject: caName,
        issuer: caName,
        publicKey: keys.publicKey,
        signingKey: keys.privateKey,
        extensions: [basicConstraints(true), keyUsage(true), { oid: '2.5.29.30', critical: true, value: seq() }],
      });
      expect(() => createCertificateVerifier({ trustAnchors: [constrained] })).toThrowError(/critical extension 2\.5\.29\.30/);
    });
  });
});

describe('RFC 8705 §7.4 checkIssuerPin', () => {
  it('passes with no pins or a matching pin; refuses another issuer key', async () => {
    const pki = await createTestPki({ commonNamePrefix: 'pinning' });
    const leaf = await pki.issueClientCertificate({ subject: 'CN=svc-pinned' });
    const chain = createCertificateVerifier({ trustAnchors: pki.trustAnchorsPem }).verify(
      parseCertificate(leaf.der),
      [parseCertificate((pki.intermediate as TestIdentity).der)],
      Date.now(),
    );
    expect(() => checkIssuerPin(chain, [])).not.toThrow();
    expect(() => checkIssuerPin(chain, ['A'.repeat(43), chain.issuerSpkiSha256])).not.toThrow();
    const rootPin = parseCertificate(pki.root.der).spkiSha256;
    expect(() => checkIssuerPin(chain, [rootPin])).toThrowError(
      expect.objectContaining({ reason: 'certificate_issuer_pin_mismatch' }) as unknown as Error,
    );
  });
});
