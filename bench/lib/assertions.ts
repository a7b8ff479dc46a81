/**
 * Client assertions signed with node:crypto directly (the bench needs thousands of fresh ones:
 * every private_key_jwt request spends its `jti`). Signing happens before the clock starts.
 */
import { type KeyObject, type SignKeyObjectInput, constants, createPrivateKey, randomUUID, sign } from 'node:crypto';
import type { JWK } from 'jose';
import type { PkjwtAlg } from './fixtures.js';

export const ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

export interface AssertionSigner {
  /** `count` fresh assertions for `clientId`, valid from now for `lifetimeSeconds`. */
  sign(clientId: string, audience: string, count: number, lifetimeSeconds?: number): string[];
}

function signerOptions(alg: PkjwtAlg, key: KeyObject): [string | null, SignKeyObjectInput | KeyObject] {
  switch (alg) {
    case 'ES256':
      return ['sha256', { key, dsaEncoding: 'ieee-p1363' }];
    case 'PS256':
      return ['sha256', { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 }];
    case 'RS256':
      return ['sha256', key];
    case 'EdDSA':
      return [null, key];
  }
}

const segment = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');

export function createAssertionSigner(privateJwk: JWK): AssertionSigner {
  const alg = privateJwk.alg as PkjwtAlg;
  const key = createPrivateKey({ key: privateJwk as JWK & { kty: string }, format: 'jwk' });
  const [hash, options] = signerOptions(alg, key);
  const header = segment({ alg, kid: privateJwk.kid });
  return {
    sign(clientId, audience, count, lifetimeSeconds = 280) {
      const iat = Math.floor(Date.now() / 1000);
      const out: string[] = new Array(count);
      for (let index = 0; index < count; index++) {
        const input = `${header}.${segment({ iss: clientId, sub: clientId, aud: audience, jti: randomUUID(), iat, exp: iat + lifetimeSeconds })}`;
        out[index] = `${input}.${sign(hash, Buffer.from(input), options).toString('base64url')}`;
      }
      return out;
    },
  };
}
