/**
 * Property: the access-token claims serialiser (`serializeClaims`, RFC 9068 §2.2) writes exactly
 * the text `JSON.stringify` writes for the same claims — for any strings a registration, a
 * request or a configuration can put there (quotes, backslashes, controls, non-ASCII, lone
 * surrogates) and any times — so the hand-written fast path can never produce different JSON.
 * And a token issued through it verifies and decodes to those claims.
 */
import { createPublicKey, generateKeyPairSync } from 'node:crypto';
import { compactVerify } from 'jose';
import { describe, it } from 'vitest';
import { type AccessTokenClaims, issueAccessToken, serializeClaims } from '../../src/tokens/access-token.js';
import { resolveSigningKeys } from '../../src/tokens/signing-keys.js';
import { RUNS, assertAsyncProperty, assertProperty, expect, fc, hostileString } from './support.js';

const PIECES = ['a', 'Z', '~', ' ', '"', '\\', '/', '\u0000', '\u001f', '\u007f', '\u00e9', '\u2028', '\ud800', '\udfff', '😀', 'https://as.example', ':', '#'];
const text = fc.oneof(fc.string(), fc.string({ unit: 'binary' }), hostileString(PIECES, 6));
const time = fc.oneof(fc.integer({ min: 0, max: 4_102_444_800 }), fc.double(), fc.constantFrom(-0, 1.5, Number.MAX_SAFE_INTEGER + 2));

const claims = fc.record({
  iss: text,
  sub: text,
  client_id: fc.oneof(text, fc.constant(undefined)),
  aud: text,
  iat: time,
  exp: time,
  jti: fc.oneof(fc.uuid(), text),
  scope: text,
  cnf: fc.option(text, { nil: undefined }),
}).map(({ iss, sub, client_id, aud, iat, exp, jti, scope, cnf }): AccessTokenClaims => ({
  // The order issueAccessToken builds them in (RFC 9068 §2.2 members, then RFC 8705 cnf).
  iss, sub, client_id: client_id ?? sub, aud, iat, exp, jti, scope,
  ...(cnf === undefined ? {} : { cnf: { 'x5t#S256': cnf } }),
}));

describe('access-token claims serialisation (RFC 9068 §2.2)', () => {
  it('is JSON.stringify, byte for byte, for any claims', () => {
    assertProperty(claims, (value) => {
      expect(serializeClaims(value)).toBe(JSON.stringify(value));
    }, RUNS * 4);
  });

  it('issues tokens that verify and carry exactly the requested claims, whatever the strings', async () => {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const key = resolveSigningKeys([{ privateKey }]).current;
    const publicKey = createPublicKey(privateKey);
    await assertAsyncProperty(fc.tuple(text, text, text, fc.option(text, { nil: undefined })), async ([clientId, audience, scope, thumbprint]) => {
      const issued = issueAccessToken({ issuer: 'https://as.example', clientId, audience, scope, lifetimeSeconds: 300, nowSeconds: 1_800_000_000.7, certificateThumbprint: thumbprint }, key);
      const { payload } = await compactVerify(issued.token, publicKey);
      expect(JSON.parse(new TextDecoder().decode(payload))).toEqual(JSON.parse(JSON.stringify(issued.claims)));
      expect(issued.claims).toMatchObject({ sub: clientId, client_id: clientId, aud: audience, scope, iat: 1_800_000_000, exp: 1_800_000_300 });
    }, RUNS / 2);
  });
});
