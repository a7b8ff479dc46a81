import { generateKeyPairSync } from 'node:crypto';
import type { JWK } from 'jose';
import type { AccessTokenAlgorithm } from './signing-keys.js';

/**
 * Generates a private JWK for signing access tokens.
 *
 * @example
 * const endpoint = await createTokenEndpoint({ issuer, clients, signingKeys: [{ privateKey: generateSigningKey() }] });
 */
export function generateSigningKey(alg: AccessTokenAlgorithm = 'ES256'): JWK {
  const { privateKey } =
    alg === 'EdDSA'
      ? generateKeyPairSync('ed25519')
      : alg === 'PS256' || alg === 'RS256'
        ? generateKeyPairSync('rsa', { modulusLength: 2048 })
        : generateKeyPairSync('ec', { namedCurve: alg === 'ES384' ? 'P-384' : 'P-256' });
  return { ...(privateKey.export({ format: 'jwk' }) as JWK), alg };
}
