import { beforeAll, describe, expect, it } from 'vitest';
import { type ParsedCertificate, parseCertificate } from '../../../src/certificates/certificate.js';
import { certificateMatchesJwks } from '../../../src/certificates/self-signed.js';
import { type TestIdentity, type TestPki, createTestPki, toCertificateJwk, toJwk } from '../../../src/testing/pki.js';

describe('RFC 8705 §2.2 certificateMatchesJwks (self_signed_tls_client_auth)', () => {
  let pki: TestPki;
  let registered: TestIdentity;
  let other: TestIdentity;
  let presented: ParsedCertificate;
  beforeAll(async () => {
    pki = await createTestPki({ commonNamePrefix: 'self-signed', intermediate: false });
    registered = await pki.createSelfSignedClientCertificate({ subject: 'CN=svc-self' });
    other = await pki.createSelfSignedClientCertificate({ subject: 'CN=svc-self' }); // same name, other key
    presented = parseCertificate(registered.der);
  });

  it('matches when the certificate equals the x5c[0] of one of the keys', () => {
    const jwks = { keys: [toCertificateJwk(other, { kid: 'a' }), toCertificateJwk(registered, { kid: 'b' })] };
    expect(certificateMatchesJwks(presented, jwks)).toBe(true);
    expect(certificateMatchesJwks(parseCertificate(other.der), jwks)).toBe(true);
  });

  it('does not match another certificate, even with the same subject', () => {
    expect(certificateMatchesJwks(presented, { keys: [toCertificateJwk(other)] })).toBe(false);
  });

  it('compares x5c[0] only: a certificate further down x5c does not count', () => {
    const jwk = { ...toCertificateJwk(other), x5c: [toCertificateJwk(other).x5c?.[0] as string, registered.der.toString('base64')] };
    expect(certificateMatchesJwks(presented, { keys: [jwk] })).toBe(false);
  });

  it('ignores keys without x5c and x5c entries that are not base64', () => {
    const jwks = {
      keys: [
        toJwk(registered.publicKey),
        { ...toJwk(registered.publicKey), x5c: ['***not base64***'] },
        { ...toJwk(registered.publicKey), x5c: [registered.der.toString('base64url')] }, // base64url is not x5c's encoding (RFC 7517 §4.7)
        { kty: 'EC', x5c: 'not an array' } as unknown as { x5c: string[] },
      ],
    };
    expect(certificateMatchesJwks(presented, jwks)).toBe(false);
  });

  it('does not look at validity: an expired registered certificate still matches (the caller decides)', async () => {
    const expired = await pki.createSelfSignedClientCertificate({
      subject: 'CN=svc-expired',
      notBefore: new Date(Date.now() - 2 * 86_400_000),
      notAfter: new Date(Date.now() - 86_400_000),
    });
    expect(certificateMatchesJwks(parseCertificate(expired.der), { keys: [toCertificateJwk(expired)] })).toBe(true);
  });

  it('hashes a JWK Set once: the result is cached per set object', () => {
    const jwks = { keys: [toCertificateJwk(registered)] };
    expect(certificateMatchesJwks(presented, jwks)).toBe(true);
    // The set is treated as immutable; a changed copy is a new object and is hashed afresh.
    const replaced = { keys: [toCertificateJwk(other)] };
    expect(certificateMatchesJwks(presented, replaced)).toBe(false);
    expect(certificateMatchesJwks(presented, jwks)).toBe(true);
  });
});
