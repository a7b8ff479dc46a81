import type { KeyObject } from 'node:crypto';

/** Asymmetric JWS algorithms we know how to check a key against. Never `none`, never `HS*`. */
export const SUPPORTED_ASSERTION_ALGORITHMS = [
  'ES256',
  'ES384',
  'ES512',
  'PS256',
  'PS384',
  'PS512',
  'RS256',
  'RS384',
  'RS512',
  'EdDSA',
] as const;
export type AssertionAlgorithm = (typeof SUPPORTED_ASSERTION_ALGORITHMS)[number];

/** SPEC.md default allow-list for client assertions. */
export const DEFAULT_ASSERTION_ALGORITHMS: readonly AssertionAlgorithm[] = ['ES256', 'ES384', 'PS256', 'PS384', 'EdDSA', 'RS256'];

/** FAPI 2.0 Security Profile §5.4.1: PS256, ES256, EdDSA only. */
export const FAPI2_ASSERTION_ALGORITHMS: readonly AssertionAlgorithm[] = ['PS256', 'ES256', 'EdDSA'];

/** RFC 7518 §3.3 / §3.5 and SPEC.md: RSA keys below 2048 bits are refused. */
export const MIN_RSA_MODULUS_BITS = 2048;

export function isSupportedAlgorithm(alg: string): alg is AssertionAlgorithm {
  return (SUPPORTED_ASSERTION_ALGORITHMS as readonly string[]).includes(alg);
}

const CURVE_FOR_ALG: Readonly<Record<string, string>> = { ES256: 'prime256v1', ES384: 'secp384r1', ES512: 'secp521r1' };

/**
 * Why a key cannot verify `alg`, or `undefined` when it can: the key's type must fit the
 * algorithm (RFC 7518 §3.1) and RSA keys must be at least 2048 bits.
 */
export function keyUnsuitableFor(alg: AssertionAlgorithm, key: KeyObject): string | undefined {
  const type = key.asymmetricKeyType;
  const details = key.asymmetricKeyDetails ?? {};
  if (alg.startsWith('ES')) {
    if (type !== 'ec') return `${alg} needs an EC key, not ${type}`;
    if (details.namedCurve !== CURVE_FOR_ALG[alg]) return `${alg} needs curve ${CURVE_FOR_ALG[alg]}, not ${details.namedCurve}`;
    return undefined;
  }
  if (alg.startsWith('PS') || alg.startsWith('RS')) {
    if (type !== 'rsa' && !(alg.startsWith('PS') && type === 'rsa-pss')) return `${alg} needs an RSA key, not ${type}`;
    const bits = details.modulusLength ?? 0;
    if (bits < MIN_RSA_MODULUS_BITS) return `RSA key of ${bits} bits is below the ${MIN_RSA_MODULUS_BITS}-bit minimum`;
    return undefined;
  }
  if (alg === 'EdDSA') {
    // Ed25519 only: the verifier for any other EdDSA key is jose, and jose 6 maps EdDSA to
    // WebCrypto Ed25519, so an Ed448 key made it throw a DOMException (a 500 for any caller
    // naming such a client) instead of verifying.
    if (type !== 'ed25519') return `EdDSA needs an Ed25519 key, not ${type}`;
    return undefined;
  }
  return `unsupported algorithm ${alg}`;
}
