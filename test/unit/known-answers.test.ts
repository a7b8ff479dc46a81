import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { type ParsedCertificate, parseCertificate } from '../../src/certificates/certificate.js';
import { distinguishedNameMatch, parseRfc4514 } from '../../src/certificates/distinguished-name.js';

/**
 * Known answers from the committed `fixtures/` (regenerate with `npm run fixtures:regenerate`):
 * the hashes were computed by the openssl binary when the set was written, so these tests compare
 * our DER handling with an independent implementation, not with itself.
 */
const FIXTURES = resolve(dirname(fileURLToPath(import.meta.url)), '../../fixtures');

interface CertificateVector {
  readonly name: string;
  readonly file: string;
  readonly 'x5t#S256': string;
  readonly spkiSha256: string;
  readonly opensslSha256Fingerprint: string;
  readonly opensslSubjectRfc2253: string;
}

interface DnVector {
  readonly registered: string;
  readonly certificate: string;
  readonly match: boolean;
  readonly why: string;
}

const knownAnswers = JSON.parse(readFileSync(join(FIXTURES, 'known-answers.json'), 'utf8')) as {
  readonly certificates: readonly CertificateVector[];
  readonly distinguishedNameMatch: readonly DnVector[];
};

/** The certificate a vector means: the first PEM block of its file. */
function certificateIn(file: string): ParsedCertificate {
  const pem = readFileSync(join(FIXTURES, file), 'utf8').match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/)?.[0];
  if (pem === undefined) throw new Error(`no certificate in fixtures/${file}`);
  return parseCertificate(pem);
}

describe('known answers: certificate thumbprints (RFC 8705 §3.1) against OpenSSL', () => {
  it('has a vector for every kind of fixture certificate', () => {
    expect(knownAnswers.certificates.length).toBeGreaterThanOrEqual(7);
  });

  it.each(knownAnswers.certificates.map((vector) => [vector.name, vector] as const))('%s', (_name, vector) => {
    const certificate = certificateIn(vector.file);
    // RFC 8705 §3.1: "x5t#S256 ... base64url-encoded SHA-256 hash ... of the DER encoding of the X.509 Certificate".
    expect(certificate.thumbprintS256).toBe(vector['x5t#S256']);
    expect(Buffer.from(certificate.thumbprintS256, 'base64url').toString('hex').toUpperCase().match(/../g)?.join(':')).toBe(
      vector.opensslSha256Fingerprint,
    );
    // RFC 8705 §7.4 issuer pinning uses the SHA-256 of the DER SubjectPublicKeyInfo.
    expect(certificate.spkiSha256).toBe(vector.spkiSha256);
  });
});

describe('known answers: distinguishedNameMatch (RFC 4517 §4.2.15) of registered DNs against fixture subjects', () => {
  it('has matching and non-matching pairs', () => {
    expect(knownAnswers.distinguishedNameMatch.filter((vector) => vector.match).length).toBeGreaterThanOrEqual(10);
    expect(knownAnswers.distinguishedNameMatch.filter((vector) => !vector.match).length).toBeGreaterThanOrEqual(10);
  });

  it.each(knownAnswers.distinguishedNameMatch.map((vector) => [`${vector.match ? 'match' : 'no match'}: ${vector.why} — ${vector.registered} vs ${vector.certificate}`, vector] as const))(
    '%s',
    (_title, vector) => {
      expect(distinguishedNameMatch(parseRfc4514(vector.registered), certificateIn(vector.certificate).subject)).toBe(vector.match);
    },
  );
});
