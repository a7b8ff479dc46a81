import { type KeyObject, type VerifyKeyObjectInput, constants, createPublicKey, verify } from 'node:crypto';
import { isPlainObject } from '../util/encoding.js';
import type { AccessTokenClaims } from './access-token.js';
import type { SigningKey, SigningKeySet } from './signing-keys.js';

const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;
const MAX_TOKEN_LENGTH = 8192;

type Verifier = (signingInput: Buffer, signature: Buffer) => boolean;

function verifierFor(key: SigningKey): Verifier {
  const publicKey: KeyObject = createPublicKey({ key: { ...key.publicJwk } as import('node:crypto').JsonWebKey, format: 'jwk' });
  switch (key.alg) {
    case 'ES256':
    case 'ES384': {
      const options: VerifyKeyObjectInput = { key: publicKey, dsaEncoding: 'ieee-p1363' };
      const hash = key.alg === 'ES256' ? 'sha256' : 'sha384';
      return (input, signature) => verify(hash, input, options, signature);
    }
    case 'PS256': {
      const options: VerifyKeyObjectInput = { key: publicKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 };
      return (input, signature) => verify('sha256', input, options, signature);
    }
    case 'RS256':
      return (input, signature) => verify('sha256', input, publicKey, signature);
    case 'EdDSA':
      return (input, signature) => verify(null, input, publicKey, signature);
  }
}

/**
 * Verifies tokens this server issued (for introspection and revocation): the JWS must name one
 * of our keys by `kid` with exactly that key's `alg`, carry `typ: at+jwt` (RFC 9068 §2.1), verify,
 * come from our issuer and not be expired. Anything else is simply "not one of ours": `undefined`.
 * Verifiers are prepared once per key set.
 */
export function createOwnTokenVerifier(keys: SigningKeySet, issuer: string): (token: string, nowSeconds: number) => AccessTokenClaims | undefined {
  const byKid = new Map(keys.all.map((key) => [key.kid, { alg: key.alg, verify: verifierFor(key) }]));
  return (token, nowSeconds) => {
    if (token.length > MAX_TOKEN_LENGTH || !COMPACT_JWS.test(token)) return undefined;
    const [headerSegment = '', payloadSegment = '', signatureSegment = ''] = token.split('.');
    const header = parseSegment(headerSegment);
    if (!header || header.typ !== 'at+jwt' || typeof header.kid !== 'string') return undefined;
    const key = byKid.get(header.kid);
    if (!key || header.alg !== key.alg) return undefined;
    const signingInput = Buffer.from(`${headerSegment}.${payloadSegment}`);
    if (!key.verify(signingInput, Buffer.from(signatureSegment, 'base64url'))) return undefined;
    const claims = parseSegment(payloadSegment);
    if (!claims || claims.iss !== issuer || typeof claims.exp !== 'number' || claims.exp <= nowSeconds) return undefined;
    if (typeof claims.client_id !== 'string' || typeof claims.jti !== 'string') return undefined;
    return claims as unknown as AccessTokenClaims;
  };
}

function parseSegment(segment: string): Record<string, unknown> | undefined {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'));
    return isPlainObject(parsed) ? parsed : undefined;
  } catch {
    return undefined;
  }
}
